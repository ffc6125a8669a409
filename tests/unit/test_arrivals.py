"""When a message was written: the network's time stamp, or our receipt when it cannot be."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from antirelou.arrivals import LATE_AFTER, arrival

RECEIVED = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("network_time", "written_at", "late"),
    [
        # a live message: written seconds before it arrived
        (RECEIVED - timedelta(seconds=4), RECEIVED - timedelta(seconds=4), False),
        # in the network's own offset: the same instant
        (
            (RECEIVED - timedelta(seconds=4)).astimezone(PARIS),
            RECEIVED - timedelta(seconds=4),
            False,
        ),
        # waited at the network during a two-hour outage: a backlog
        (RECEIVED - timedelta(hours=2), RECEIVED - timedelta(hours=2), True),
        (RECEIVED - LATE_AFTER, RECEIVED - LATE_AFTER, False),
        (RECEIVED - timedelta(days=6), RECEIVED - timedelta(days=6), True),
        # the network's clock a little ahead of ours: a message is not received before it is
        # written, so our receipt is taken
        (RECEIVED + timedelta(seconds=40), RECEIVED, False),
        # far in the future, absurdly old, or none at all: our receipt
        (datetime(2099, 1, 1, tzinfo=UTC), RECEIVED, False),
        (RECEIVED - timedelta(days=8), RECEIVED, False),
        (datetime(2000, 1, 1, tzinfo=UTC), RECEIVED, False),
        (None, RECEIVED, False),
    ],
)
def test_arrival_table(network_time, written_at, late):
    arrived = arrival(network_time, RECEIVED)
    assert arrived.written_at == written_at
    assert arrived.received_at == RECEIVED
    assert arrived.late is late
