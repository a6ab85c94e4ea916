"""Doc test of README.md: every command in it is exercised somewhere
(tests/readme_commands.py says where), and the host's share runs here."""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dctestbed import options

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests"))
import readme_commands  # noqa: E402

ALL = readme_commands.commands()
HOST = readme_commands.where("host")


def ids(cmds):
    return [f"README:{n}" for n, _ in cmds]


def test_the_readme_has_commands():
    assert len(ALL) >= 20 and HOST


@pytest.mark.parametrize("line,cmd", ALL, ids=ids(ALL))
def test_every_command_is_exercised_somewhere(line, cmd):
    assert readme_commands.rule(cmd), (
        f"README line {line}: '{cmd}' is run by no test: add a rule to tests/readme_commands.py")


def test_the_two_commands_come_first():
    assert [c for _, c in ALL[:2]] == ["make bench", "make test"]


def test_step_commands_are_the_ones_make_test_runs():
    """The commands sent to make test's steps appear in its runner as written."""
    runner = (TOP / "scripts" / "run-tests.sh").read_text()
    for _, cmd in readme_commands.where("step"):
        words = cmd.removeprefix("sudo ").split()
        if words[0] == "make":
            assert f"make {words[1]}" in runner, cmd
        elif words[0] == "dkms":
            assert cmd in runner, cmd
        else:
            assert "scripts/vm-run.sh --timeout" in runner and "tests/kernel/run.sh" in runner


@pytest.mark.parametrize("line,cmd", HOST, ids=ids(HOST))
def test_host_command(line, cmd, tmp_path):
    words = shlex.split(readme_commands.substitute(cmd))
    if words[0] == "make":
        p = subprocess.run(["make", "-n", *words[1:]], cwd=TOP, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip(), f"make -n {' '.join(words[1:])} would do nothing"
    elif words[0] == "scripts/experiment.sh":
        args = words[1:]
        if "--help" in args:
            with pytest.raises(SystemExit) as e:
                options.parse(args)
            assert e.value.code == 0
        else:
            options.check(options.parse(args), environment=False)
    elif words[0].startswith("PYTHONPATH="):
        run = words[-1]
        copy = tmp_path / Path(run).name
        shutil.copytree(TOP / run, copy)
        (copy / "report.md").unlink()
        p = subprocess.run([*words[1:-1], str(copy)], cwd=TOP, capture_output=True, text=True,
                           env={"PYTHONPATH": str(TOP / "mininet"), "PATH": "/usr/bin:/bin",
                                "MPLCONFIGDIR": str(TOP / ".tools" / "mpl")})
        assert p.returncode == 0, p.stderr[-2000:]
        assert (copy / "report.md").read_text().startswith("#")
    elif words[0] == "modinfo":
        ko = TOP / words[1]
        if not ko.exists():
            pytest.fail(f"{ko.name} is not built: make test builds it before this step")
        p = subprocess.run(words, cwd=TOP, capture_output=True, text=True)
        assert p.returncode == 0 and "parm:" in p.stdout, p.stderr
    else:
        pytest.fail(f"no host handler for '{cmd}'")
