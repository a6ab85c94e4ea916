# SPDX-License-Identifier: GPL-2.0
#
# make                 build tcp_xdctcp.ko and tcp_tdctcp.ko against KDIR
# make KDIR=/path      ... against another kernel's build directory
# make bpf             the same two as BPF struct_ops objects: bpf/build/*.bpf.o
#                      (load with scripts/bpf-cc load)
# make test            set up, build, unit tests, static checks
# make unit | check    unit tests | checkpatch and sparse only
# make kernel-test     the in-kernel tests on the testbed (VM unless TESTBED=native)
# make bench           the incast benchmark in virtual time (~15 min): results/bench/report.md
# make monitor-overhead  incast with and without monitors: results/monitor-overhead/overhead.md
# make bpf-cost        the BPF builds' cost against the modules: results/bpf-cost/cost.md
# make host-load       an incast on an idle and a loaded host, virtual time and VM: results/host-load/
# make testbed-check   the slow testbed tests (Mininet k=4 fat-tree pingall, ~14 min)
# make stress          stress, faults, fuzzing, long version (~1 h)
# make reproduce       the seeds' claims at their own operating points, in virtual time (~1 h): results/REPRODUCTION.md
# make install | uninstall          modules into /lib/modules/KVER/updates, depmod
# make dkms-install | dkms-remove   the same through DKMS (rebuilt for new kernels)
# make compat          compile against every Debian kernel header series (chroots)
# make setup           install what the above need (Debian/Ubuntu, root)
# make clean

# Looked up when a target uses it, never exported: a target that runs
# scripts/setup.sh first (bench, test) may install the headers it finds,
# and the scripts look KDIR up themselves unless it is given.
KDIR ?= $(shell scripts/kdir.sh)

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build directory: pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# vmlinux.h from the BTF of the kernel KDIR builds for (VMLINUX_BTF=FILE: another)
bpf:
	$(MAKE) -C bpf

# the kernel release KDIR builds for, and where make install puts the modules
KVER ?= $(shell scripts/kver.sh $(KDIR))
DKMS_NAME := xdctcp-tdctcp
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SOURCES := Kbuild dkms.conf tcp_dctcp_base.h tcp_dctcp_compat.h tcp_xdctcp.c tcp_tdctcp.c tcp_tdctcp_trace.h

# unsigned: Debian's headers ask for signing with a key only the distribution
# has; on a Secure Boot host use make dkms-install, which signs with DKMS's MOK
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
	depmod -a $(KVER)

uninstall:
	rm -f /lib/modules/$(KVER)/updates/tcp_xdctcp.ko* /lib/modules/$(KVER)/updates/tcp_tdctcp.ko*
	depmod -a $(KVER)

# after an earlier install: dkms-remove first replaces it
dkms-install: dkms-remove
	@command -v dkms >/dev/null || { echo "dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	mkdir -p /usr/src/$(DKMS_NAME)-$(DKMS_VERSION)
	cp $(DKMS_SOURCES) /usr/src/$(DKMS_NAME)-$(DKMS_VERSION)/
	dkms add -m $(DKMS_NAME) -v $(DKMS_VERSION)
	dkms build -m $(DKMS_NAME) -v $(DKMS_VERSION) -k $(KVER)
	dkms install -m $(DKMS_NAME) -v $(DKMS_VERSION) -k $(KVER)

dkms-remove:
	@if command -v dkms >/dev/null && dkms status -m $(DKMS_NAME) -v $(DKMS_VERSION) | grep -q .; then \
		dkms remove -m $(DKMS_NAME) -v $(DKMS_VERSION) --all; fi
	rm -rf /usr/src/$(DKMS_NAME)-$(DKMS_VERSION)

# compile against every kernel header series in Debian's archive (chroots
# in /var/cache/dctcp-compat): results/compat/compat.md
COMPAT_ARGS ?= --boot newest
compat:
	scripts/compat-build.sh $(COMPAT_ARGS)

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tests/unit clean
	$(MAKE) -C bpf clean

setup:
	scripts/setup.sh

unit:
	scripts/run-tests.sh unit

check:
	scripts/run-tests.sh checkpatch sparse

kernel-test:
	scripts/setup.sh
	scripts/run-tests.sh build kernel

# the incast comparison: five congestion controls, N = 4..96, 1 Gbit/s,
# 100 us base RTT, in virtual time (User-Mode Linux at UML_HZ, default 250;
# TESTBED=vm for the wall-clock VM, TESTBED=native on a host that can load
# modules); 10 warm queries in each of 10 repetitions: 100 values per point,
# the fewest a p99 is reported from
BENCH_ARGS ?= --n 4,16,32,48,64,96 --reps 10 --queries 11 --bytes 1000000 --k 20 --buffer 100 --jitter-us 10000
bench:
	EXPERIMENT_TIMEOUT=2400 scripts/experiment.sh incast $(BENCH_ARGS) --out results/bench

# the seeds' headline claims at their operating points, in virtual time (~1 h;
# TESTBED=vm: the wall-clock VM's 20 Mbit/s plan, ~1.5 h): results/REPRODUCTION.md
REPRODUCE_ARGS ?=
reproduce:
	scripts/reproduce.sh $(REPRODUCE_ARGS)

# stress, faults, bad input and fuzzing, long version (~1 h): results/stress/stress.md
stress:
	scripts/stress.sh

# what the BPF builds cost against the modules, in the VM (~3 min): results/bpf-cost/cost.md
bpf-cost:
	scripts/bpf-cost.sh

# what the monitors cost: the same incast with and without them (~15 min)
monitor-overhead:
	scripts/monitor-overhead.sh

# what the host's load does to the results, in virtual time and in the VM (~12 min)
host-load:
	scripts/host-load.sh --out results/host-load/uml
	TESTBED=vm scripts/host-load.sh --out results/host-load/vm

testbed-check:
	scripts/setup.sh
	KERNEL_TESTS=slow scripts/run-tests.sh build kernel

test:
	scripts/setup.sh
	scripts/run-tests.sh

.PHONY: all modules bpf bpf-cost clean setup unit check kernel-test testbed-check bench reproduce stress monitor-overhead host-load test install uninstall dkms-install dkms-remove compat
