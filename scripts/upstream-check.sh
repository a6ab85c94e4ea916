#!/usr/bin/env bash
# Check the kernel patches in docs/upstream/ the way a maintainer would:
# checkpatch --strict over each patch, then apply it to the kernel source
# Debian ships (linux-source-*.tar.xz) and compile the patched file with
# -Werror against the installed headers.  The patches carry no
# Signed-off-by (whoever sends one adds theirs) and name upstream commits
# this tree cannot resolve, so those two checkpatch rules are waived here.
#
#   scripts/upstream-check.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
KDIR=${KDIR:-$("$top/scripts/kdir.sh")}
tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "upstream-check: no /usr/src/linux-source-*.tar.xz (run scripts/setup.sh build)" >&2
	exit 2
fi
ver=$(basename "$tarball" .tar.xz)
tools="$top/.tools/$ver"
# checkpatch.pl and its data files
"$top/scripts/checkpatch.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in "$top"/docs/upstream/*.patch; do
	name=$(basename "$p")
	perl "$tools/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore MISSING_SIGN_OFF,UNKNOWN_COMMIT_ID "$p"
	mapfile -t files < <(sed -n 's|^+++ b/||p' "$p")
	for f in "${files[@]}"; do
		if [ ! -f "$tools/$f" ]; then
			mkdir -p "$tools/$(dirname "$f")"
			tar -xJf "$tarball" -C "$tools" --strip-components=1 "$ver/$f"
		fi
		mkdir -p "$work/$name/$(dirname "$f")"
		cp "$tools/$f" "$work/$name/$f"
	done
	patch -s -d "$work/$name" -p1 --no-backup-if-mismatch <"$p"
	# compile each patched .c file alone (an object, never linked or loaded)
	for f in "${files[@]}"; do
		case "$f" in *.c) ;; *) continue ;; esac
		obj=$(basename "${f%.c}").o
		build="$work/$name.build"
		mkdir -p "$build"
		cp "$work/$name/$f" "$build/"
		echo "obj-m := $obj" >"$build/Kbuild"
		make -s -C "$KDIR" M="$build" KCFLAGS=-Werror "$obj"
		[ -s "$build/$obj" ]
	done
	echo "upstream-check: $name: checkpatch clean, applies to $ver, ${files[*]} compiles"
done
