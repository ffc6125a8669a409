"""The HTML export is one self-contained page, with everything a sender wrote escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dossiers import RAID, build

from antirelou.export import render
from antirelou.export.model import Message
from antirelou.export.timeline import DAY, HOUR, timeline

HOSTILE = [
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "</td></tr></table><h1>faux titre</h1>",
    "<!-- commentaire",
    "&lt;déjà échappé&gt; & \"guillemets\" 'apostrophes'",
    "<svg onload=alert(1)>",
]


def test_everything_a_sender_wrote_is_escaped():
    _, dossier = build([("+33622222222", text) for text in HOSTILE])
    page = render(dossier, "html").decode("utf-8")
    for text in HOSTILE:
        assert text not in page
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page
    assert (
        "&amp;lt;déjà échappé&amp;gt; &amp; &quot;guillemets&quot; &#x27;apostrophes&#x27;" in page
    )
    assert not re.search(r"<(script|img|svg onload|h1>faux|!--)", page)
    assert page.count("<h1>") == 1


def test_the_page_is_self_contained_and_french_first():
    _, dossier = build(RAID)
    page = render(dossier, "html").decode("utf-8")
    # Nothing to fetch: no link, script, image or frame, and a policy that forbids them.
    assert not re.search(r"<(link|script|img|iframe|object)\b", page)
    assert not re.search(r"""(src|href)\s*=""", page)
    assert "default-src 'none'" in page
    assert page.index("Messages reçus") < page.index("Messages received")
    assert dossier.checkpoint.text() in page
    assert "356938035643809" in page  # the device block
    assert page.count("<rect") >= 2  # the timeline chart, drawn inline


def _message(moment: datetime, flagged: bool = False) -> Message:
    from antirelou.export.model import Flag

    flags = (Flag("death_threat", "r", moment, "antirelou"),) if flagged else ()
    return Message(1, "sms", "+33612345678", "+33612345678", "phone", moment, None, None, "t",
                   1, 1, "gsm7", None, flags=flags)  # fmt: skip


def test_timeline_counts_per_hour_and_keeps_the_repeated_autumn_hour_apart():
    # 2017-10-29: Paris goes from +02:00 to +01:00 at 01:00 UTC; 02:30 local happens twice.
    first = datetime(2017, 10, 29, 0, 30, tzinfo=UTC)
    messages = [_message(first), _message(first + timedelta(minutes=5), True),
                _message(first + timedelta(hours=1)), _message(first + timedelta(hours=3))]  # fmt: skip
    chart = timeline(messages, "Europe/Paris")
    assert chart.step == HOUR
    assert [(b.start.strftime("%H:%M %z"), b.count, b.flagged) for b in chart.bins] == [
        ("02:00 +0200", 2, 1),
        ("02:00 +0100", 1, 0),
        ("03:00 +0100", 0, 0),
        ("04:00 +0100", 1, 0),
    ]
    assert chart.peak == 2


def test_timeline_counts_per_day_over_long_periods():
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    chart = timeline([_message(start), _message(start + timedelta(days=9))], "Europe/Paris")
    assert chart.step == DAY
    assert len(chart.bins) == 10
    assert [b.count for b in chart.bins] == [1] + [0] * 8 + [1]
    assert timeline([], "Europe/Paris").bins == ()
