#!/usr/bin/env bash
# Run a command on the kernel testbed: inside Debian's kernel booted by
# virtme-ng (TESTBED=vm), inside a User-Mode Linux kernel in virtual time
# (TESTBED=uml: time-travel=inf-cpu, CPU work takes no time, the clock
# jumps to the next timer; built by scripts/uml-kernel.sh at the timer
# rate UML_HZ, default 250), or directly on
# this host when it can load modules (TESTBED=native, a real testbed
# host).  TESTBED=auto (default) picks native when /proc/modules and the
# running kernel's build directory exist, else vm.
#
#   scripts/vm-run.sh [--timeout SECONDS] [--log-dir DIR] [--memory SIZE]
#                     [--icount] [--kernel IMAGE --root DIR] -- CMD [ARG...]
#
# --icount (TESTBED=vm) runs the VM on QEMU's instruction counter instead
# of the host's clock: one vCPU, single-threaded TCG, guest time advancing
# 1 ns per instruction and jumping over idle time (-icount shift=0,
# sleep=off,align=off).  What the guest sees no longer depends on how busy
# the host is; only the wall time it takes does (about 10 s per second of
# busy guest time).
#
# --kernel boots another kernel image in the VM with DIR (a chroot of its
# distribution, with its modules) as the guest's root filesystem; the
# project and log directories appear in the guest at their host paths.
#
# The project directory is shared with the guest read-write (results/
# lands on the host; under uml the whole host filesystem is the guest's
# root, with /tmp, /run and /var/tmp on tmpfs of its own, and the project
# and log directories mounted from the host again where they lie there).  The command's exit status is propagated; on
# timeout the run fails with status 124 and says so.  The kernel log
# (dmesg) is saved to LOG_DIR/dmesg.log (default results/vm); a guest's is
# also written to LOG_DIR/dmesg-live.log as it comes, so that a guest
# stopped at the time limit leaves its log behind.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=900
log_dir="$top/results/vm"
memory=2G
kernel=
root=
icount=0

usage() { sed -n '2,/^set /{/^set /d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--log-dir) log_dir=$2; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--root) root=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "vm-run: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "vm-run: no command given (see --help)" >&2; exit 2; }
case "$timeout_s" in '' | *[!0-9]*) echo "vm-run: --timeout must be whole seconds" >&2; exit 2 ;; esac
mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)
if [ -n "$kernel$root" ]; then
	if [ -z "$kernel" ] || [ -z "$root" ]; then
		echo "vm-run: --kernel and --root go together" >&2
		exit 2
	fi
	[ -r "$kernel" ] || { echo "vm-run: --kernel $kernel: no such image" >&2; exit 2; }
	[ -x "$root/bin/sh" ] || { echo "vm-run: --root $root: not a root filesystem" >&2; exit 2; }
fi

testbed=${TESTBED:-auto}
[ -z "$kernel" ] || testbed=vm             # another kernel: only a VM can run it
export DCTESTBED_CLOCK=wall
[ "$testbed" = uml ] && DCTESTBED_CLOCK=virtual
if [ "$testbed" = auto ]; then
	if [ -e /proc/modules ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
		testbed=native
	else
		testbed=vm
	fi
fi

# The guest side: run the command, keep its status, save the kernel log
printf -v cmd '%q ' "$@"
inner="cd $(printf '%q' "$top") && { $cmd; }; rc=\$?; dmesg > $(printf '%q' "$log_dir/dmesg.log"); exit \$rc"
# in a guest, the kernel log also streams to LOG_DIR/dmesg-live.log as it is
# written: a guest stopped at the time limit leaves its log on the host
[ "$testbed" = native ] ||
	inner="export DCTESTBED_CLOCK=$DCTESTBED_CLOCK; (dmesg -w > $(printf '%q' "$log_dir/dmesg-live.log") 2>&1 &); $inner"

case "$testbed" in
native)
	echo "vm-run: native testbed, kernel $(uname -r)"
	set +e
	timeout -k 10 "$timeout_s" bash -c "$inner"
	rc=$?
	;;
