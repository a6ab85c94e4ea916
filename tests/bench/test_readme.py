"""Doc test of README.md, docs/*.md and results/README.md: every command
in their sh blocks is exercised somewhere (tests/readme_commands.py says
where and how far), and the host's share runs, or is dry-run, here."""

import os
import re
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
DRY = readme_commands.where("dry")
MODULES = ("tcp_xdctcp.ko", "tcp_tdctcp.ko")


def ids(cmds):
    return [readme_commands.ident(d, n) for d, n, _ in cmds]


def test_the_documents_have_commands():
    docs = {d for d, _, _ in ALL}
    assert len(ALL) >= 20 and HOST and DRY
    assert "README.md" in docs and any(d.startswith("docs/") for d in docs), docs


@pytest.mark.parametrize("doc,line,cmd", ALL, ids=ids(ALL))
def test_every_command_is_exercised_somewhere(doc, line, cmd):
    assert readme_commands.rule(cmd), (
        f"{doc} line {line}: '{cmd}' is run by no test: add a rule to tests/readme_commands.py")


def test_a_command_no_rule_matches_fails():
    for cmd in ("make frobnicate", "make -j4 bench", "rm -rf results", "scripts/unknown.sh"):
        assert readme_commands.rule(cmd) is None, cmd


def test_commands_are_read_with_their_line():
    text = "x\n```sh\nmake   # build\n\n# only a comment\nmake bench\n```\n```\nnot sh\n```\n"
    assert readme_commands.sh_commands(text) == [(3, "make"), (6, "make bench")]


def test_the_two_commands_come_first():
    first = readme_commands.commands([readme_commands.README])
    assert [c for _, _, c in first[:2]] == ["make bench", "make test"]


def test_step_commands_are_the_ones_make_test_runs():
    """The commands sent to make test's steps appear in its runner as written."""
    runner = (TOP / "scripts" / "run-tests.sh").read_text()
    for _, _, cmd in readme_commands.where("step"):
        words = cmd.removeprefix("sudo ").split()
        if words[0] == "make":
            assert f"make {words[1]}" in runner, cmd
        elif words[0] == "dkms":
            assert cmd in runner, cmd
        else:
            assert "scripts/vm-run.sh --timeout" in runner and "tests/kernel/run.sh" in runner


def test_docs_tests_names_every_dry_command():
    """docs/tests.md says which commands are only dry-run or parsed."""
    text = (TOP / "docs" / "tests.md").read_text()
    for doc, line, cmd in DRY:
        shown = "scripts/experiment.sh" if "scripts/experiment.sh" in cmd else cmd
        assert f"`{shown}`" in text, f"{doc}:{line}: docs/tests.md does not list '{shown}' as dry"


def clean_env():
    """The environment of a reader's shell: no make test KDIR or make flags."""
    env = dict(os.environ)
    for k in ("KDIR", "KVER", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(k, None)
    return env


def build(words, tmp_path):
    """Run the make command in a copy of the tracked tree; both modules
    must appear, built for the kernel of the headers used."""
    tree = readme_commands.tracked_tree(tmp_path / "tree")
    env = clean_env()
    p = subprocess.run(words, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    kdir = next((w.removeprefix("KDIR=") for w in words if w.startswith("KDIR=")), None)
    if kdir is None:
        kdir = subprocess.run([str(tree / "scripts" / "kdir.sh")], env=env, capture_output=True,
                              text=True, check=True).stdout.strip()
    kver = subprocess.run([str(tree / "scripts" / "kver.sh"), kdir], capture_output=True, text=True)
    for ko in MODULES:
        assert (tree / ko).is_file(), f"{' '.join(words)} built no {ko}"
        if kver.returncode == 0:
            magic = subprocess.run(["modinfo", "-F", "vermagic", str(tree / ko)],
                                   capture_output=True, text=True, check=True).stdout.split()
            assert magic and magic[0] == kver.stdout.strip(), (ko, magic, kdir)


@pytest.mark.parametrize("doc,line,cmd", HOST, ids=ids(HOST))
def test_host_command(doc, line, cmd, tmp_path):
    words = shlex.split(readme_commands.substitute(cmd))
    if words[0] == "make":
        build(words, tmp_path)
    elif words[0] == "scripts/experiment.sh":
        p = subprocess.run(words, cwd=TOP, capture_output=True, text=True, timeout=60,
                           env=clean_env())
        assert p.returncode == 0, p.stderr[-2000:]
        assert "--cc" in p.stdout and "--out" in p.stdout, p.stdout[-2000:]
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
        pytest.fail(f"{doc}:{line}: no host handler for '{cmd}'")


@pytest.mark.parametrize("doc,line,cmd", DRY, ids=ids(DRY))
def test_dry_command(doc, line, cmd):
    """Not run: make -n for a make target, the option check for an experiment."""
    words = shlex.split(readme_commands.substitute(cmd))
    if words[0] == "make":
        assert re.fullmatch(r"[\w-]+", words[1]) and len(words) == 2, cmd
        p = subprocess.run(["make", "-n", words[1]], cwd=TOP, capture_output=True, text=True,
                           env=clean_env())
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip(), f"make -n {words[1]} would do nothing"
    elif "scripts/experiment.sh" in words[:2]:
        # the options' defaults follow the clock of the testbed the command picks
        testbed = words[0].removeprefix("TESTBED=") if words[0].startswith("TESTBED=") else "uml"
        args = words[words.index("scripts/experiment.sh") + 1:]
        clock = "virtual" if testbed == "uml" else "wall"
        options.check(options.parse(args, clock_name=clock), environment=False)
    else:
        pytest.fail(f"{doc}:{line}: no dry handler for '{cmd}'")


def test_parameter_table_matches_modinfo():
    """The README's parameter table gives each parameter the range and
    default the module itself declares (modinfo), and misses none."""
    import re
    table = {}
    for line in (TOP / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in ("xdctcp", "tdctcp"):
            name = re.match(r"`(\w+)`", cells[1]).group(1)
            lo, hi = (b.strip("`") for b in cells[3].split("–"))
            table[(cells[0], name)] = (lo, hi, cells[4].split()[0])
    declared = {}
    for cc in ("xdctcp", "tdctcp"):
        ko = TOP / f"tcp_{cc}.ko"
        if not ko.exists():
            pytest.fail(f"{ko.name} is not built: make test builds it before this step")
        out = subprocess.run(["modinfo", "-F", "parm", str(ko)], capture_output=True, text=True,
                             check=True).stdout
        for m in re.finditer(r"^(\w+):.*\(range (\w+)-(\w+), default (\d+)", out, re.M):
            declared[(cc, m.group(1))] = m.group(2, 3, 4)
    assert declared and table == declared
