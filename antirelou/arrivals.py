"""When a message was written: the network's time stamp, checked against our clock.

Every SMS-DELIVER carries the time its service centre received it (TP-SCTS, 3GPP 23.040
§9.2.3.11), with its own offset. Raid detection counts messages at that time, so that a
backlog delivered at once after an outage is seen as what it is: messages written over hours.
A time stamp is not believed when it is after our receipt (a message cannot be received before
it is written: one of the two clocks is wrong, so we take ours), or older than any service
centre keeps a message (a network whose clock was reset, or garbage). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Service centres keep an undelivered SMS for their validity period: 24 to 72 hours in most
# networks, 7 days by default in some SMSCs (help.seven.io "Validity period", cardboardfish
# "Validity Period": "the SMSC default is used which is usually 7 days"). Older is not a delay.
OLDEST_PLAUSIBLE = timedelta(days=7)

# Delivery normally takes seconds; a message this much older than its receipt waited at the
# network while the service was away (off, unplugged, out of coverage).
LATE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Arrival:
    """A message's two times: when it was written (as far as we can tell) and received."""

    written_at: datetime
    received_at: datetime

    @property
    def late(self) -> bool:
        """Whether it waited at the network rather than arriving as it was written."""
        return self.received_at - self.written_at > LATE_AFTER


def arrival(network_time: datetime | None, received_at: datetime) -> Arrival:
    """Given a message's network time stamp (None for a call, or none decoded) and our receipt
    time, return its Arrival: written at the network's time when that is believable, else at
    our receipt."""
    if network_time is None or network_time > received_at:
        return Arrival(received_at, received_at)
    if received_at - network_time > OLDEST_PLAUSIBLE:
        return Arrival(received_at, received_at)
    return Arrival(network_time, received_at)
