#!/usr/bin/env bash
# Compile the modules against every kernel header series Debian's archive
# supplies for amd64: each Debian release (with its backports) gets a
# minimal chroot made by debootstrap, the newest linux-headers package of
# each kernel series in it is installed there, and the sources are built
# with that release's compiler and -Werror.  Writes a table to
# results/compat/compat.md and one build log per kernel.
#
#   scripts/compat-build.sh [--root DIR] [--release NAME]... [--list] [--boot VER]...
#
#   --root DIR       where the chroots live (default /var/cache/dctcp-compat;
#                    about 1 GiB each, reused by later runs)
#   --release NAME   a Debian release to take headers from (default:
#                    bookworm and trixie, each with its -backports, and sid
#                    with experimental)
#   --list           print the header packages that would be built, and stop
#   --boot VER       then boot that kernel (e.g. 7.3.4+deb13, or newest) in QEMU with
#                    virtme-ng, its release's chroot as the root filesystem,
#                    and run tests/compat/smoke.sh on the modules built for it
#
# Needs root and access to deb.debian.org (installs debootstrap if missing).  Run by
# make compat; make test builds against the installed 6.1 headers only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root=/var/cache/dctcp-compat
releases=()
list=0
boots=()
mirror=http://deb.debian.org/debian
sources=(Kbuild tcp_dctcp_base.h tcp_dctcp_compat.h tcp_xdctcp.c tcp_tdctcp.c tcp_tdctcp_trace.h)

usage() { sed -n '2,/^set /{/^set /d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--root) root=${2:?--root needs a directory}; shift 2 ;;
	--release) releases+=("${2:?--release needs a name}"); shift 2 ;;
	--list) list=1; shift ;;
	--boot) boots+=("${2:?--boot needs a kernel version}"); shift 2 ;;
	-h | --help) usage ;;
	*) echo "compat-build: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ ${#releases[@]} -gt 0 ] || releases=(bookworm trixie sid)
[ "$(id -u)" -eq 0 ] || { echo "compat-build: needs root (debootstrap, chroot)" >&2; exit 2; }
if ! command -v debootstrap >/dev/null; then
	echo "compat-build: installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
		{ echo "compat-build: apt-get install debootstrap failed" >&2; exit 2; }
fi

# does the header $tcp_h contain the pattern?
has() { if grep -qs "$1" "$tcp_h"; then echo yes; else echo no; fi; }

mounted=
trap '[ -z "$mounted" ] || umount "$mounted"' EXIT

in_chroot() {
	local dir=$1
	shift
	chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		LC_ALL=C.UTF-8 "$@"
}

# a minimal chroot of release with its backports and updates, made once
make_chroot() {
	local rel=$1 dir=$root/$1
	if [ ! -x "$dir/usr/bin/apt-get" ]; then
		echo "== $rel: debootstrap into $dir (once)"
		rm -rf "$dir"
		mkdir -p "$root"
		debootstrap --variant=minbase "$rel" "$dir" "$mirror" >"$root/$rel-debootstrap.log" 2>&1 ||
			{ echo "compat-build: debootstrap $rel failed (see $root/$rel-debootstrap.log)" >&2; exit 1; }
	fi
	{
		if [ "$rel" = sid ]; then
			# unstable, and experimental's newer kernels (installed by name);
			# their Release files expire within days, and a mirror here
			# may serve an older snapshot
			printf 'deb %s %s main\n' "$mirror" sid "$mirror" experimental
			echo 'Acquire::Check-Valid-Until "false";' >"$dir/etc/apt/apt.conf.d/99compat-build"
		else
			for s in "$rel" "$rel-updates" "$rel-backports"; do
				echo "deb $mirror $s main"
			done
			echo "deb http://deb.debian.org/debian-security $rel-security main"
		fi
	} >"$dir/etc/apt/sources.list"
	in_chroot "$dir" apt-get -qq update >/dev/null
}

