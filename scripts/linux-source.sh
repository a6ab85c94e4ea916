#!/usr/bin/env bash
# Files of the kernel source Debian ships (/usr/src/linux-source-*.tar.xz,
# from the linux-source package), extracted once into .tools/VERSION/.
#
#   scripts/linux-source.sh PATH...    prints the directory holding them
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "linux-source: no /usr/src/linux-source-*.tar.xz (run scripts/setup.sh build)" >&2
	exit 2
fi
ver=$(basename "$tarball" .tar.xz)
dir="$top/.tools/$ver"
missing=()
for f in "$@"; do
	[ -e "$dir/$f" ] || missing+=("$ver/$f")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "linux-source: extracting ${missing[*]#"$ver"/} from $tarball" >&2
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 "${missing[@]}"
fi
echo "$dir"
