#!/usr/bin/env bash
# Run the kernel's checkpatch.pl --strict over the module sources.
# checkpatch.pl comes from Debian's linux-source tarball; the three files
# it needs are extracted once into .tools/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "checkpatch: no /usr/src/linux-source-*.tar.xz (run scripts/setup.sh build)" >&2
	exit 2
fi
ver=$(basename "$tarball" .tar.xz)
dir="$top/.tools/$ver"
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	echo "checkpatch: extracting checkpatch.pl from $tarball"
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		"$ver/scripts/checkpatch.pl" "$ver/scripts/spelling.txt" \
		"$ver/scripts/const_structs.checkpatch"
fi

cd "$top"
checkpatch() { perl "$dir/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types "$@"; }
checkpatch -f tcp_dctcp_base.h tcp_xdctcp.c tcp_tdctcp.c tcp_tdctcp_trace.h
# The compatibility header exists to test kernel versions, which in-tree
# code must not do: it is the one file that would stay out of an upstream
# submission, and the only one excused from that rule.
checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f tcp_dctcp_compat.h
