#!/usr/bin/env bash
# Guest side of the virtual-time tests, run by scripts/run-tests.sh's
# virtual step on the User-Mode Linux testbed (TESTBED=uml scripts/vm-run.sh):
# every in-kernel test (tests/kernel) but those that need Debian's own
# kernel (marked debian: the QEMU VM runs them), the stress suite and the
# slow ones, the kernel log check, and tests/virtual.
# The log goes to results/kernel-tests-uml/ (KERNEL_TEST_LOG_DIR elsewhere).
#   tests/virtual/run.sh [--paths PATH,...] [PYTEST-ARGS...]
# --paths runs those test files or directories instead of both directories
# (make test splits them over two guests side by side).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export KERNEL_TEST_LOG_DIR=${KERNEL_TEST_LOG_DIR:-$top/results/kernel-tests-uml}
out=$KERNEL_TEST_LOG_DIR
mkdir -p "$out"
cd "$top"
paths=(tests/kernel tests/virtual)
if [ "${1:-}" = --paths ]; then
	IFS=, read -r -a paths <<<"$2"
	shift 2
fi
echo "virtual-tests: guest kernel $(uname -r), clock ${DCTESTBED_CLOCK:-wall}"
set +e
/usr/bin/python3 -m pytest -v -rA -p no:cacheprovider --tb=short --durations=10 \
	-m "anywhere or not (slow or debian or stress)" "${paths[@]}" "$@" 2>&1 |
	tee "$out/pytest.log" | grep --line-buffered -E '^tests/|passed|failed|^E '
exit "${PIPESTATUS[0]}"
