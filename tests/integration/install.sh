#!/bin/bash
# install: `meson install --destdir` of the build under test, then what
# it installed is used as an installation would be. Every manual of
# docs/ is in MANDIR/manN, the example configuration in
# SYSCONFDIR/utcpd/utcpd.conf, the installed utcpd's --help names that
# path as its default, and utcpctl's its socket. A program is compiled
# with `pkg-config --cflags --libs utcp` against the DESTDIR's utcp.pc,
# utcp.h and libutcp (PKG_CONFIG_SYSROOT_DIR), and exchanges data with
# the kernel's echo server through the installed daemon, run from the
# DESTDIR on a test configuration.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${UTCP_BUILD_DIR:?UTCP_BUILD_DIR must name the build directory}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEST=$TMP/root
NET=10.78.92
PORT=5092

command -v pkg-config >/dev/null || skip "no pkg-config"
command -v cc >/dev/null || skip "no C compiler"

meson introspect --buildoptions "$UTCP_BUILD_DIR" >"$TMP/options.json" ||
	fail "meson introspect --buildoptions $UTCP_BUILD_DIR"

# option NAME: the build's value of meson option NAME.
option() {
	"$PYTHON" -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == sys.argv[2]))' \
		"$TMP/options.json" "$1"
}

# dir NAME: meson's directory option NAME as an absolute path.
dir() {
	local v
	v=$(option "$1")
	[[ $v == /* ]] && printf '%s\n' "$v" || printf '%s/%s\n' "$(option prefix)" "$v"
}

say "meson install --destdir $DEST"
meson install -C "$UTCP_BUILD_DIR" --destdir "$DEST" --no-rebuild --quiet \
	>"$TMP/install.log" 2>&1 || fail "meson install: $(tail -n 5 "$TMP/install.log")"
SBIN=$DEST$(dir sbindir)
BIN=$DEST$(dir bindir)
LIB=$DEST$(dir libdir)
MAN=$DEST$(dir mandir)
ETC=$(dir sysconfdir)

say "programs, library, header and pkg-config file"
for f in "$SBIN/utcpd" "$SBIN/utcpctl" "$BIN/utcp-nc" "$BIN/utcp-run"; do
	[[ -x $f ]] || fail "$f is not installed"
done
[[ -f $DEST$(dir includedir)/utcp.h ]] || fail "utcp.h is not installed"
[[ -e $LIB/libutcp.so && -e $LIB/libutcp.so.0 ]] || fail "libutcp is not installed in $LIB"
[[ -f $LIB/pkgconfig/utcp.pc ]] || fail "utcp.pc is not installed"

say "every manual of docs/ in its section, the example configuration in $ETC/utcpd"
n=0
for page in "$SRC"/docs/*.[1-8]; do
	name=$(basename "$page")
	[[ -f $MAN/man${name##*.}/$name ]] || fail "$name is not in $MAN/man${name##*.}"
	cmp -s "$page" "$MAN/man${name##*.}/$name" || fail "$name differs from docs/$name"
	n=$((n + 1))
done
((n >= 6)) || fail "only $n manuals in docs/"
cmp -s "$SRC/conf/utcpd.conf" "$DEST$ETC/utcpd/utcpd.conf" ||
	fail "the example configuration is not $DEST$ETC/utcpd/utcpd.conf"

say "the installed utcpd's default configuration is $ETC/utcpd/utcpd.conf"
LD_LIBRARY_PATH=$LIB "$SBIN/utcpd" --help >"$TMP/help"
grep -q "configuration file (default $ETC/utcpd/utcpd.conf)" "$TMP/help" ||
	fail "utcpd --help: $(grep -- --config "$TMP/help")"
LD_LIBRARY_PATH=$LIB "$SBIN/utcpctl" --help >"$TMP/help"
grep -q "or /[a-z/]*/utcpd/utcpd.sock)" "$TMP/help" ||
	fail "utcpctl --help: $(grep -- -S "$TMP/help")"

say "a program built with pkg-config against $DEST"
export PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST PKG_CONFIG_LIBDIR=""
read -ra flags <<<"$(pkg-config --cflags --libs utcp)"
[[ " ${flags[*]} " == *" -I$DEST/"* && " ${flags[*]} " == *" -L$LIB "* ]] ||
	fail "pkg-config gives '${flags[*]}'"
san=()
[[ ${UTCP_SANITIZED:-0} == 1 ]] && san=("-fsanitize=address,undefined")
cc "${san[@]}" -Wall -Werror -o "$TMP/client" "$(dirname "$0")/install_client.c" "${flags[@]}" ||
	fail "the program does not build against the installed files"

say "the installed daemon, and the program's exchange with the kernel through it"
make_namespace
write_config utcp-inst utinst0 "$NET"
UTCPD=$SBIN/utcpd
UTCPCTL=$SBIN/utcpctl
export LD_LIBRARY_PATH=$LIB
start_daemon_with_config
start_ns_bg socat "TCP-LISTEN:$PORT,bind=$KERNEL_IP,reuseaddr,fork" EXEC:cat
listening() {
	[[ -n $(ip netns exec "$NS" ss -Hntl "sport = :$PORT") ]]
}
wait_for listening || fail "socat is not listening on $PORT"
out=$(UTCPD_SOCKET=$SOCK "$TMP/client" "$KERNEL_IP" "$PORT" "through the installed files") ||
	fail "the program failed: $out"
[[ $out == "through the installed files" ]] || fail "the program got '$out'"
[[ $(counter tcp_active_opens) == 1 ]] || fail "tcp_active_opens $(counter tcp_active_opens)"
pass
