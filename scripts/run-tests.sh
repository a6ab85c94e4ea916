#!/usr/bin/env bash
# The project's test runner (make test): builds the modules, runs the
# unit tests of the kernel code, the static checks and the in-kernel tests
# (in the VM testbed), and prints one closing line "N passed, N failed"
# over all of them.
#
#   scripts/run-tests.sh [STEP...]
#       steps: build unit mutants fuzz testbed checkpatch upstream sparse lint
#              install dkms kernel dkms-remove virtual
#
# FUZZ_SECONDS (default 20) bounds the fuzzing of each module here;
# make stress fuzzes longer.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KDIR=${KDIR:-$(scripts/kdir.sh)}
export KDIR
log_dir="$top/results/test-logs"
mkdir -p "$log_dir"

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }

# Add a sub-runner's "N passed, N failed[, N skipped]" to the totals
tally() {
	local line p f s=0
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1) || true
	if [ -z "$line" ]; then
		fail "$2: no result line (see $1)"
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	case "$line" in *skipped*) s=${line##*failed, }; s=${s%% skipped*} ;; esac
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	printf '%s %s: %s\n' "$([ "$f" -eq 0 ] && echo PASS || echo FAIL)" "$2" "$line"
}

step_build() {
	local log="$log_dir/build.log"
	echo "== build: modules against $KDIR with W=1"
	make -s clean >/dev/null 2>&1 || true
	if make W=1 modules >"$log" 2>&1 && ! grep -qE 'warning:|error:' "$log"; then
		pass "build: tcp_xdctcp.ko and tcp_tdctcp.ko, no warnings with W=1"
	else
		grep -E 'warning:|error:' "$log" | head -n 20 || tail -n 20 "$log"
		fail "build (log: $log)"
		return
	fi
	if make -s bpf >"$log_dir/bpf-build.log" 2>&1; then
		pass "build: bpf/build/tcp_xdctcp.bpf.o and tcp_tdctcp.bpf.o with clang -Werror"
	else
		tail -n 20 "$log_dir/bpf-build.log"
		fail "make bpf (log: $log_dir/bpf-build.log)"
	fi
	local ko n_src n_info
	for ko in tcp_xdctcp tcp_tdctcp; do
		n_src=$(grep -c '^module_param_cb(' "$ko.c")
		n_info=$(modinfo -F parm "./$ko.ko" | grep -c '(range .*, default ')
		if [ "$n_src" -gt 0 ] && [ "$n_src" -eq "$n_info" ]; then
			pass "modinfo $ko.ko: all $n_src parameters with unit, range and default"
		else
			fail "modinfo $ko.ko: $n_info of $n_src parameters documented"
		fi
	done
}

step_unit() {
	local t log
	echo "== unit: the modules' C compiled in user space, ASan + UBSan"
	make -s -C tests/unit all >"$log_dir/unit-build.log" 2>&1 ||
		{ tail -n 30 "$log_dir/unit-build.log"; fail "unit tests build"; return; }
	for t in tests/unit/build/test_*; do
		log="$log_dir/$(basename "$t").log"
		"$t" >"$log" 2>&1 || true
		grep -E '^not ok|^#' "$log" | head -n 40 || true
		tally "$log" "unit $(basename "$t")"
	done
}

step_mutants() {
	local log="$log_dir/mutants.log"
	echo "== mutants: each breaks one rule of the kernel code; the unit tests must fail"
	/usr/bin/python3 tests/unit/mutants.py >"$log" 2>&1 || true
	grep -E '^not ok' "$log" || true
	tally "$log" "mutants killed by the unit tests"
}

kver() { scripts/kver.sh "$KDIR"; }

# would modprobe -S kver load module from a path matching where?
resolves() {
	modprobe -n -v -S "$1" "$2" 2>/dev/null | grep -q -- "$3"
}

step_install() {
	local log="$log_dir/install.log" kv m ok=1
	kv=$(kver)
	echo "== install: make install / make uninstall for $kv"
	if make install KVER="$kv" >"$log" 2>&1; then
		for m in tcp_xdctcp tcp_tdctcp; do
			resolves "$kv" "$m" "/lib/modules/$kv/updates/$m.ko" || ok=0
		done
	else
		ok=0
	fi
	if [ "$ok" -eq 1 ]; then
		pass "make install: both modules in /lib/modules/$kv/updates, modprobe finds them"
	else
		tail -n 20 "$log"
		fail "make install (log: $log)"
	fi
	ok=1
	make uninstall KVER="$kv" >>"$log" 2>&1 || ok=0
	for m in tcp_xdctcp tcp_tdctcp; do
		[ ! -e "/lib/modules/$kv/updates/$m.ko" ] && ! resolves "$kv" "$m" "/updates/$m.ko" || ok=0
	done
	if [ "$ok" -eq 1 ]; then
		pass "make uninstall: modules gone, modprobe no longer finds them"
	else
		fail "make uninstall (log: $log)"
	fi
}

