"""Impossible experiment options fail before anything starts, naming the option."""

import pytest
from dctestbed import options


def check(argv):
    options.check(options.parse(argv), environment=False)


@pytest.mark.parametrize("argv, option", [
    (["incast", "--k", "100"], "--k 100"),                   # K not below the 100-packet buffer
    (["incast", "--k", "30", "--buffer", "20"], "--k 30"),
    (["incast", "--k", "0"], "--k 0"),
    (["incast", "--n", "4,129"], "--n 129"),                 # more workers than the star has
    (["incast", "--n", "0"], "--n 0"),
    (["incast", "--bytes", "3", "--n", "4"], "--bytes 3"),
    (["incast", "--rate", "0"], "--rate 0"),
    (["incast", "--rate", "-5"], "--rate -5"),
    (["incast", "--rate", "1000000"], "--rate 1e+06"),
    (["incast", "--reps", "0"], "--reps 0"),
    (["incast", "--queries", "0"], "--queries 0"),
    (["incast", "--cc", "cubic,cubic"], "--cc cubic,cubic"),
    (["incast", "--rto-min-ms", "-1"], "--rto-min-ms -1"),
    (["k-sweep", "--k-list", "5,100"], "--k-list 100"),
    (["queue-buildup", "--duration", "1"], "--duration 1"),
    (["convergence", "--flows", "1"], "--flows 1"),
    (["fattree", "--load", "1.5"], "--load 1.5"),
    (["incast", "--hz", "5"], "--hz 5"),
    (["incast", "--safe-fraction", "2"], "--safe-fraction 2"),
    (["incast", "--background", "9"], "--background 9"),
    (["incast", "--background", "-1"], "--background -1"),
    (["incast", "--n", "125", "--background", "5"], "--background 5"),  # 131 hosts
    (["queue-buildup", "--background", "2"], "--background 2"),
    (["incast", "--cc", "dctcp,tdctcp:t_low_us"], "--cc tdctcp:t_low_us"),
    (["incast", "--monitor-ab", "--no-monitor"], "--monitor-ab"),
])
def test_impossible_option_is_named(argv, option):
    with pytest.raises(options.OptionError) as e:
        check(argv)
    assert str(e.value).startswith(option), str(e.value)


def test_defaults_pass_for_every_experiment():
    for exp in options.DEFAULTS:
        o = options.parse([exp])
        options.check(o, environment=False)
        assert o.experiment == exp and o.reps == options.DEFAULTS[exp]["reps"]


def test_bench_defaults():
    o = options.parse(["incast"])
    assert (o.k, o.buffer, o.bytes, o.n, o.rate) == (20, 100, 1_000_000, [4, 8, 16, 32], None)
    assert o.ccs == ["cubic", "reno", "dctcp", "xdctcp", "tdctcp"]


def test_command_line_overrides_experiment_defaults():
    o = options.parse(["queue-buildup", "--reps", "7", "--duration", "5", "--rate", "auto"])
    assert (o.reps, o.duration, o.rate) == (7, 5.0, None)
    assert options.parse(["incast", "--rate", "12.5"]).rate == 12.5


def test_unparseable_values_are_refused_by_the_parser(capsys):
    for argv in (["incast", "--n", "4,x"], ["incast", "--rate", "fast"], ["nosuch"]):
        with pytest.raises(SystemExit) as e:
            options.parse(argv)
        assert e.value.code == 2


def test_out_must_be_a_directory(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(options.OptionError, match="^--out"):
        check(["incast", "--out", str(f)])


def test_port_uses_k_buffer_and_rate():
    o = options.parse(["incast", "--rate", "20", "--k", "15", "--buffer", "60"])
    p = o.port()
    assert (p.rate_mbit, p.k_pkts, p.buffer_pkts) == (20, 15, 60)
    assert o.port(k=40).k_pkts == 40


def test_main_exit_status(capsys):
    assert options.main(["incast"]) == 0
    assert options.main(["incast", "--k", "200"]) == 2
    assert "--k 200" in capsys.readouterr().err
