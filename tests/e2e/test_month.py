"""bench/month.py --quick, in process: the real daemon through four days on a fake clock, a
raid on day 2 and an outage on day 3, judged by the bench's own goals and checks (about 6 s
on the 2-core VM)."""

from __future__ import annotations

import json

import month


def test_month_quick_meets_every_goal_and_check(capsys):
    status = month.main(["--quick", "--json"])
    figures = json.loads(capsys.readouterr().out)
    failed = [name for name, met in {**figures["goals"], **figures["checks"]}.items() if not met]
    assert (status, failed) == (0, [])
    # What the verdicts are about did happen: the raid was seen, replies left, the backlog came.
    assert figures["flood_episodes"] >= 1
    assert figures["raid"]["messages"] == 600 and figures["logged"] > 600
    assert figures["sent_dongle"] > 0 and figures["one_offs"]["during_outage"][1] >= 15
    assert figures["backlog_events_after_outage"] >= 1