# DKMS builds and installs for the VM's kernel here; test_00_packaging.py
# loads the result in the guest; dkms-remove takes it away afterwards
dkms_installed=
step_dkms() {
	local log="$log_dir/dkms.log" kv
	kv=$(kver)
	echo "== dkms: make dkms-install for $kv (add, build, install)"
	if make dkms-install KVER="$kv" >"$log" 2>&1 &&
		dkms status xdctcp-tdctcp | grep -q "$kv.*installed" &&
		resolves "$kv" tcp_xdctcp /updates/dkms/ && resolves "$kv" tcp_tdctcp /updates/dkms/; then
		pass "dkms: added, built and installed for $kv; modprobe finds both in updates/dkms"
		dkms_installed=$kv
	else
		tail -n 20 "$log"
		fail "dkms install (log: $log)"
	fi
}

step_dkms-remove() {
	local log="$log_dir/dkms.log" kv
	kv=$(kver)
	echo "== dkms-remove"
	if make dkms-remove >>"$log" 2>&1 && ! dkms status xdctcp-tdctcp | grep -q . &&
		! resolves "$kv" tcp_xdctcp /updates/dkms/; then
		pass "dkms-remove: nothing of the package left"
	else
		tail -n 20 "$log"
		fail "dkms-remove (log: $log)"
	fi
}

# Where the kernel step runs: a VM, or this host when it can load modules
# (as scripts/vm-run.sh decides)
kernel_testbed() {
	case "${TESTBED:-auto}" in
	auto)
		if [ -e /proc/modules ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
			echo native
		else
			echo vm
		fi
		;;
	*) echo "$TESTBED" ;;
	esac
}

# The kernel step.  In the VM (Debian's own kernel under QEMU) it runs what
# User-Mode Linux cannot: the DKMS-built modules and the BPF builds (tests
# marked debian), on QEMU's instruction counter, so that what the guest sees
# does not depend on the host's load; in the background, beside the virtual
# step (each keeps one core busy), and waited for before dkms-remove.  On a
# host that can load modules the default selection runs here, in the
# foreground.  A VM that reaches its time limit fails the step: its own log
# (vm.log, the guest's pytest.log and dmesg-live.log) stays in
# results/kernel-tests/.
kernel_pid=
kernel_out="$top/results/kernel-tests"
step_kernel() {
	local where
	where=$(kernel_testbed)
	rm -f "$kernel_out/pytest.log" "$kernel_out/vm.log" "$kernel_out/dmesg-live.log"
	mkdir -p "$kernel_out"
	if [ "$where" = native ]; then
		echo "== kernel: in-kernel tests on this host (KERNEL_TESTS=${KERNEL_TESTS:-default})"
		TESTBED=native scripts/vm-run.sh --timeout "${KERNEL_VM_TIMEOUT:-2400}" \
			--log-dir "$kernel_out" -- env KERNEL_TESTS="${KERNEL_TESTS:-}" \
			DKMS_INSTALLED="$dkms_installed" tests/kernel/run.sh || true
		tally_kernel
		return
	fi
	echo "== kernel: the DKMS and BPF kernel tests in Debian's kernel, on QEMU's instruction counter (in the background: $kernel_out/vm.log)"
	# the guest does not inherit this environment: pass the selection on
	TESTBED=vm scripts/vm-run.sh --icount --timeout "${KERNEL_VM_TIMEOUT:-2400}" \
		--log-dir "$kernel_out" -- env KERNEL_TESTS="${KERNEL_TESTS:-debian}" \
		DKMS_INSTALLED="$dkms_installed" tests/kernel/run.sh >"$kernel_out/vm.log" 2>&1 &
	kernel_pid=$!
}

tally_kernel() {
	if [ -f "$kernel_out/pytest.log" ]; then
		tally "$kernel_out/pytest.log" "kernel tests (log: $kernel_out/pytest.log, dmesg: $kernel_out/dmesg.log)"
	else
		fail "kernel tests did not run (see $kernel_out/vm.log)"
	fi
}

wait_kernel() {
	local rc=0
	[ -n "$kernel_pid" ] || return 0
	echo "== (waiting for the kernel step's VM)"
	wait "$kernel_pid" || rc=$?
	kernel_pid=
	grep -E '^tests/kernel/.* (FAILED|ERROR)|^E ' "$kernel_out/pytest.log" 2>/dev/null | head -n 20 || true
	if [ "$rc" -eq 124 ]; then
		tail -n 5 "$kernel_out/vm.log"
		fail "kernel tests: the VM reached its time limit (${KERNEL_VM_TIMEOUT:-2400} s; its logs: $kernel_out/vm.log, pytest.log, dmesg-live.log)"
	else
		tally_kernel
	fi
}

