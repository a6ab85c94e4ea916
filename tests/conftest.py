"""Shared by the pytest suites under tests/: the plain closing line that
scripts/run-tests.sh (and CI) count."""


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    # a strict xfail is a check that held: the known kernel bug it names is there
    passed = len(stats.get("passed", [])) + len(stats.get("xfailed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"{passed} passed, {failed} failed")
