#!/usr/bin/env bash
# Guest side of make compat's boot check: in a kernel other than 6.1
# (booted by scripts/compat-build.sh --boot with its Debian release as the
# root filesystem), load the modules built for it, run one ECN connection
# under each between two namespaces, and print what ss saw; then, when the
# BPF builds made for this kernel's types are there (BUILD_DIR/bpf), run
# their kernel tests (tests/kernel/test_14_bpf.py) as make test does on 6.1.
#   tests/compat/smoke.sh BUILD_DIR
# Ends with "N passed, N failed".
set -euo pipefail
build=${1:?usage: tests/compat/smoke.sh BUILD_DIR}
passed=0 failed=0
check() {
	if eval "$2"; then
		passed=$((passed + 1))
		echo "PASS $(uname -r): $1"
	else
		failed=$((failed + 1))
		echo "FAIL $(uname -r): $1"
	fi
}

for m in sch_netem veth tcp_dctcp; do modprobe "$m" 2>/dev/null || true; done
for cc in xdctcp tdctcp; do
	check "insmod tcp_$cc.ko" "insmod $build/tcp_$cc.ko"
done
sysctl -qw net.ipv4.tcp_allowed_congestion_control="reno cubic dctcp xdctcp tdctcp"
ip netns add a
ip netns add b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.9.0.1/24 dev eth0
ip -n b addr add 10.9.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a link set lo up
ip -n b link set lo up
# the kernel's own dctcp first: what ECN negotiation looks like on this kernel
for cc in dctcp xdctcp tdctcp; do
	# the namespaces' defaults, not iperf3 -C: a congestion control needing
	# ECN must be chosen before the SYN, and iperf3 3.18 sets it later
	ip netns exec a sysctl -qw net.ipv4.tcp_congestion_control="$cc"
	ip netns exec b sysctl -qw net.ipv4.tcp_congestion_control="$cc"
	ip netns exec b iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	sleep 1
	ip netns exec a iperf3 -c 10.9.0.2 -t 3 -b 50M >/dev/null 2>&1 &
	client=$!
	sleep 2
	seen=$(ip netns exec a ss -tinH dst 10.9.0.2)
	echo "$seen" | grep -E "$cc|dctcp" | head -n 2
	check "$cc connection negotiated ECN (dctcp record in ss)" \
		"echo \"\$seen\" | grep -q '$cc ' && echo \"\$seen\" | grep -q 'dctcp:(ce_state'"
	check "$cc transfer completed" "wait $client"
	wait || true
done
ip netns del a
ip netns del b
sleep 2
# The BPF builds' kernel tests, on this kernel
if [ -f "$build/bpf/tcp_tdctcp.bpf.o" ]; then
	top=$(cd "$(dirname "$0")/../.." && pwd)
	logs=${SMOKE_LOG_DIR:-/tmp}/kernel-tests
	mkdir -p "$logs"
	# those two files only: the others import the Mininet testbed, not installed here
	(cd "$top" && DCTESTBED_MODULE_DIR=$build BPF_OBJECTS=$build/bpf KERNEL_TEST_LOG_DIR=$logs \
		python3 -m pytest -v -rA -p no:cacheprovider tests/kernel/test_14_bpf.py \
		tests/kernel/test_99_dmesg.py >"$logs/pytest.log" 2>&1) || true
	grep -E '^(PASSED|FAILED|ERROR) ' "$logs/pytest.log" | sed "s/^/  /" || true
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/pytest.log" 2>/dev/null | tail -n 1) || line=
	check "BPF kernel tests (tests/kernel/test_14_bpf.py): ${line:-no result}" \
		"[ -n \"$line\" ] && [ \"\${line#*, }\" = '0 failed' ]"
fi
for cc in xdctcp tdctcp; do
	check "rmmod tcp_$cc" "rmmod tcp_$cc"
done
if dmesg | grep -qE 'WARNING|BUG|Oops|cut here'; then
	failed=$((failed + 1))
	dmesg | grep -E -A5 'WARNING|BUG|Oops|cut here' | head -n 30
else
	passed=$((passed + 1))
	echo "PASS $(uname -r): kernel log clean"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
