#!/usr/bin/env bash
# Install what building, checking and testing the modules needs, on a
# Debian or Ubuntu machine.  Idempotent: installs only what is missing.
#
#   scripts/setup.sh [build] [vm] [uml]
#
#   build  compiler, kernel headers, sparse, linux-source (checkpatch),
#          and for make bpf clang, libbpf's headers and bpftool
#   vm     QEMU, Debian's kernel image, virtme-ng and the tools the
#          in-kernel tests run (iperf3, iproute2, ethtool, ...)
#   uml    what building the User-Mode Linux kernel of the virtual-time
#          testbed from linux-source needs (scripts/uml-kernel.sh), and
#          the testbed's tools (as vm, without QEMU; bridge-utils for
#          Mininet's Linux bridges; OpenSSH's server and PyYAML for the
#          test of --testbed, whose hosts are namespaces running sshd: the
#          package's service is not started)
#
# With no argument, all three.
set -euo pipefail

build_pkgs=(build-essential make gcc libelf-dev kmod sparse perl xz-utils
	linux-headers-amd64 python3 python3-pip shellcheck clang dkms libbpf-dev bpftool)
vm_pkgs=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	python3-pip iperf3 iproute2 ethtool kmod iputils-ping procps
	trace-cmd python3-pytest tcpdump python3-pyroute2 mininet openvswitch-switch
	python3-matplotlib bpftool)
uml_pkgs=(build-essential make gcc flex bison bc libelf-dev xz-utils linux-source
	busybox-static iperf3 iproute2 ethtool kmod iputils-ping procps trace-cmd python3-pytest
	tcpdump python3-pyroute2 mininet openvswitch-switch python3-matplotlib util-linux
	bridge-utils openssh-server openssh-client python3-yaml)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get and pip install system-wide)"
command -v apt-get >/dev/null || die "apt-get not found: this script supports Debian and Ubuntu"

# one set-up at a time (make test's and an experiment's may start together),
# and apt waits for a dpkg lock someone else holds instead of failing
mkdir -p /var/lock
exec 8>/var/lock/dctcp-setup.lock
if ! flock -n 8; then
	say "waiting for another scripts/setup.sh to finish"
	flock 8
fi
apt_wait=(-o DPkg::Lock::Timeout=900)

want_build=0 want_vm=0 want_uml=0
[ $# -eq 0 ] && set -- build vm uml
for arg in "$@"; do
	case "$arg" in
	build) want_build=1 ;;
	vm) want_vm=1 ;;
	uml) want_uml=1 ;;
	*) die "unknown profile '$arg' (expected: build, vm, uml)" ;;
	esac
done

pkgs=()
[ "$want_build" -eq 1 ] && pkgs+=("${build_pkgs[@]}")
[ "$want_vm" -eq 1 ] && pkgs+=("${vm_pkgs[@]}")
[ "$want_uml" -eq 1 ] && pkgs+=("${uml_pkgs[@]}")

# linux-source-X.Y matching the headers' major version, for checkpatch
if [ "$want_build" -eq 1 ]; then
	pkgs+=(linux-source)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# de-duplicate
if [ "${#missing[@]}" -gt 0 ]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi

if [ "${#missing[@]}" -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get "${apt_wait[@]}" update -q >/dev/null || die "apt-get update failed"
	# no service starts from what is installed here (openssh-server's sshd:
	# the tests start their own, in namespaces); policy-rc.d is Debian's way
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy=/usr/sbin/policy-rc.d
	fi
	rc=0
	apt-get "${apt_wait[@]}" install -y -q --no-install-recommends "${missing[@]}" >/tmp/setup-apt.log 2>&1 || rc=$?
	[ -z "$policy" ] || rm -f "$policy"
	[ "$rc" -eq 0 ] ||
		{ tail -n 20 /tmp/setup-apt.log >&2; die "apt-get install failed (log: /tmp/setup-apt.log)"; }
else
	say "Debian packages present"
fi

# libFuzzer and the sanitizer runtimes of this clang (packaged apart on Debian 12)
if [ "$want_build" -eq 1 ]; then
	rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	if ! dpkg-query -W -f='${Status}' "$rt" 2>/dev/null | grep -q 'install ok installed' &&
		apt-cache show "$rt" >/dev/null 2>&1; then
		say "installing $rt (libFuzzer)"
		DEBIAN_FRONTEND=noninteractive apt-get "${apt_wait[@]}" install -y -q --no-install-recommends "$rt" \
			>/tmp/setup-apt.log 2>&1 || die "apt-get install $rt failed (log: /tmp/setup-apt.log)"
	fi
fi

if [ "$want_build" -eq 1 ] && ! command -v ruff >/dev/null; then
	say "installing ruff from PyPI"
	/usr/bin/python3 -m pip install -q --break-system-packages ruff ||
		die "pip install ruff failed"
fi

if [ "$want_vm" -eq 1 ]; then
	if ! command -v vng >/dev/null; then
		say "installing virtme-ng from PyPI"
		/usr/bin/python3 -m pip install -q --break-system-packages virtme-ng ||
			die "pip install virtme-ng failed"
	fi
	command -v vng >/dev/null || die "vng not on PATH after installing virtme-ng"
	kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kernel" ] || die "no /boot/vmlinuz-*-amd64 after installing linux-image-amd64"
	[ -r "$kernel" ] || die "$kernel is not readable"
	say "VM kernel: $kernel; virtme-ng $(vng --version 2>/dev/null | head -n 1)"
fi

if [ "$want_build" -eq 1 ]; then
	kdir=$("$(dirname "$0")/kdir.sh") || die "no kernel headers found"
	say "kernel headers: $kdir"
fi
