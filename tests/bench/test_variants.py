"""variants: --cc labels that set module parameters, and how runs apply them."""

from pathlib import Path

import pytest
from dctestbed import options, variants


def test_plain_names_have_no_parameters():
    assert variants.module_of("dctcp") == "dctcp"
    assert variants.params_of("dctcp") == {}


def test_label_parameters_in_order():
    label = "tdctcp:auto_thresholds=1:auto_high_pkts=20"
    assert variants.module_of(label) == "tdctcp"
    assert list(variants.params_of(label).items()) == [("auto_thresholds", "1"), ("auto_high_pkts", "20")]


@pytest.mark.parametrize("label", ["tdctcp:", "tdctcp:auto", "tdctcp:=1", "tdctcp:a=1=2",
                                   "tdctcp:a=1:a=2", "tdctcp:A=1", "tdctcp:a= 1"])
def test_malformed_labels_are_refused_naming_the_label(label):
    with pytest.raises(variants.VariantError, match=f"--cc {label}"):
        variants.params_of(label)


def test_modules_are_distinct_in_first_seen_order():
    assert variants.modules(["tdctcp", "dctcp", "tdctcp:auto_thresholds=1"]) == ["tdctcp", "dctcp"]


def test_options_check_refuses_a_malformed_variant_before_anything_runs():
    o = options.parse(["incast", "--cc", "dctcp,tdctcp:auto"])
    with pytest.raises(options.OptionError, match="--cc tdctcp:auto"):
        options.check(o, environment=False)
    o = options.parse(["incast", "--cc", "tdctcp,tdctcp:auto_thresholds=1"])
    options.check(o, environment=False)
    assert o.modules == ["tdctcp"]


@pytest.fixture
def sysfs(tmp_path, monkeypatch):
    """A fake /sys/module with tcp_tdctcp and tcp_xdctcp parameters; a write
    of 'bad' fails as the kernel's EINVAL would."""
    monkeypatch.setattr(variants, "SYS_MODULE", tmp_path)
    values = {("tdctcp", "auto_thresholds"): "0", ("tdctcp", "auto_high_pkts"): "10",
              ("xdctcp", "g"): "92"}
    for (m, n), v in values.items():
        d = tmp_path / f"tcp_{m}" / "parameters"
        d.mkdir(parents=True, exist_ok=True)
        (d / n).write_text(v + "\n")
    real_write = Path.write_text

    def write(self, text, *args, **kwargs):
        if self.is_relative_to(tmp_path) and text.strip() == "bad":
            raise OSError(22, "Invalid argument")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write)

    def read(m, n):
        return (tmp_path / f"tcp_{m}" / "parameters" / n).read_text().strip()
    return read


def test_each_run_gets_its_values_and_the_baseline_elsewhere(sysfs):
    v = variants.Variants(["tdctcp", "tdctcp:auto_thresholds=1:auto_high_pkts=20", "xdctcp:g=64"])
    v.apply("tdctcp:auto_thresholds=1:auto_high_pkts=20")
    assert (sysfs("tdctcp", "auto_thresholds"), sysfs("tdctcp", "auto_high_pkts")) == ("1", "20")
    assert sysfs("xdctcp", "g") == "92"
    v.apply("xdctcp:g=64")
    assert sysfs("xdctcp", "g") == "64"
    assert (sysfs("tdctcp", "auto_thresholds"), sysfs("tdctcp", "auto_high_pkts")) == ("0", "10")
    v.apply("tdctcp")
    assert sysfs("xdctcp", "g") == "92"
    v.apply("xdctcp:g=64")
    v.restore()
    assert sysfs("xdctcp", "g") == "92"


def test_a_refused_value_names_the_label_and_restores(sysfs):
    v = variants.Variants(["tdctcp:auto_thresholds=1", "tdctcp:auto_high_pkts=bad"])
    with pytest.raises(variants.VariantError, match="--cc tdctcp:auto_high_pkts=bad: tdctcp refuses"):
        v.validate()
    assert sysfs("tdctcp", "auto_thresholds") == "0"
    assert variants.module_params("tdctcp") == {"auto_high_pkts": "10", "auto_thresholds": "0"}
    assert variants.module_params("reno") == {}


@pytest.fixture
def threshold_pair(tmp_path, monkeypatch):
    """A fake tdctcp (under a fake /sys/module) whose t_low_us may never
    pass t_high_us, as the module refuses: (t_low_us, t_high_us) files."""
    monkeypatch.setattr(variants, "SYS_MODULE", tmp_path)
    d = tmp_path / "tcp_tdctcp" / "parameters"
    d.mkdir(parents=True)
    low, high = d / "t_low_us", d / "t_high_us"
    low.write_text("5000\n")
    high.write_text("50000\n")
    real_write = Path.write_text

    def write(self, text, *args, **kwargs):
        if self in (low, high):
            lo = int(text) if self == low else int(low.read_text())
            hi = int(text) if self == high else int(high.read_text())
            if lo > hi:
                raise OSError(22, "Invalid argument")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write)
    return low, high


def test_write_params_retries_a_pair_write_refused_for_order(threshold_pair):
    """Raising both past the old high succeeds whichever order the dict gives."""
    low, high = threshold_pair
    assert variants.write_params({low: "70000", high: "90000"}) == {}
    assert (low.read_text(), high.read_text()) == ("70000\n", "90000\n")
    refused = variants.write_params({low: "95000"})
    assert list(refused) == [low] and refused[low].errno == 22
    assert low.read_text() == "70000\n"


def test_validation_sets_each_variant_against_the_baseline(threshold_pair):
    """The T-DCTCP trends sweep T_low up to 20 ms, then T_high down from
    12.5 ms: each variant is written over the baseline, never over the
    previous variant, so t_high_us=12500 after t_low_us=20000 is valid."""
    low, high = threshold_pair
    v = variants.Variants(["tdctcp:t_low_us=20000", "tdctcp:t_high_us=12500"])
    v.validate()
    v.apply("tdctcp:t_low_us=20000")
    assert (low.read_text(), high.read_text()) == ("20000\n", "50000\n")
    v.apply("tdctcp:t_high_us=12500")
    assert (low.read_text(), high.read_text()) == ("5000\n", "12500\n")
    v.restore()
    assert (low.read_text(), high.read_text()) == ("5000\n", "50000\n")
