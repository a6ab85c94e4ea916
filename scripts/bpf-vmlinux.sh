#!/usr/bin/env bash
# Write vmlinux.h, the C types of a kernel, from its BTF: what the BPF
# objects are compiled against (they relocate to the loading kernel's
# layout at load time, so any kernel with the same members will do).
#
#   scripts/bpf-vmlinux.sh OUT [RELEASE]
#
# RELEASE (default: the kernel the modules are built for, from KDIR) is
# read from VMLINUX_BTF when set (a vmlinux ELF, /sys/kernel/btf/vmlinux or
# a vmlinuz image),
# else from /sys/kernel/btf/vmlinux when it is the running kernel, else
# from /boot/vmlinuz-RELEASE, decompressed with the kernel source's
# scripts/extract-vmlinux.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: scripts/bpf-vmlinux.sh OUT [RELEASE]}
release=${2:-$("$top/scripts/kver.sh" "${KDIR:-$("$top/scripts/kdir.sh")}")}
command -v bpftool >/dev/null || { echo "bpf-vmlinux: bpftool missing (scripts/setup.sh build)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
image=
if [ -n "${VMLINUX_BTF:-}" ]; then
	btf=$VMLINUX_BTF
	# a compressed image (vmlinuz) is unpacked first
	if ! bpftool btf dump file "$btf" >/dev/null 2>&1; then
		image=$btf
	fi
elif [ "$release" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	btf=/sys/kernel/btf/vmlinux
else
	image=/boot/vmlinuz-$release
	[ -r "$image" ] || { echo "bpf-vmlinux: $image missing: install linux-image-$release or set VMLINUX_BTF" >&2; exit 2; }
fi
from=${btf:-$image}
if [ -n "$image" ]; then
	src=$("$top/scripts/linux-source.sh" scripts/extract-vmlinux)
	"$src/scripts/extract-vmlinux" "$image" >"$tmp/vmlinux"
	btf=$tmp/vmlinux
	from=$image
fi
bpftool btf dump file "$btf" format c >"$tmp/vmlinux.h"
grep -q 'struct tcp_congestion_ops {' "$tmp/vmlinux.h" ||
	{ echo "bpf-vmlinux: $btf has no struct tcp_congestion_ops: not a kernel with BTF" >&2; exit 2; }
mv "$tmp/vmlinux.h" "$out"
echo "bpf-vmlinux: $out from $from"
