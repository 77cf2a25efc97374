"""The SSH host's live metrics: /proc parsed the way psutil and top count."""

from __future__ import annotations

from sfai.hosts.remote_metrics import cpu_ticks, net_counters

STAT = """\
cpu  500 20 300 9000 100 0 10 0 50 0
cpu0 300 10 200 4000 60 0 5 0 50 0
cpu1 200 10 100 5000 40 0 5 0 0 0
intr 12345
btime 1700000000
"""

NET_DEV = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 999999     100    0    0    0     0          0         0   999999     100    0    0    0     0       0          0
  eth0: 1000       10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
veth1a2: 30         1    0    0    0     0          0         0       40       1    0    0    0     0       0          0
"""


def test_cpu_ticks_leave_guest_time_out_and_count_iowait_as_idle() -> None:
    # cpu0: total = 300+10+200+4000+60+0+5+0 = 4575 (guest 50 is inside user); idle 4060
    assert cpu_ticks(STAT) == [(515.0, 4575.0), (315.0, 5355.0)]


def test_net_counters_skip_loopback() -> None:
    assert net_counters(NET_DEV) == {"eth0": (1000, 2000), "veth1a2": (30, 40)}
