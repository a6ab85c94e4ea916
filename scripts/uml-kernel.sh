#!/usr/bin/env bash
# Build (once) the User-Mode Linux kernel of the virtual-time testbed from
# Debian's kernel source (linux-source-6.1), with the patches in
# scripts/uml/*.patch applied and scripts/uml/uml.config on top of ARCH=um
# defconfig, and print its build directory.  The build is cached outside
# the repository, keyed on the source package's version, the patches and
# the configuration: it is rebuilt only when one of them changes.
#
# UML_HZ (default 250, as Debian's x86 kernels; 100, 300 or 1000) is the
# timer rate it is built with: TCP's RTO, delayed-ACK and loss-probe
# timers count jiffies, so it shapes every tail the testbed measures.
# Each rate is a build of its own (0002-um-configurable-hz.patch makes
# the option settable; upstream UML fixes it at 100).
#
#   scripts/uml-kernel.sh            the build directory (building it first)
#   scripts/uml-kernel.sh --modules  ... and this tree's modules built for it
#                                    into BUILD/dctcp-modules/KEY/ (KEY from
#                                    their sources: trees with other sources
#                                    run side by side), printed as a second
#                                    line
#   scripts/uml-kernel.sh --cached   exit 0 if the kernel is built, 1 if not
#                                    (builds nothing)
#
# The build directory holds `linux` (the kernel, a host program), its
# modules under root/lib/modules/RELEASE, and serves as KDIR for
# `make -C BUILD ARCH=um M=...`.  DCTCP_CACHE (default /var/cache/dctcp)
# is where builds are kept.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DCTCP_CACHE:-/var/cache/dctcp}/uml
fragment="$top/scripts/uml/uml.config"
say() { printf 'uml-kernel: %s\n' "$*" >&2; }
die() { printf 'uml-kernel: error: %s\n' "$*" >&2; exit 1; }

want_modules=0 only_query=0
case "${1:-}" in
--modules) want_modules=1 ;;
--cached) only_query=1 ;;
"") ;;
*) die "unknown option '$1' (expected: --modules or --cached)" ;;
esac

hz=${UML_HZ:-250}
case "$hz" in
100 | 250 | 300 | 1000) ;;
*) die "UML_HZ=$hz: the timer rate must be 100, 250, 300 or 1000" ;;
esac

tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz (run scripts/setup.sh uml)"
pkg=$(basename "$tarball" .tar.xz)
pkgver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || stat -c %Y "$tarball")
patches=("$top"/scripts/uml/*.patch)
key=$(printf '%s\n' "$pkg" "$pkgver" "CONFIG_HZ=$hz" | cat - "$fragment" "${patches[@]}" | sha256sum | cut -c1-12)
srckey=$(cat "${patches[@]}" | sha256sum | cut -c1-8)
src="$cache/$pkg-$pkgver-$srckey"
build="$cache/build-$key"

built=0
[ -x "$build/linux" ] && [ -f "$build/.dctcp-done" ] && built=1
if [ "$only_query" -eq 1 ]; then
	[ "$built" -eq 1 ]
	exit
fi
# one build at a time (make test boots two guests side by side, each
# through scripts/vm-run.sh, which asks for the modules first)
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[ -x "$build/linux" ] && [ -f "$build/.dctcp-done" ] && built=1
if [ "$built" -eq 0 ]; then
	mkdir -p "$cache"
	start=$(date +%s)
	say "building User-Mode Linux from $pkg $pkgver with $(basename "$fragment"), HZ=$hz"
	say "first time on this machine only: about 4 minutes on 2 cores (6 CPU-minutes); cached in $build"
	if [ ! -f "$src/.extracted" ]; then
		say "extracting $tarball"
		rm -rf "$src"
		mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" --strip-components=1
		for p in "${patches[@]}"; do
			say "applying $(basename "$p")"
			patch -d "$src" -p1 -s <"$p" || die "$(basename "$p") does not apply to $pkg $pkgver"
		done
		touch "$src/.extracted"
	fi
	rm -rf "$build"
	mkdir -p "$build"
	log="$build/build.log"
	printf 'CONFIG_HZ=%s\n' "$hz" >"$build/hz.config"
	make -C "$src" ARCH=um O="$build" defconfig >"$log" 2>&1 || die "defconfig failed (log: $log)"
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" "$fragment" "$build/hz.config") >>"$log" 2>&1 ||
		die "merging $fragment failed (log: $log)"
	make -C "$src" ARCH=um O="$build" olddefconfig >>"$log" 2>&1 || die "olddefconfig failed (log: $log)"
	# every option of the fragment must have taken: a silently dropped one
	# (a missing dependency) would give a kernel without what the testbed needs
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) opt=${line%=n}; grep -qx "$opt=[ym].*" "$build/.config" &&
			die "$opt is still set (log: $log)" ;;
		CONFIG_*=*) grep -qxF "$line" "$build/.config" ||
			die "${line%%=*} did not take the value ${line#*=}: a dependency is missing (log: $log)" ;;
		esac
	done < <(cat "$fragment" "$build/hz.config")
	say "compiling (log: $log)"
	nice make -C "$src" ARCH=um O="$build" -j"$(nproc)" all >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "the build failed (log: $log)"; }
	make -C "$src" ARCH=um O="$build" INSTALL_MOD_PATH="$build/root" modules_install >>"$log" 2>&1 ||
		die "modules_install failed (log: $log)"
	touch "$build/.dctcp-done"
	say "built in $(( $(date +%s) - start )) s: $build/linux ($(make -s -C "$src" ARCH=um O="$build" kernelrelease 2>/dev/null))"
fi

mods=
if [ "$want_modules" -eq 1 ]; then
	# this tree's modules, built from a copy so the host build in the tree stays
	sources=(Kbuild tcp_dctcp_base.h tcp_dctcp_compat.h tcp_xdctcp.c tcp_tdctcp.c tcp_tdctcp_trace.h)
	mods="$build/dctcp-modules/$(cd "$top" && cat "${sources[@]}" | sha256sum | cut -c1-12)"
	mkdir -p "$mods"
	for f in "${sources[@]}"; do
		cmp -s "$top/$f" "$mods/$f" || cp "$top/$f" "$mods/$f"
	done
	make -s -C "$build" ARCH=um M="$mods" modules >"$mods/build.log" 2>&1 ||
		{ tail -n 20 "$mods/build.log" >&2; die "building the modules for UML failed (log: $mods/build.log)"; }
fi
echo "$build"
[ -z "$mods" ] || echo "$mods"
