"""What the host sent: every SMS-SUBMIT accepted, and the messages they make once joined."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from antirelou.pdu import join_parts
from antirelou.simulator.network_pdu import Submit


@dataclass(frozen=True)
class SentMessage:
    """A message the host sent, its concatenated segments joined."""

    number: str
    text: str
    segments: list[Submit]
    references: list[int]  # the +CMGS message reference given for each segment
    time: datetime


@dataclass
class SentLog:
    """The segments in the order they came, the complete messages, and the parts of
    concatenated messages still waiting for their other parts.
    """

    messages: list[SentMessage] = field(default_factory=list)
    segments: list[Submit] = field(default_factory=list)
    partial: dict[tuple, dict[int, tuple[Submit, int]]] = field(default_factory=dict)

    def record(self, submit: Submit, reference: int, now: datetime) -> None:
        """Given a segment, the +CMGS reference it got and the time, record it; once every
        part of its message is there, record the message.
        """
        self.segments.append(submit)
        concat = submit.concat
        if concat is None or concat.total == 1:
            self.messages.append(
                SentMessage(submit.number, submit.text, [submit], [reference], now)
            )
            return
        key = (submit.number, concat.reference, concat.total)
        parts = self.partial.setdefault(key, {})
        parts[concat.sequence] = (submit, reference)
        if len(parts) == concat.total:
            del self.partial[key]
            ordered = [parts[sequence] for sequence in sorted(parts)]
            segments = [segment for segment, _ in ordered]
            self.messages.append(
                SentMessage(
                    submit.number, join_parts(segments), segments, [mr for _, mr in ordered], now
                )
            )
