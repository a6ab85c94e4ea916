"""Parameters through /sys/module/*/parameters: valid writes take effect on
new decisions; invalid writes fail with EINVAL and change nothing."""

import errno
import os
import re

import netlab
import pytest

# a zero-length write never reaches the module, so "empty" is a bare newline
BAD = ["abc", "-1", "\n", "1.5", "4294967296", "99999999999999999999", "0x10"]


def ranges(cc):
    out = netlab.sh(["modinfo", "-F", "parm", netlab.KO[cc]]).stdout
    return {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^(\w+):.*\(range (\d+)-(\d+), default", out, re.M)}


def write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


@pytest.mark.parametrize("cc", netlab.CCS)
def test_invalid_writes_fail_with_einval_and_keep_value(cc):
    params = ranges(cc)
    assert len(params) >= 6
    for name, (lo, hi) in params.items():
        path = netlab.param_path(cc, name)
        assert oct(path.stat().st_mode & 0o777) == "0o644"
        before = path.read_text()
        bad = BAD + ([str(lo - 1)] if lo > 0 else []) + ([str(hi + 1)] if hi < 2**32 - 1 else [])
        for value in bad:
            with pytest.raises(OSError) as e:
                write(path, value)
            assert e.value.errno == errno.EINVAL, (name, value)
            assert path.read_text() == before, (name, value)


def test_valid_write_takes_effect_on_new_decisions(lab, restore_params):
    a, b, _, db = netlab.pair(lab, "tdctcp", "tdctcp")
    netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "delay", "60ms"], b)
    netlab.param("tdctcp", "t_low_us", 10_000_000)     # every RTT is now "low"
    assert netlab.param("tdctcp", "t_low_us") == 10_000_000
    netlab.reset_case_counts()
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="10M")
    c = netlab.case_counts()
    print("case counts:", c)
    assert c[1] + c[5] >= 20
    assert sum(c.values()) == c[1] + c[5]
