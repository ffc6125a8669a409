"""Unsolicited lines told apart from answers, as real dongles interleave them (modems.md §4)."""

import pytest

from antirelou.unsolicited import Kind, classify, split


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('+CMTI: "SM",3', Kind.NEW_MESSAGE),
        ('+CMTI: "ME",0', Kind.NEW_MESSAGE),
        ("+CMT: ,24", Kind.DIRECT),
        ('^SMMEMFULL: "SM"', Kind.STORAGE_FULL),
        ("+SMS FULL", Kind.STORAGE_FULL),
        ("^BOOT:20952309,0,0,0,6", Kind.BOOT),
        ("RDY", Kind.BOOT),
        ("SMS DONE", Kind.BOOT),
        ("+QIND: SMS DONE", Kind.BOOT),
        ("RING", Kind.CALL),
        ("+CRING: VOICE", Kind.CALL),
        ('+CLIP: "+33612345678",145,,,,0', Kind.CALL),
        ("^CEND:1,0,104,16", Kind.CALL_ENDED),
        ("^RSSI:13", Kind.NOISE),
        ("^MODE:5,4", Kind.NOISE),
        ("^DSFLOWRPT:0000,0,0", Kind.NOISE),
        ('+ZPAS: "GPRS/EDGE","CS_ONLY"', Kind.NOISE),
        ("+ZUSIMR:2", Kind.NOISE),
        ("PB DONE", Kind.NOISE),
        ("+CPIN: READY", Kind.NOISE),
        ("+CMGL: 1,0,,23", None),
        ("07913396050066F0040B913316325476F800006230", None),
        ("OK", None),
        ("+CSQ: 20,99", Kind.NOISE),
    ],
)
def test_classify_table(line, kind):
    assert classify(line) is kind


def test_split_takes_notices_out_of_a_listing_even_between_header_and_pdu():
    lines = ["+CMGL: 0,0,,23", "^RSSI:7", "0791AB", "RING", "+CMGL: 1,0,,23", "0791CD", "OK"]
    answer, notices = split(lines, "AT+CMGL=4")
    assert answer == ["+CMGL: 0,0,,23", "0791AB", "+CMGL: 1,0,,23", "0791CD", "OK"]
    assert [notice.kind for notice in notices] == [Kind.NOISE, Kind.CALL]


def test_split_keeps_the_commands_own_result_line():
    answer, notices = split(["+CPIN: READY", "OK"], "AT+CPIN?")
    assert (answer, notices) == (["+CPIN: READY", "OK"], [])
    answer, notices = split(["+CSQ: 20,99", "+CPIN: READY", "OK"], "AT+CSQ")
    assert answer == ["+CSQ: 20,99", "OK"] and notices[0].line == "+CPIN: READY"


def test_split_takes_the_pdu_after_a_cmt_header():
    answer, notices = split(["+CSQ: 20,99", "+CMT: ,24", "0791ABCD", "OK"], "AT+CSQ")
    assert answer == ["+CSQ: 20,99", "OK"]
    assert [(notice.kind, notice.pdu) for notice in notices] == [(Kind.DIRECT, "0791ABCD")]


def test_split_a_cmt_header_at_the_end_waits_for_its_pdu():
    _, notices = split(["+CMT: ,24"])
    assert notices[0].kind is Kind.DIRECT and notices[0].pdu is None


@pytest.mark.parametrize(
    ("line", "caller"),
    [
        ('+CLIP: "+33612345678",145,,,,0', "+33612345678"),
        ('+CLIP: "",128,"",0', ""),
        ("RING", None),
    ],
)
def test_split_reads_the_caller_of_a_clip(line, caller):
    _, [notice] = split([line])
    assert notice.caller == caller
