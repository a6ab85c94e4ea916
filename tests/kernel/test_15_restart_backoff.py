"""restart_backoff against a real retransmission timeout: the loss
response's ssthresh stays.

After a timeout the kernel marks the whole window lost, so nothing counts
as in flight and every retransmission raises CA_EVENT_TX_START (the
kernel's tcp_event_data_sent()).  That is the same message, recovering:
restart backoff must not take it for a new one.  An earlier version did,
in both modes: ssthresh went from the loss response's cwnd/2 to 2 on the
first retransmission, and ss -ti showed ssthresh:2 after every timeout.

A transfer a -> b at 100 Mbit/s with 1 % of the data CE-marked (so alpha
and the message's marked fraction are above zero, as restart backoff needs
to act at all, while the window stays large enough to tell half of it from
the floor: 7-35 packets before the timeout in runs at 250 Hz) has every
ACK dropped for a while (netem loss 100 % on b's side): the sender times
out and retransmits with nothing acknowledged.  While it backs off (ss
shows backoff:N), ssthresh must be the loss response: half the window the
timeout found, never the floor.
"""

import re
import time

import netlab
import pytest

pytestmark = pytest.mark.virtual

BLACKHOLE_AT_S = 1.0        # into the transfer
BLACKHOLE_S = 0.8           # RTO_min 200 ms: timeouts at +0.2 s and +0.6 s


def samples(text):
    """(cwnd, ssthresh or None, backing off) of the data socket in each
    ss -tinH sample of text (samples separated by @@ lines)."""
    out = []
    for chunk in text.split("@@")[:-1]:
        sock = netlab.busiest(netlab.parse_ss(chunk))
        if not sock:
            continue
        cwnd = re.search(r"\bcwnd:(\d+)", sock["info"])
        ssthresh = re.search(r"\bssthresh:(\d+)", sock["info"])
        if cwnd:
            out.append((int(cwnd.group(1)), ssthresh and int(ssthresh.group(1)),
                        bool(re.search(r"\bbackoff:[1-9]", sock["info"]))))
    return out


@pytest.mark.parametrize("mode", [1, 2])
@pytest.mark.parametrize("cc", netlab.CCS)
def test_timeout_keeps_the_loss_responses_ssthresh(lab, restore_params, cc, mode):
    a, b, da, db = netlab.pair(lab, cc, cc)
    netlab.mark_ce(a, da, 1, rate_mbit=100)
    netlab.param(cc, "restart_backoff", mode)
    # to a file: a pipe nobody reads until the end would fill and stop it
    record = netlab.LOG_DIR / f"restart-{cc}-{mode}.ss"
    record.parent.mkdir(parents=True, exist_ok=True)
    loop = f"while :; do ss -tinH dst 10.77.0.2; echo @@; sleep 0.02; done > {record}"
    sampler = lab.spawn(["sh", "-c", loop], a)

    def blackhole(t0):
        time.sleep(max(0.0, t0 + BLACKHOLE_AT_S - time.monotonic()))
        netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "loss", "100%"], b)
        time.sleep(BLACKHOLE_S)
        netlab.sh(["tc", "qdisc", "del", "dev", db, "root"], b)

    netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, during=blackhole)
    sampler.kill()
    sampler.wait(timeout=10)
    seen = samples(record.read_text())
    first = next((i for i, s in enumerate(seen) if s[2]), None)
    assert first is not None and first > 0, "no timeout seen in the ss samples"
    before = seen[first - 1][0]            # the window the timeout found
    backing_off = [s for s in seen[first:] if s[2]]
    thresholds = sorted({s[1] for s in backing_off})
    print(f"{cc} restart_backoff={mode}: cwnd {before} before the timeout; ssthresh while "
          f"backing off {thresholds} over {len(backing_off)} samples")
    # from 6 on, the loss response's half (3 or more) differs from the floor 2
    assert before >= 6, "the window before the timeout is too small to tell"
    assert all(t is not None and t >= max(before // 2 - 2, 3) for t in thresholds), \
        f"ssthresh {thresholds} after a timeout from cwnd {before}: not the loss response"