vm)
	dirs=(--rwdir "$top" --rwdir "$log_dir")
	if [ -n "$root" ]; then
		# a --rwdir must lie inside the guest's root: mount them at their host paths
		mkdir -p "$root$top" "$root$log_dir"
		dirs=(--root "$root" "--rwdir=$top=$top" "--rwdir=$log_dir=$log_dir")
	else
		# the guest kernel is the one whose headers the modules were built against
		kdir=${KDIR:-$("$top/scripts/kdir.sh")}
		case "$kdir" in
		*/linux-headers-*) ver=${kdir##*/linux-headers-} ;;
		/lib/modules/*/build) ver=${kdir#/lib/modules/}; ver=${ver%/build} ;;
		*) echo "vm-run: cannot tell the kernel version of KDIR=$kdir" >&2; exit 2 ;;
		esac
		kernel=/boot/vmlinuz-$ver
		[ -r "$kernel" ] || { echo "vm-run: $kernel missing (run scripts/setup.sh vm)" >&2; exit 2; }
	fi
	command -v vng >/dev/null || { echo "vm-run: vng missing (run scripts/setup.sh vm)" >&2; exit 2; }
	kvm=--disable-kvm
	if grep -qsE '^(kvm_intel|kvm_amd) ' /proc/modules || [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
		kvm=
	fi
	cpus=(--cpus 2)
	if [ "$icount" -eq 1 ]; then
		kvm=--disable-kvm
		cpus=(--cpus 1 --qemu-opts "-icount shift=0,sleep=on,align=off")
	fi
	echo "vm-run: booting $kernel with virtme-ng ${kvm:-(KVM)}$([ "$icount" -eq 0 ] || echo ", on QEMU's instruction counter"), time limit ${timeout_s}s"
	set +e
	# not --foreground: on expiry timeout signals its whole process group,
	# so QEMU (a child of vng) stops too
	# both through a pipe: QEMU reopens its stdout and stderr with
	# truncation, which would erase what was written to a regular file
	# (a log the caller redirects both to) before the guest booted; the
	# pipe stamps each line with the host's wall clock (the guest's may
	# be QEMU's instruction counter)
	# shellcheck disable=SC2086 # $kvm is empty or one flag
	timeout -k 10 "$timeout_s" \
		vng --run "$kernel" $kvm "${cpus[@]}" --memory "$memory" \
		"${dirs[@]}" --exec "$inner" </dev/null 2>&1 |
		PYTHONPATH="$top/mininet" /usr/bin/python3 -m dctestbed.wallclock
	rc=${PIPESTATUS[0]}
	;;
uml)
	# the guest mounts tmpfs over /tmp, /run and /var/tmp: the project and
	# log directories it must see there are mounted from the host again
	shares=()
	for d in "$top" "$log_dir"; do
		case "$d/" in
		/tmp/* | /run/* | /var/tmp/*)
			case "$d" in
			*[[:space:],]*)
				echo "vm-run: $d: a directory under /tmp, /run or /var/tmp must not contain blanks or commas for the User-Mode Linux guest to mount it" >&2
				exit 2
				;;
			esac
			shares+=("$d")
			;;
		esac
	done
	share=
	[ ${#shares[@]} -eq 0 ] || share="dctestbed.share=$(IFS=,; echo "${shares[*]}")"
	# the kernel's build directory, then this tree's modules built for it
	built=$("$top/scripts/uml-kernel.sh" --modules) || exit 2
	build=${built%%$'\n'*}
	mods=${built#*$'\n'}
	# the guest runs a script of ours as its first process (scripts/uml/init.sh)
	run="$log_dir/uml-run.sh"
	# the timer rate the guest was asked for (scripts/uml-kernel.sh: UML_HZ)
	printf 'export UML_HZ=%q\n%s\n' "${UML_HZ:-250}" "$inner" >"$run"
	rm -f "$run.rc"
	echo "vm-run: booting User-Mode Linux $(basename "$build") at HZ=${UML_HZ:-250} in virtual time (time-travel=inf-cpu), time limit ${timeout_s}s"
	set +e
	# UML's memory is a file in $TMPDIR (default /dev/shm); its console is
	# this terminal, quiet but for the command's own output, each line
	# stamped with the host's wall clock (the guest has only its virtual one)
	timeout -k 10 "$timeout_s" "$build/linux" "mem=$memory" root=/dev/root rootfstype=hostfs \
		rootflags=/ rw "init=$top/scripts/uml/init.sh" "dctestbed.run=$run" \
		"dctestbed.modules=$build/root/lib/modules" "dctestbed.extra=$mods" \
		${share:+"$share"} time-travel=inf-cpu con0=fd:0,fd:1 con=null quiet </dev/null |
		PYTHONPATH="$top/mininet" /usr/bin/python3 -m dctestbed.wallclock
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ]; then
		# the kernel's own status is that of its poweroff: the command's is in the .rc file
		rc=$(cat "$run.rc" 2>/dev/null || echo 1)
	fi
	;;
*)
	echo "vm-run: TESTBED must be auto, vm, uml or native (got '$testbed')" >&2
	exit 2
	;;
esac
set -e
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "vm-run: time limit of ${timeout_s}s reached: the command was stopped" >&2
	exit 124
fi
echo "vm-run: exit status $rc; kernel log in $log_dir/dmesg.log"
exit "$rc"
