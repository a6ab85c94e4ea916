"""The --testbed inventory: roles, variables, and what is refused before
anything starts (the hosts themselves are tested over SSH in
tests/virtual/test_ssh_testbed.py)."""

from pathlib import Path

import pytest
import yaml
from dctestbed import inventory, options

TOP = Path(__file__).resolve().parents[2]
EXAMPLE = TOP / "contrib" / "testbed.yml"


def example():
    return yaml.safe_load(EXAMPLE.read_text())


def write(tmp_path, data):
    p = tmp_path / "inv.yml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_the_example_inventory_maps_every_experiment_s_hosts():
    inv = inventory.load(EXAMPLE)
    assert inv.aggregator.name == "node1" and inv.aggregator.data_dev == "enp65s0f0"
    assert inv.aggregator.user == "root" and inv.aggregator.deploy == "dkms"    # from all.vars
    assert [h.name for h in inv.hosts] == [f"node{i}" for i in range(1, 8)] + ["router1"]
    hosts = inventory.assign(inv, options.parse(["incast", "--n", "2,4", "--background", "1"]))
    assert {k: v.name for k, v in hosts.items()} == \
        {"h1": "node1", "h2": "node2", "h3": "node3", "h4": "node4", "h5": "node5", "h6": "node6"}
    hosts = inventory.assign(inv, options.parse(["queue-buildup"]))
    assert {k: v.name for k, v in hosts.items()} == {"h1": "node6", "h2": "node7", "h3": "node2",
                                                      "r": "node1"}


def test_host_variables_override_group_and_all(tmp_path):
    data = example()
    data["all"]["children"]["workers"]["vars"] = {"ansible_user": "lab", "ansible_port": 2222}
    data["all"]["children"]["workers"]["hosts"]["node3"]["ansible_user"] = "ops"
    inv = inventory.load(write(tmp_path, data))
    users = {h.name: (h.user, h.port) for h in inv.workers}
    assert users["node2"] == ("lab", 2222) and users["node3"] == ("ops", 2222)
    assert inv.aggregator.port == 22


@pytest.mark.parametrize("change, message", [
    (lambda d: d["all"]["children"].pop("marking"), "group marking needs exactly one host"),
    (lambda d: d["all"]["children"]["marking"]["hosts"]["router1"].pop("marking"),
     "marking host router1: marking must be one of linux, external (got nothing): ECN marking "
     "not configured"),
    (lambda d: d["all"]["children"]["marking"]["hosts"].update(
        {"router1": {"marking": "external", "rate_mbit": 10000}}),
     "an external switch must state rate_mbit, k_pkts and buffer_pkts"),
    (lambda d: d["all"]["children"]["workers"]["hosts"]["node3"].pop("data_ip"),
     "workers host node3: no data_ip"),
    (lambda d: d["all"]["children"]["workers"]["hosts"]["node3"].update(data_ip="10.10.2.12"),
     "hosts node2 and node3 have the same data_ip"),
    (lambda d: d["all"]["children"].update(spines={"hosts": {"x": {}}}), "unknown group spines"),
    (lambda d: d["all"]["children"]["senders"]["hosts"].update(
        {"node2": {"data_ip": "10.10.9.9", "data_dev": "eth0"}}),
     "host node2 is in both workers and senders"),
    (lambda d: d["all"]["vars"].update(dctcp_deploy="modules"), "needs dctcp_modules"),
    (lambda d: d["all"]["children"]["workers"]["hosts"]["node2"].update(ansible_port="ssh"),
     "host node2: ansible_port 'ssh' is not int"),
])
def test_an_inventory_that_cannot_describe_a_testbed_is_refused_by_name(tmp_path, change, message):
    data = example()
    change(data)
    with pytest.raises(inventory.InventoryError, match="--testbed .*" + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        inventory.load(write(tmp_path, data))


def test_too_few_hosts_of_a_role_are_refused_naming_those_there_are():
    inv = inventory.load(EXAMPLE)
    with pytest.raises(inventory.InventoryError,
                       match=r"incast --n 8 needs 8 workers; the inventory has 4 \(node2, node3, "
                             r"node4, node5\)"):
        inventory.assign(inv, options.parse(["incast", "--n", "2,8"]))
    with pytest.raises(inventory.InventoryError, match="convergence --flows 3 needs 3 senders"):
        inventory.assign(inv, options.parse(["convergence", "--flows", "3"]))


@pytest.mark.parametrize("argv, message", [
    (["fattree"], "--testbed: the fattree experiment needs the emulated"),
    (["incast", "--cc", "bpf_tdctcp"], "--cc bpf_tdctcp: the BPF builds run on the emulated"),
    (["incast", "--cc", "tdctcp:g=32"], "--cc tdctcp:g=32: module parameters per run"),
])
def test_what_a_testbed_cannot_run_is_refused_before_it_starts(argv, message):
    o = options.parse([*argv, "--testbed", str(EXAMPLE)])
    with pytest.raises(options.OptionError, match=message):
        options.check(o)


def test_offloads_on_needs_a_testbed_and_a_missing_inventory_is_named():
    with pytest.raises(options.OptionError, match="--offloads on: only on a --testbed"):
        options.check(options.parse(["incast", "--offloads", "on"]), environment=False)
    with pytest.raises(options.OptionError, match="--testbed /nonexistent.yml: no such file"):
        options.check(options.parse(["incast", "--testbed", "/nonexistent.yml"]))
    # a checked testbed needs neither root nor the modules here
    options.check(options.parse(["incast", "--n", "2,4", "--testbed", str(EXAMPLE)]))


def external(tmp_path):
    data = example()
    data["all"]["children"]["marking"]["hosts"] = {"tor1": {
        "marking": "external", "rate_mbit": 10000, "k_pkts": 65, "buffer_pkts": 1000}}
    return inventory.load(write(tmp_path, data))


def test_an_external_switch_sets_the_rate_and_refuses_other_ports(tmp_path):
    from dctestbed import remote
    inv = external(tmp_path)
    assert [h.name for h in inv.hosts][-1] == "node7"      # never logged in to
    o = options.parse(["incast", "--k", "65", "--buffer", "1000"], clock_name="wall")
    remote.external_options(o, inv.marking)
    assert o.rate == 10000
    with pytest.raises(options.OptionError, match=r"marks at K = 65 of 1000 packets at 10000 "
                       r"Mbit/s .*the options ask K = 20 of 100 .*give --rate 10000 --k 65"):
        remote.external_options(options.parse(["incast"], clock_name="wall"), inv.marking)
    with pytest.raises(options.OptionError, match="k-sweep changes K"):
        remote.external_options(options.parse(["k-sweep", "--k", "65", "--buffer", "1000"],
                                              clock_name="wall"), inv.marking)
