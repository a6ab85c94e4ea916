"""After everything: the kernel logged no warning, BUG, oops or lockup."""

import re

import netlab
import pytest

pytestmark = pytest.mark.anywhere

BAD = re.compile(r"WARNING:|BUG:|Oops|cut here|soft lockup|hung_task|general protection")


def test_dmesg_is_clean(kernel_log_start):
    lines = netlab.sh("dmesg").stdout.split("\n")[kernel_log_start:]
    bad = [ln for ln in lines if BAD.search(ln)]
    assert not bad, "\n".join(bad[:20])
