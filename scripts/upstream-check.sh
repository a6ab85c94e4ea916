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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checkpatch="$("$top/scripts/linux-source.sh" scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch)/scripts/checkpatch.pl"
for p in "$top"/docs/upstream/*.patch; do
	name=$(basename "$p")
	perl "$checkpatch" --strict --no-tree --quiet --show-types \
		--ignore MISSING_SIGN_OFF,UNKNOWN_COMMIT_ID "$p"
	mapfile -t files < <(sed -n 's|^+++ b/||p' "$p")
	tools=$("$top/scripts/linux-source.sh" "${files[@]}")
	for f in "${files[@]}"; do
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
	echo "upstream-check: $name: checkpatch clean, applies to $(basename "$tools"), ${files[*]} compiles"
done
