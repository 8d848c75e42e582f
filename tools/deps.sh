#!/bin/bash
# deps.sh - install what utcpd needs to build and test, on Debian 12
#
# Run as root on a fresh machine (or any Debian 12): it asks dpkg which
# of the packages below are missing and installs only those, so a second
# run changes nothing and needs no network. Used by tools/test.sh and
# tools/demo.sh; safe to run by hand.
#
#   tools/deps.sh            build and test packages
#   tools/deps.sh --build    only what building needs
set -euo pipefail

# Building: the compiler, meson/ninja, and the libraries daemon/ links.
build_packages=(
	meson ninja-build gcc pkg-config libc6-dev
	libev-dev libnl-3-dev libnl-route-3-dev libinih-dev
	check
)
# Testing: the kernel peer's tools in tests/integration (ip and ss,
# ping, arping, socat, curl; coreutils for timeout, sha256sum,
# mkfifo), Debian's python3 with scapy for the malformed-frame test, and
# clang with its runtime for the libFuzzer and sanitizer builds (llvm-14
# brings llvm-symbolizer, for readable sanitizer reports), and
# clang-format for test.sh's format check. The DHCP tests run two
# servers in the namespace: dnsmasq (dnsmasq-base: the program without
# a system service) and busybox's udhcpd. The utcp-run tests and the
# benchmark run real applications: iperf3, nginx (nginx-light) and the
# load generator wrk. The capture test reads utcpctl's pcap files with
# tshark (its debconf question, whether non-root users may capture,
# takes its default, no, under DEBIAN_FRONTEND=noninteractive below).
# systemd brings systemd-analyze, which checks the
# units (a minimal Debian 12 container lacks it).
test_packages=(
	iproute2 iputils-ping arping socat curl coreutils
	dnsmasq-base busybox
	iperf3 nginx-light wrk
	python3 python3-scapy
	python3-prometheus-client
	clang libclang-rt-14-dev llvm-14 clang-format
	tshark
	systemd
)

packages=("${build_packages[@]}")
if [[ ${1:-} != --build ]]; then
	packages+=("${test_packages[@]}")
fi

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	if [[ $status != ii* ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

if ((EUID != 0)); then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (or: apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Installing a package with a service (nginx) starts it, unless
# policy-rc.d forbids it: the tests run their own nginx in a namespace
# and none may be left listening on the machine's port 80. So, when
# there is no policy, one that refuses every start (101) stands for the
# duration of the install.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# deps.sh: no service starts during its install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
