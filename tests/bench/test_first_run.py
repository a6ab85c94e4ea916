"""The README's first command on a machine that has never had kernel
headers: `make bench` must set up, then build against what the set-up
installed, in one invocation.  The machine is simulated: kdir.sh looks
under an empty root (KDIR_ROOT), and the set-up step (DCTCP_SETUP) "installs"
the headers by linking this machine's into it; the experiment stops after
the build (EXPERIMENT_DRY_RUN)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]


def tracked_tree(dest):
    """A copy of the tracked sources (not results/): builds there do not
    touch this checkout's modules."""
    files = subprocess.run(["git", "-C", str(TOP), "ls-files", "--", ".", ":(exclude)results"],
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TOP / f, dest / f)
    return dest


def test_make_bench_builds_on_a_machine_without_headers(tmp_path):
    real = subprocess.run([str(TOP / "scripts" / "kdir.sh")], capture_output=True, text=True)
    if real.returncode != 0 or not shutil.which("git"):
        pytest.fail(f"this machine has no kernel headers to build with: {real.stderr.strip()}")
    headers = Path(real.stdout.strip()).resolve()
    root = tmp_path / "root"
    (root / "usr" / "src").mkdir(parents=True)
    tree = tracked_tree(tmp_path / "tree")
    setup = tmp_path / "setup.sh"
    setup.write_text("#!/bin/sh\nset -e\necho 'fake setup: installing headers'\n"
                     f"ln -s {headers} {root}/usr/src/linux-headers-0.0.0-amd64\n")
    setup.chmod(0o755)
    env = dict(os.environ, KDIR_ROOT=str(root), DCTCP_SETUP=str(setup), EXPERIMENT_DRY_RUN="1")
    env.pop("KDIR", None)
    env.pop("MAKEFLAGS", None)
    # before the set-up, nothing is found: the state of a fresh machine
    none = subprocess.run([str(tree / "scripts" / "kdir.sh")], env=env, capture_output=True, text=True)
    assert none.returncode != 0
    p = subprocess.run(["make", "bench"], cwd=tree, env=env, capture_output=True, text=True,
                       timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    assert "fake setup: installing headers" in out
    assert f"built against {root}/usr/src/linux-headers-0.0.0-amd64" in out, out[-2000:]
    for ko in ("tcp_xdctcp.ko", "tcp_tdctcp.ko"):
        assert (tree / ko).is_file()
