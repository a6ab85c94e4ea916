#!/bin/sh
# PID 1 of the User-Mode Linux testbed (scripts/vm-run.sh, TESTBED=uml).
# The guest's root is the host's / through hostfs; everything a run
# writes outside the project and log directories stays in the guest
# (tmpfs over /tmp, /run, /var/tmp).  The kernel command line names
#   dctestbed.run=FILE      the shell script to run
#   dctestbed.modules=DIR   this kernel's /lib/modules
#   dctestbed.extra=DIR     this tree's modules built for this kernel
#                           (DCTESTBED_MODULE_DIR for the testbed and tests)
#   dctestbed.share=D1,D2   host directories under /tmp, /run or /var/tmp
#                           (a checkout there) mounted again over the tmpfs
# and FILE.rc receives the script's exit status before the guest powers off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp; do
	mount -t tmpfs tmpfs "$d"
done
# host directories under those the command needs (a checkout in /tmp)
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case "$arg" in
	dctestbed.share=*)
		shares=${arg#dctestbed.share=}
		IFS=,
		for d in $shares; do
			mkdir -p "$d"
			mount -t hostfs hostfs "$d" -o "$d"
		done
		unset IFS
		;;
	esac
done
mkdir -p /run/netns /run/lock
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

run=''
modules=''
DCTESTBED_CLOCK=virtual
export DCTESTBED_CLOCK
for arg in $cmdline; do
	case "$arg" in
	dctestbed.run=*) run=${arg#dctestbed.run=} ;;
	dctestbed.modules=*) modules=${arg#dctestbed.modules=} ;;
	dctestbed.extra=*) DCTESTBED_MODULE_DIR=${arg#dctestbed.extra=}; export DCTESTBED_MODULE_DIR ;;
	esac
done
if [ -n "$modules" ]; then
	# the root is the host's file system: a host whose own kernel has no
	# modules (a container) may have no /lib/modules to mount on
	mkdir -p /lib/modules
	mount --bind "$modules" /lib/modules ||
		echo "uml init: cannot mount this kernel's modules on /lib/modules" >&2
fi
hostname dctestbed-uml
ip link set lo up
export HOME=/root TERM=dumb
if [ -n "$run" ] && [ -r "$run" ]; then
	bash "$run" </dev/null
	echo $? >"$run.rc"
else
	echo "uml init: no dctestbed.run= script on the command line" >&2
fi
sync
exec busybox poweroff -f
