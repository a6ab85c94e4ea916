"""Parameters through /sys/module/*/parameters: valid writes take effect on
new decisions; invalid writes fail with EINVAL and change nothing; tdctcp's
threshold pairs never cross."""

import errno
import os
import re

import netlab
import pytest

# a zero-length write never reaches the module, so "empty" is a bare newline;
# 0x and 0 prefixes are hexadecimal and octal, as for every uint parameter
BAD = ["abc", "-1", "\n", "1.5", "4294967296", "99999999999999999999", "0x", "08",
       "0x100000000"]


def ranges(cc):
    """{name: (min, max)} from modinfo; a bound that names another parameter
    (tdctcp's threshold pairs) is that parameter's value now."""
    out = netlab.sh(["modinfo", "-F", "parm", netlab.KO[cc]]).stdout

    def bound(text):
        return int(text) if text.isdigit() else netlab.param(cc, text)

    return {m.group(1): (bound(m.group(2)), bound(m.group(3)))
            for m in re.finditer(r"^(\w+):.*\(range (\w+)-(\w+), default", out, re.M)}


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


def test_hex_write_accepted(restore_params):
    netlab.param("xdctcp", "ns", "0x100")
    assert netlab.param("xdctcp", "ns") == 256


def test_threshold_pairs_never_cross(restore_params):
    for low, high in (("t_low_us", "t_high_us"), ("auto_low_pkts", "auto_high_pkts")):
        lo, hi = netlab.param("tdctcp", low), netlab.param("tdctcp", high)
        for name, value in ((low, hi + 1), (high, lo - 1)):
            with pytest.raises(OSError) as e:
                write(netlab.param_path("tdctcp", name), str(value))
            assert e.value.errno == errno.EINVAL, (name, value)
        assert (netlab.param("tdctcp", low), netlab.param("tdctcp", high)) == (lo, hi)
        netlab.param("tdctcp", high, 2 * hi)
        netlab.param("tdctcp", low, hi + 1)      # past the old high: allowed now
        assert netlab.param("tdctcp", low) == hi + 1


def test_valid_write_takes_effect_on_new_decisions(lab, restore_params):
    a, b, _, db = netlab.pair(lab, "tdctcp", "tdctcp")
    netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "delay", "60ms"], b)
    netlab.param("tdctcp", "t_high_us", 20_000_000)    # T_low may not pass T_high
    netlab.param("tdctcp", "t_low_us", 10_000_000)     # every RTT is now "low"
    assert netlab.param("tdctcp", "t_low_us") == 10_000_000
    netlab.reset_case_counts()
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="10M")
    c = netlab.case_counts()
    print("case counts:", c)
    assert c[1] + c[5] >= 20
    assert sum(c.values()) == c[1] + c[5]
