#!/usr/bin/env bash
# Print the kernel build directory to build the modules against: the
# running kernel's when it has one, else the newest Debian amd64 headers
# (linux-headers-amd64, the VM testbed's kernel).
#
# KDIR_ROOT (default /) is the root these are looked up under; the
# first-run test points it at an empty tree, as on a machine that has
# never installed kernel headers.
set -euo pipefail

root=${KDIR_ROOT:-}
root=${root%/}
running="$root/lib/modules/$(uname -r)/build"
if [ -d "$running" ]; then
	echo "$running"
	exit 0
fi
newest=$(find "$root/usr/src" -maxdepth 1 -name 'linux-headers-*-amd64' \( -type d -o -type l \) 2>/dev/null |
	sort -V | tail -n 1)
if [ -z "$newest" ]; then
	echo "kdir: no kernel build directory: $running is missing and no $root/usr/src/linux-headers-*-amd64 (run scripts/setup.sh, or pass KDIR=)" >&2
	exit 1
fi
echo "$newest"
