"""Load, configure and inspect the BPF builds of xdctcp and tdctcp.

    scripts/bpf-cc load [CC...]          register bpf_xdctcp / bpf_tdctcp
    scripts/bpf-cc unload [CC...]        unregister them
    scripts/bpf-cc params CC             the parameters, with ranges
    scripts/bpf-cc set CC NAME=VALUE...  set parameters (checked as modprobe does)
    scripts/bpf-cc info [CC]             each socket's DCTCP record, as ss shows a module's
    scripts/bpf-cc counts [--reset]      tdctcp's decisions per case

CC is xdctcp or tdctcp (bpf_ prefix optional; load and unload default to
both).  Everything goes through bpftool.  The parameters, their ranges and
defaults are the modules' (module_param_cb and MODULE_PARM_DESC in
tcp_xdctcp.c and tcp_tdctcp.c, read from there): a value the module would
refuse with -EINVAL is refused here with status 22 and the old value kept.
"""

import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
# where make bpf wrote the objects (BPF_OBJECTS: another build's, e.g. for another kernel)
OBJECTS = Path(os.environ.get("BPF_OBJECTS") or TOP / "bpf" / "build")
CCS = ("xdctcp", "tdctcp")
EINVAL = 22
NR_CASES = 8


class Refused(Exception):
    """A request the module would refuse too (bad name or value)."""


def bpftool(*args, check=True):
    r = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
    if check and r.returncode:
        msg = r.stderr.strip() or r.stdout.strip()
        raise RuntimeError(f"bpftool {' '.join(args)}: {msg}")
    return json.loads(r.stdout) if r.stdout.strip() else None


def cc_name(arg):
    name = arg.removeprefix("bpf_")
    if name not in CCS:
        raise Refused(f"unknown congestion control '{arg}' (xdctcp or tdctcp)")
    return name


# -- parameters, as the module source declares them -------------------------

PARAM_RE = re.compile(r"^module_param_cb\((\w+), &\w+, &(\w+), 0\d+\);", re.M)
DESC_RE = re.compile(r'^MODULE_PARM_DESC\((\w+), ".*\(range (\w+)-(\w+), default (\d+)', re.M)


def module_params(cc, source=None):
    """{name: (variable, low, high, default)}; low/high an int or another name."""
    text = (source or TOP / f"tcp_{cc}.c").read_text()
    variables = dict(PARAM_RE.findall(text))
    out = {}
    for name, low, high, default in DESC_RE.findall(text):
        bound = [int(b) if b.isdigit() else b for b in (low, high)]
        out[name] = (variables[name], bound[0], bound[1], int(default))
    if set(out) != set(variables):
        raise RuntimeError(f"tcp_{cc}.c: parameters without a range: {set(variables) ^ set(out)}")
    return out


def parse_uint(text):
    """A value as the kernel's kstrtouint(s, 0) reads it, or Refused."""
    s = text.strip().removeprefix("+")
    base, digits = 10, "0123456789"
    if s[:2].lower() == "0x":
        s, base, digits = s[2:], 16, "0123456789abcdefABCDEF"
    elif len(s) > 1 and s[0] == "0":
        s, base, digits = s[1:], 8, "01234567"
    if not s or any(c not in digits for c in s):
        raise Refused(f"'{text}' is not an unsigned integer")
    value = int(s, base)
    if value > 0xFFFFFFFF:
        raise Refused(f"'{text}' does not fit 32 bits")
    return value


def check(params, values, name, value):
    """Refused unless NAME may be VALUE given the other current values."""
    if name not in params:
        raise Refused(f"no parameter '{name}' (have: {', '.join(params)})")
    _, low, high, _ = params[name]
    lo = values[low] if isinstance(low, str) else low
    hi = values[high] if isinstance(high, str) else high
    if not lo <= value <= hi:
        raise Refused(f"{name}={value}: out of range {lo}-{hi}"
                      + (f" ({low if isinstance(low, str) else high} is "
                         f"{lo if isinstance(low, str) else hi})"
                         if isinstance(low, str) or isinstance(high, str) else ""))


# -- the registered struct_ops and its maps ---------------------------------

def registered(cc):
    maps = bpftool("struct_ops", "show", check=False) or []
    return any(m.get("name") == f"bpf_{cc}" for m in maps)


def maps_of(cc):
    """{map name: map id} of the programs of the registered bpf_CC."""
    dump = bpftool("struct_ops", "dump", "name", f"bpf_{cc}", check=False)
    if not dump:
        raise Refused(f"bpf_{cc} is not registered (scripts/bpf-cc load {cc})")
    ops = next(v for d in dump for k, v in d.items() if k.startswith("bpf_struct_ops_"))
    prog_ids = {int(m) for v in ops["data"].values() if isinstance(v, str)
                for m in re.findall(r"/prog_id:(\d+)", v)}
    map_ids = {mid for p in bpftool("prog", "show") if p["id"] in prog_ids
               for mid in p.get("map_ids", [])}
    return {m["name"]: m["id"] for m in bpftool("map", "show") if m["id"] in map_ids}


def datasec_offsets(map_id, section):
    """{variable: byte offset} of a global-data map, from its BTF."""
    info = bpftool("map", "show", "id", str(map_id))
    types = bpftool("btf", "dump", "id", str(info["btf_id"]))["types"]
    names = {t["id"]: t["name"] for t in types if t["kind"] == "VAR"}
    sec = next(t for t in types if t["kind"] == "DATASEC" and t["name"] == section)
    return {names[v["type_id"]]: v["offset"] for v in sec["vars"]}