# The virtual-time testbed (User-Mode Linux, built by scripts/uml-kernel.sh
# on first use), two guests (User-Mode Linux runs on one core): every
# in-kernel test but those that need Debian's kernel and the stress suite
# in one, the routed fat-tree and the SSH testbed (tests/virtual) with the
# kernel log check in the other, started with the first step.  Then the
# same small incast on an idle and on a fully loaded host must give the
# same medians within 2 %; and the guest must see a log directory (a
# checkout) under /tmp.
uml_guest() {
	local out=$1 paths=$2
	rm -f "$out/pytest.log"
	mkdir -p "$out"
	TESTBED=uml scripts/vm-run.sh --timeout "${VIRTUAL_VM_TIMEOUT:-2400}" --memory 2G \
		--log-dir "$out" -- env KERNEL_TEST_LOG_DIR="$out" tests/virtual/run.sh --paths "$paths" \
		>"$out/vm.log" 2>&1
}

tally_uml() {
	local out=$1 what=$2 rc=$3
	grep -E '^tests/.* (FAILED|ERROR)|^E ' "$out/pytest.log" 2>/dev/null | head -n 20 || true
	if [ "$rc" -eq 124 ]; then
		tail -n 5 "$out/vm.log"
		fail "$what: the guest reached its time limit (${VIRTUAL_VM_TIMEOUT:-2400} s; its logs: $out/vm.log, pytest.log, dmesg-live.log)"
	elif [ -f "$out/pytest.log" ]; then
		tally "$out/pytest.log" "$what (log: $out/pytest.log, dmesg: $out/dmesg.log)"
	else
		tail -n 20 "$out/vm.log"
		fail "$what did not run (log: $out/vm.log)"
	fi
}

step_virtual() {
	local kernel_uml="$top/results/kernel-tests-uml" rc=0
	echo "== virtual: the in-kernel tests in virtual time ($kernel_uml/vm.log)"
	uml_guest "$kernel_uml" tests/kernel || rc=$?
	tally_uml "$kernel_uml" "virtual-time kernel tests" "$rc"
	wait_virtual_early
	step_host_load
	step_tmp_share
}

# A checkout under /tmp: the User-Mode Linux guest mounts its own tmpfs
# there, and must mount the log directory (and a checkout) from the host
step_tmp_share() {
	local dir
	dir=$(mktemp -d /tmp/dctcp-share.XXXXXX)
	echo "== virtual: a log directory under /tmp reaches the User-Mode Linux guest"
	if TESTBED=uml scripts/vm-run.sh --timeout 300 --log-dir "$dir" -- \
		sh -c "uname -r > $dir/seen" >"$log_dir/tmp-share.log" 2>&1 &&
		grep -q . "$dir/seen" 2>/dev/null; then
		pass "virtual time: a log directory under /tmp is the host's inside the guest"
	else
		tail -n 10 "$log_dir/tmp-share.log"
		fail "virtual time: the guest could not write a log directory under /tmp (log: $log_dir/tmp-share.log)"
	fi
	rm -rf "$dir"
}

step_host_load() {
	local out="$top/results/kernel-tests-uml/host-load" log="$log_dir/host-load.log"
	echo "== virtual: an incast in virtual time, on an idle host and with every host core busy"
	if scripts/host-load.sh --check --out "$out" >"$log" 2>&1; then
		pass "virtual time: the loaded host's medians within 2 % of the idle host's ($(grep -o 'largest change [0-9.]* %' "$out/host-load.md"); $(cat "$out/idle.seconds") s and $(cat "$out/loaded.seconds") s of wall time)"
	else
		tail -n 25 "$log"
		fail "virtual time: host load moved the results, or the run failed (log: $log)"
	fi
}

step_fuzz() {
	local log="$log_dir/fuzz.log" m
	echo "== fuzz: the committed corpus, then libFuzzer for ${FUZZ_SECONDS:-20} s per module"
	if make -s -C tests/fuzz replay >"$log" 2>&1; then
		for m in tdctcp xdctcp; do
			pass "fuzz corpus $m: $(grep "^$m:" "$log" | sed "s/^$m: //")"
		done
	else
		tail -n 30 "$log"
		fail "fuzz corpus replay (log: $log)"
	fi
	if make -s -C tests/fuzz fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}" >>"$log" 2>&1; then
		pass "fuzz: libFuzzer with ASan and UBSan, no crash or broken invariant ($(grep -c '^stat::number_of_executed_units' "$log") modules, $(awk '/^stat::number_of_executed_units/ {n += $2} END {print n}' "$log") inputs)"
	else
		tail -n 30 "$log"
		fail "fuzz: a crash or broken invariant; the input is in tests/fuzz/build/crash-* (log: $log)"
	fi
}

