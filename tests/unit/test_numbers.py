import pytest

from antirelou.numbers import NumberKind, classify, normalise


@pytest.mark.parametrize(
    ("raw", "alphanumeric", "kind", "e164"),
    [
        ("+33612345678", False, NumberKind.PHONE, "+33612345678"),
        ("0612345678", False, NumberKind.PHONE, "+33612345678"),
        ("0033612345678", False, NumberKind.PHONE, "+33612345678"),
        ("06 12 34 56 78", False, NumberKind.PHONE, "+33612345678"),
        ("06.12.34.56.78", False, NumberKind.PHONE, "+33612345678"),
        ("33612345678", False, NumberKind.PHONE, "+33612345678"),
        ("+447700900123", False, NumberKind.PHONE, "+447700900123"),
        ("36179", False, NumberKind.SHORT_CODE, None),
        ("+36179", False, NumberKind.SHORT_CODE, None),
        ("3179", False, NumberKind.SHORT_CODE, None),
        ("Orange", True, NumberKind.ALPHANUMERIC, None),
        ("FreeMobile", False, NumberKind.ALPHANUMERIC, None),
        ("+33612345678", True, NumberKind.ALPHANUMERIC, None),
        ("", False, NumberKind.INVALID, None),
        (None, False, NumberKind.INVALID, None),
        ("+1234567890123456", False, NumberKind.INVALID, None),
        ("+33 6 12 ## 56", False, NumberKind.INVALID, None),
        ("+0612345678", False, NumberKind.INVALID, None),
    ],
)
def test_classify_table(raw, alphanumeric, kind, e164):
    number = classify(raw, 33, alphanumeric=alphanumeric)
    assert number.kind is kind
    assert number.e164 == e164


def test_classify_uses_default_country_for_national_numbers():
    assert classify("0471234567", 32).e164 == "+32471234567"


def test_normalise_makes_three_spellings_one_number():
    spellings = {normalise(raw, 33) for raw in ("0612345678", "+33612345678", "0033612345678")}
    assert spellings == {"+33612345678"}


@pytest.mark.parametrize("raw", ["36179", "Orange", "", "12"])
def test_normalise_rejects_what_is_not_a_phone(raw):
    with pytest.raises(ValueError, match="not a full phone number"):
        normalise(raw, 33)