def lookup(map_id):
    raw = bpftool("map", "lookup", "id", str(map_id), "key", "0", "0", "0", "0")
    return bytearray(int(b, 16) for b in raw["value"])


def hexbytes(data):
    return [f"0x{b:02x}" for b in data]


def read_params(cc):
    mid = maps_of(cc)[".data.params"]
    offsets = datasec_offsets(mid, ".data.params")
    data = lookup(mid)
    params = module_params(cc)
    values = {name: struct.unpack_from("<I", data, offsets[var])[0]
              for name, (var, *_rest) in params.items()}
    return params, values, mid, offsets, data


def set_params(cc, assignments):
    """Apply NAME=VALUE in order, each checked against the values before it."""
    params, values, mid, offsets, data = read_params(cc)
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep:
            raise Refused(f"'{item}': expected NAME=VALUE")
        value = parse_uint(text)
        check(params, values, name, value)
        values[name] = value
        struct.pack_into("<I", data, offsets[params[name][0]], value)
    bpftool("map", "update", "id", str(mid), "key", "0", "0", "0", "0",
            "value", *hexbytes(data))
    return values


# -- what the programs publish ----------------------------------------------

FLOW = struct.Struct("<IHH16s16s")
INFO = struct.Struct("<HHIII")


def endpoint(family, addr, port):
    if family == socket.AF_INET6:
        return f"[{socket.inet_ntop(socket.AF_INET6, addr)}]:{port}"
    return f"{socket.inet_ntop(socket.AF_INET, addr[:4])}:{port}"


def sockets(cc, map_id=None):
    """One record per socket running bpf_CC: addresses and the DCTCP record."""
    mid = map_id or maps_of(cc)["dctcp_info"]
    out = []
    for entry in bpftool("map", "dump", "id", str(mid)) or []:
        family, sport, dport, saddr, daddr = FLOW.unpack(bytes(int(b, 16) for b in entry["key"]))
        _, ce_state, alpha, ab_ecn, ab_tot = INFO.unpack(
            bytes(int(b, 16) for b in entry["value"]))
        out.append({"cc": f"bpf_{cc}", "local": endpoint(family, saddr, sport),
                    "peer": endpoint(family, daddr, dport), "ce_state": ce_state,
                    "alpha": alpha, "ab_ecn": ab_ecn, "ab_tot": ab_tot})
    return out


def case_counts():
    mid = maps_of("tdctcp")["tcp_tdct.bss"]
    off = datasec_offsets(mid, ".bss")["tdctcp_case_count"]
    data = lookup(mid)
    return mid, off, data, {i + 1: struct.unpack_from("<q", data, off + 8 * i)[0]
                            for i in range(NR_CASES)}


def reset_case_counts():
    mid, off, data, _ = case_counts()
    data[off:off + 8 * NR_CASES] = bytes(8 * NR_CASES)
    bpftool("map", "update", "id", str(mid), "key", "0", "0", "0", "0",
            "value", *hexbytes(data))


# -- commands ----------------------------------------------------------------

def load(ccs):
    for cc in ccs:
        if registered(cc):
            print(f"bpf_{cc}: already registered")
            continue
        obj = OBJECTS / f"tcp_{cc}.bpf.o"
        if not obj.exists():
            raise Refused(f"{obj} missing: run make bpf")
        r = subprocess.run(["bpftool", "struct_ops", "register", str(obj)],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"bpf_{cc}: bpftool struct_ops register failed: "
                               f"{(r.stderr or r.stdout).strip()}")
        print(f"bpf_{cc}: registered")


def unload(ccs):
    for cc in ccs:
        if not registered(cc):
            print(f"bpf_{cc}: not registered")
            continue
        bpftool("struct_ops", "unregister", "name", f"bpf_{cc}")
        print(f"bpf_{cc}: unregistered (sockets using it keep it until they close)")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bpf-cc", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for c in ("load", "unload"):
        sub.add_parser(c).add_argument("cc", nargs="*")
    p = sub.add_parser("params")
    p.add_argument("cc")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("set")
    p.add_argument("cc")
    p.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    p = sub.add_parser("info")
    p.add_argument("cc", nargs="?")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("counts")
    p.add_argument("--reset", action="store_true")
    p.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.cmd in ("load", "unload"):
            ccs = [cc_name(c) for c in a.cc] or list(CCS)
            (load if a.cmd == "load" else unload)(ccs)
        elif a.cmd == "params":
            params, values, *_ = read_params(cc_name(a.cc))
            if a.json:
                print(json.dumps(values))
            for name, (_, low, high, default) in params.items():
                if not a.json:
                    print(f"{name} = {values[name]}  (range {low}-{high}, default {default})")
        elif a.cmd == "set":
            values = set_params(cc_name(a.cc), a.assignments)
            print(" ".join(f"{k}={v}" for k, v in values.items()))
        elif a.cmd == "info":
            recs = [r for cc in ([cc_name(a.cc)] if a.cc else CCS) if registered(cc)
                    for r in sockets(cc)]
            if a.json:
                print(json.dumps(recs))
            for r in [] if a.json else recs:
                print(f"{r['local']} {r['peer']} {r['cc']} dctcp:(ce_state:{r['ce_state']},"
                      f"alpha:{r['alpha']},ab_ecn:{r['ab_ecn']},ab_tot:{r['ab_tot']})")
        elif a.cmd == "counts":
            if a.reset:
                reset_case_counts()
            counts = case_counts()[3]
            print(json.dumps(counts) if a.json else
                  "\n".join(f"{c} {n}" for c, n in counts.items()))
    except Refused as e:
        print(f"bpf-cc: {e}", file=sys.stderr)
        return EINVAL
    except RuntimeError as e:
        print(f"bpf-cc: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
