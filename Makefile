# SPDX-License-Identifier: GPL-2.0
#
# make                 build tcp_xdctcp.ko and tcp_tdctcp.ko against KDIR
# make KDIR=/path      ... against another kernel's build directory
# make test            set up, build, unit tests, static checks
# make unit | check    unit tests | checkpatch and sparse only
# make kernel-test     the in-kernel tests on the testbed (VM unless TESTBED=native)
# make testbed-check   the slow testbed tests (Mininet k=4 fat-tree pingall, ~14 min)
# make setup           install what the above need (Debian/Ubuntu, root)
# make clean

KDIR ?= $(shell scripts/kdir.sh)
export KDIR

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build directory: pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tests/unit clean

setup:
	scripts/setup.sh

unit:
	scripts/run-tests.sh unit

check:
	scripts/run-tests.sh checkpatch sparse

kernel-test:
	scripts/setup.sh
	scripts/run-tests.sh build kernel

bench:
	@echo "make bench: the incast benchmark is not built yet (issue 4); see README, Status" >&2
	@exit 2

testbed-check:
	scripts/setup.sh
	KERNEL_TESTS=slow scripts/run-tests.sh build kernel

test:
	scripts/setup.sh
	scripts/run-tests.sh

.PHONY: all modules clean setup unit check kernel-test testbed-check bench test
