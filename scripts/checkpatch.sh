#!/usr/bin/env bash
# Run the kernel's checkpatch.pl --strict over the module sources.
# checkpatch.pl comes from Debian's linux-source tarball
# (scripts/linux-source.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$top/scripts/linux-source.sh" scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch)

cd "$top"
checkpatch() { perl "$dir/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types "$@"; }
checkpatch -f tcp_dctcp_base.h tcp_xdctcp.c tcp_tdctcp.c tcp_tdctcp_trace.h
# The compatibility header exists to test kernel versions, which in-tree
# code must not do: it is the one file that would stay out of an upstream
# submission, and the only one excused from that rule.
checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f tcp_dctcp_compat.h
# The BPF build.  Its compatibility header restates kernel macros
# (READ_ONCE()'s volatile access; min_t() and clamp_t() name their type
# twice, as the kernel's do) and declares the kfuncs as BPF programs must
# (extern ... __ksym): like tcp_dctcp_compat.h it has no place upstream,
# and those three reports are excused there alone.
checkpatch --ignore VOLATILE,AVOID_EXTERNS,MACRO_ARG_REUSE -f tcp_dctcp_bpf.h
checkpatch -f bpf/dctcp_info.bpf.h bpf/tcp_xdctcp.bpf.c bpf/tcp_tdctcp.bpf.c
