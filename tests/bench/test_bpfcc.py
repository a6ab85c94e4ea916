"""scripts/bpf-cc's own logic, without a kernel: the parameters it reads
from the module sources, and the checks it makes before writing one."""

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bpfcc", TOP / "bpf" / "bpfcc.py")
bpfcc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bpfcc)


@pytest.mark.parametrize("cc", bpfcc.CCS)
def test_every_module_parameter_is_known_with_its_range_and_default(cc):
    params = bpfcc.module_params(cc)
    source = (TOP / f"tcp_{cc}.c").read_text()
    assert set(params) == set(re.findall(r"^module_param_cb\((\w+),", source, re.M))
    for name, (var, low, high, default) in params.items():
        assert re.search(rf"static unsigned int {var} __read_mostly(?: = {default})?;",
                         source + (TOP / "tcp_dctcp_base.h").read_text()), name
        for bound in (low, high):
            assert isinstance(bound, int) or bound in params


def test_ranges_are_the_modules():
    x, t = bpfcc.module_params("xdctcp"), bpfcc.module_params("tdctcp")
    assert x["g"][1:] == (1, 1024, 92)
    assert x["short_bytes"][1:] == (0, 4294967295, 1000000)
    assert t["theta"][1:] == (512, 65536, 2048)
    assert t["t_low_us"][1:] == (0, "t_high_us", 5000)
    assert t["t_high_us"][1:] == ("t_low_us", 100000000, 50000)


@pytest.mark.parametrize("text,value", [("64", 64), ("0x40", 64), ("0100", 64), ("+7", 7),
                                        ("0", 0), ("4294967295", 4294967295), ("12\n", 12)])
def test_values_parse_as_kstrtouint_reads_them(text, value):
    assert bpfcc.parse_uint(text) == value


@pytest.mark.parametrize("text", ["", "-1", "abc", "4294967296", "08", "0x", "1.5", "1e3"])
def test_malformed_values_are_refused(text):
    with pytest.raises(bpfcc.Refused):
        bpfcc.parse_uint(text)


def test_range_checks_follow_the_other_threshold():
    params = bpfcc.module_params("tdctcp")
    values = {n: d for n, (_, _, _, d) in params.items()}
    bpfcc.check(params, values, "t_low_us", 50000)
    for name, value in (("t_low_us", 50001), ("t_high_us", 4999), ("g", 0), ("g", 1025),
                        ("addstep", 65), ("nosuch", 1)):
        with pytest.raises(bpfcc.Refused):
            bpfcc.check(params, values, name, value)


def test_unknown_congestion_control_is_refused_with_einval():
    r = subprocess.run([TOP / "scripts" / "bpf-cc", "params", "cubic"], capture_output=True,
                       text=True)
    assert r.returncode == 22 and "unknown congestion control" in r.stderr
