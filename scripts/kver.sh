#!/usr/bin/env bash
# Print the kernel release a build directory is for: the /lib/modules/*
# entry whose build link points at it (what make install and DKMS use).
#   scripts/kver.sh KDIR
set -euo pipefail
kdir=$(readlink -f "${1:?usage: scripts/kver.sh KDIR}")
for r in /lib/modules/*; do
	if [ "$(readlink -f "$r/build" 2>/dev/null)" = "$kdir" ]; then
		basename "$r"
		exit 0
	fi
done
echo "kver: no /lib/modules/*/build points at $kdir: pass KVER=" >&2
exit 1