step_lint() {
	local log="$log_dir/lint.log"
	echo "== lint: shellcheck and ruff"
	if shellcheck scripts/*.sh scripts/bpf-cc scripts/uml/*.sh tests/*/*.sh .ci/run >"$log" 2>&1 &&
		ruff check --quiet . >>"$log" 2>&1; then
		pass "lint: shellcheck and ruff clean"
	else
		head -n 40 "$log"
		fail "lint (log: $log)"
	fi
}

step_testbed() {
	local log="$log_dir/testbed-unit.log"
	echo "== testbed: unit tests of the Mininet testbed's pure parts"
	# matplotlib's font cache where the testbed keeps it (dctestbed/__main__.py):
	# built here at native speed, not later in the emulated guest
	MPLCONFIGDIR="$top/.tools/mpl" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/bench \
		>"$log" 2>&1 || true
	grep -E '^FAILED|^E ' "$log" | head -n 20 || true
	tally "$log" "testbed unit tests"
}

step_checkpatch() {
	local log="$log_dir/checkpatch.log"
	echo "== checkpatch --strict"
	if scripts/checkpatch.sh >"$log" 2>&1 && ! grep -qE '^(ERROR|WARNING|CHECK)|: (ERROR|WARNING|CHECK):' "$log"; then
		pass "checkpatch --strict: no reports"
	else
		head -n 40 "$log"
		fail "checkpatch (log: $log)"
	fi
}

step_upstream() {
	local log="$log_dir/upstream.log"
	echo "== upstream: the kernel patches in docs/upstream/"
	if scripts/upstream-check.sh >"$log" 2>&1; then
		while read -r line; do
			pass "${line#upstream-check: }"
		done < <(grep '^upstream-check: ' "$log")
	else
		tail -n 30 "$log"
		fail "upstream patches (log: $log)"
	fi
}

step_sparse() {
	local log="$log_dir/sparse.log"
	echo "== sparse (make C=2)"
	if make -C "$KDIR" M="$top" C=2 modules >"$log" 2>&1 &&
		! grep -qE 'warning:|error:' "$log"; then
		pass "sparse: no reports"
	else
		grep -E 'warning:|error:' "$log" | head -n 20 || tail -n 20 "$log"
		fail "sparse (log: $log)"
	fi
}

# The virtual step's second guest (the routed fat-tree, the SSH testbed and
# the kernel log check) needs nothing the other steps make, so it starts
# with the first step, in the background, after building User-Mode Linux
# on a machine's first run (minutes of CPU); the virtual step waits for it.
virtual_pid=
virtual_uml="$top/results/virtual-tests-uml"
start_virtual_early() {
	local build_log="$log_dir/uml-build.log"
	echo "== (virtual time: the fat-tree and SSH testbed guest starts in the background: $virtual_uml/vm.log)"
	mkdir -p "$virtual_uml"
	rm -f "$virtual_uml/rc"
	(
		if ! scripts/uml-kernel.sh --cached 2>/dev/null; then
			# a failed build shows in the guest's vm.log, which builds it again and says why
			nice scripts/uml-kernel.sh --modules >"$build_log" 2>&1 || true
		fi
		rc=0
		uml_guest "$virtual_uml" tests/virtual,tests/kernel/test_99_dmesg.py || rc=$?
		echo "$rc" >"$virtual_uml/rc"
	) &
	virtual_pid=$!
}
wait_virtual_early() {
	[ -n "$virtual_pid" ] || return 0
	echo "== (waiting for the fat-tree and SSH testbed guest)"
	wait "$virtual_pid" || true
	virtual_pid=
	tally_uml "$virtual_uml" "virtual-time testbed tests" "$(cat "$virtual_uml/rc" 2>/dev/null || echo 1)"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] &&
	steps=(build unit mutants fuzz testbed checkpatch upstream sparse lint install dkms kernel virtual dkms-remove)
for s in "${steps[@]}"; do
	case "$s" in
	build | unit | mutants | fuzz | testbed | checkpatch | upstream | sparse | lint | install | dkms | kernel | dkms-remove | virtual) ;;
	*) echo "run-tests: unknown step '$s'" >&2; exit 2 ;;
	esac
done
case " ${steps[*]} " in *" virtual "*) start_virtual_early ;; esac
for s in "${steps[@]}"; do
	case "$s" in
	dkms-remove) wait_kernel ;;
	esac
	"step_$s"
done
wait_virtual_early
wait_kernel

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