# the newest amd64 header package of each kernel series the release offers
header_packages() {
	in_chroot "$1" apt-cache pkgnames linux-headers- |
		grep -E '^linux-headers-[0-9]+\.[0-9]+[.0-9]*(-[0-9]+)?(\+deb[0-9]+)?-amd64$' |
		sed 's/^linux-headers-//; s/-amd64$//' |
		sort -V |
		awk -F. '{ series = $1 "." $2; last[series] = $0 } END { for (s in last) print last[s] }' |
		sort -V
}

out=$top/results/compat
mkdir -p "$out"
table=$out/compat.md.new
{
	echo "# Compile test against Debian's kernel headers"
	echo
	echo "Command: \`scripts/compat-build.sh$(printf ' --release %s' "${releases[@]}")\`, $(date -u +%F)."
	echo "Each build: \`make -C /usr/src/linux-headers-VER-amd64 M=... modules KCFLAGS=-Werror\`"
	echo "inside a chroot of the Debian release that ships the headers, with its compiler."
	echo
	echo "The interface columns say what the headers have (read from their net/tcp.h, as Kbuild's"
	echo "probe does); *checked* means the built tcp_xdctcp.ko matches it: it has xdctcp_cwnd_event"
	echo "exactly when CA_EVENT_TX_START still reaches .cwnd_event."
	echo
	echo "| kernel headers | from | compiler | __tcp_send_ack flags | TCP_ECN_OK | .cwnd_event_tx_start | result | warnings |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$table"

failed=0
for rel in "${releases[@]}"; do
	make_chroot "$rel"
	dir=$root/$rel
	mapfile -t vers < <(header_packages "$dir")
	[ ${#vers[@]} -gt 0 ] || { echo "compat-build: $rel offers no amd64 linux-headers" >&2; exit 1; }
	for v in "${vers[@]}"; do
		pkg=linux-headers-$v-amd64
		if [ "$list" -eq 1 ]; then
			echo "$rel: $pkg"
			continue
		fi
		echo "== $rel: $pkg"
		in_chroot "$dir" apt-get -qq install -y --no-install-recommends "$pkg" make \
			>"$root/$rel-apt.log" 2>&1 ||
			{ echo "compat-build: installing $pkg failed (see $root/$rel-apt.log)" >&2; exit 1; }
		bdir=/build/$v            # inside the chroot; kept for --boot
		rm -rf "${dir:?}$bdir"
		mkdir -p "$dir$bdir"
		(cd "$top" && cp "${sources[@]}" "$dir$bdir/")
		log=$out/build-$v.log
		cc=$(in_chroot "$dir" sh -c "grep -h '^CONFIG_CC_VERSION_TEXT' /usr/src/$pkg/.config | cut -d'\"' -f2")
		# objtool (7.x) reads /proc/self/limits
		mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
		mounted=$dir/proc
		if in_chroot "$dir" make -C "/usr/src/$pkg" M="$bdir" modules KCFLAGS=-Werror -j"$(nproc)" >"$log" 2>&1 &&
			[ -f "$dir$bdir/tcp_xdctcp.ko" ] && [ -f "$dir$bdir/tcp_tdctcp.ko" ]; then
			result=built
		else
			result="**failed**"
			failed=$((failed + 1))
			tail -n 20 "$log" >&2
		fi
		tcp_h=$dir/usr/src/linux-headers-$v-common/include/net/tcp.h
		[ -f "$tcp_h" ] || tcp_h=$dir/usr/src/$pkg/include/net/tcp.h
		flags=$(has 'u32 rcv_nxt, u16 flags')
		ecn_ok=$(has 'define[[:space:]]*TCP_ECN_OK')
		tx_op=$(has 'cwnd_event_tx_start')
		if [ "$result" = built ]; then
			own=$(if nm "$dir$bdir/tcp_xdctcp.ko" | grep -q ' xdctcp_cwnd_event$'; then echo no; else echo yes; fi)
			if [ "$own" = "$tx_op" ]; then
				result="built, checked"
			else
				result="**wrong TX_START hook**"
				failed=$((failed + 1))
			fi
		fi
		umount "$dir/proc"
		mounted=
		warnings=$(grep -c -i 'warning' "$log" || true)
		echo "   $result, $warnings warning(s); log $log"
		echo "| $v | $rel | $cc | $flags | $ecn_ok | $tx_op | $result | $warnings |" >>"$table"
	done
done
[ "$list" -eq 1 ] && { rm -f "$table"; exit 0; }
# Boot a built kernel with its release as root, and load and use the modules
for v in "${boots[@]}"; do
	if [ "$v" = newest ]; then
		v=$(for r in "${releases[@]}"; do
			find "$root/$r/build" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
		done | sort -V | tail -n 1)
	fi
	rel=
	for r in "${releases[@]}"; do
		[ -d "$root/$r/build/$v" ] && rel=$r
	done
	[ -n "$rel" ] || { echo "compat-build: --boot $v: no build for it in ${releases[*]}" >&2; exit 2; }
	dir=$root/$rel
	echo "== boot $v ($rel as the guest's root, scripts/vm-run.sh)"
	pkgs=(linux-image-"$v"-amd64 python3 iproute2 iperf3 kmod procps bpftool
		python3-pytest python3-pyroute2 ethtool)
	in_chroot "$dir" apt-get -qq install -y --no-install-recommends "${pkgs[@]}" >"$root/$rel-apt.log" 2>&1 ||
		in_chroot "$dir" apt-get -qq install -y --no-install-recommends -t "$rel-backports" linux-base \
			"${pkgs[@]}" >"$root/$rel-apt.log" 2>&1 ||
		{ echo "compat-build: installing linux-image-$v failed (see $root/$rel-apt.log)" >&2; exit 1; }
	# the BPF builds, against this kernel's own types (make bpf with its image)
	if ! make -s -C "$top/bpf" OUT="$dir/build/$v/bpf" VMLINUX_BTF="$dir/boot/vmlinuz-$v-amd64" \
		>"$out/bpf-build-$v.log" 2>&1; then
		echo "compat-build: make bpf for $v failed (see $out/bpf-build-$v.log)" >&2
		failed=$((failed + 1))
	fi
	log=$out/boot-$v.log
	"$top/scripts/vm-run.sh" --kernel "$dir/boot/vmlinuz-$v-amd64" --root "$dir" --timeout 900 \
		--log-dir "$out/boot-$v" -- env SMOKE_LOG_DIR="$out/boot-$v" tests/compat/smoke.sh "/build/$v" 2>&1 |
		cat >"$log" || true
	# (through cat: QEMU reopens a file on stdout with truncation)
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) || line="0 passed, 1 failed"
	grep -E '^(PASS|FAIL) ' "$log" || tail -n 20 "$log"
	f=${line#*, }
	f=${f%% failed*}
	[ "$f" -eq 0 ] || failed=$((failed + 1))
	{
		echo
		echo "Booted \`$v\` (\`scripts/compat-build.sh --boot $v\`): $line — $(grep -cE '^PASS ' "$log") checks passed:"
		echo "insmod of both modules, one ECN connection each for the kernel's dctcp and both modules between two namespaces (\`ss\` shows the"
		echo "module and its \`dctcp:(…)\` record), the BPF builds made for this kernel through their kernel tests"
		echo "(\`tests/kernel/test_14_bpf.py\`, as \`make test\` runs them on 6.1: $(grep -oE 'BPF kernel tests \(tests/kernel/test_14_bpf.py\): [0-9]+ passed, [0-9]+ failed' "$log" |
			sed 's/.*: //' || echo 'not run')), rmmod, a clean kernel log. Log: \`results/compat/boot-$v.log\`."
	} >>"$table"
done

mv "$table" "$out/compat.md"
echo "compat-build: table in $out/compat.md; $failed failed"
[ "$failed" -eq 0 ]
