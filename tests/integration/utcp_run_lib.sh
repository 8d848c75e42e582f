#!/bin/bash
# utcp_run_lib.sh - what the utcp_run* tests share: a namespace of the
# application's own with nothing but loopback (a socket that reached the
# kernel instead of utcpd finds no route there), and running a program
# in it under utcp-run. Source it after lib.sh.
: "${UTCP_RUN:?UTCP_RUN must name the utcp-run binary}"

# app_namespace: makes the application's namespace, $APPNS, once the
# daemon runs (start_daemon_with_config), and $APP_ENV: in a sanitizer
# build the preload library needs ASan's runtime loaded first (utcp-run
# keeps a preloaded library ahead of its own), and the programs' own
# leaks are not ours to report.
app_namespace() {
	make_extra_namespace
	APPNS=$EXTRA_NS_NAME
	APP_ENV=()
	if [[ ${UTCP_SANITIZED:-0} == 1 ]]; then
		APP_ENV=(env "LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)"
			ASAN_OPTIONS=detect_leaks=0)
	fi
}

# app PROGRAM ARGS...: runs PROGRAM under utcp-run in the application's
# namespace, at most 30 s; utcp-run's own options go in $APP_OPTS (an
# array, empty unless set).
app() {
	timeout 30 ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" -S "$SOCK" \
		"${APP_OPTS[@]}" -- "$@"
}
APP_OPTS=()
