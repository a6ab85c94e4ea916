#!/usr/bin/env bash
# Guest side of the virtual-time tests, run by scripts/run-tests.sh's
# virtual step on the User-Mode Linux testbed (TESTBED=uml scripts/vm-run.sh):
# the in-kernel tests whose result depends on throughput or timing
# (tests/kernel, marked virtual), the kernel log check, and tests/virtual.
# The log goes to results/kernel-tests-uml/ (KERNEL_TEST_LOG_DIR elsewhere).
#   tests/virtual/run.sh [PYTEST-ARGS...]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export KERNEL_TEST_LOG_DIR=${KERNEL_TEST_LOG_DIR:-$top/results/kernel-tests-uml}
out=$KERNEL_TEST_LOG_DIR
mkdir -p "$out"
cd "$top"
echo "virtual-tests: guest kernel $(uname -r), clock ${DCTESTBED_CLOCK:-wall}"
set +e
/usr/bin/python3 -m pytest -v -rA -p no:cacheprovider --tb=short --durations=10 \
	-m "anywhere or virtual" tests/kernel tests/virtual "$@" 2>&1 |
	tee "$out/pytest.log" | grep --line-buffered -E '^tests/|passed|failed|^E '
exit "${PIPESTATUS[0]}"
