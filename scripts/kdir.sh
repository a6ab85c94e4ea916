#!/usr/bin/env bash
# Print the kernel build directory to build the modules against: the
# running kernel's when it has one, else the newest Debian amd64 headers
# (linux-headers-amd64, the VM testbed's kernel).
set -euo pipefail

running="/lib/modules/$(uname -r)/build"
if [ -d "$running" ]; then
	echo "$running"
	exit 0
fi
newest=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' -type d 2>/dev/null | sort -V | tail -n 1)
if [ -z "$newest" ]; then
	echo "kdir: no kernel build directory: $running is missing and no /usr/src/linux-headers-*-amd64 (run scripts/setup.sh, or pass KDIR=)" >&2
	exit 1
fi
echo "$newest"
