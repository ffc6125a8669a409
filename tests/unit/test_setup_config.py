"""The configuration the set-up writes: the example file, every comment kept, the answers
in place, and whatever the user typed read back as typed."""

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from antirelou.config import loads
from antirelou.config.example import generate
from antirelou.setup.config_file import fill, yaml_list, yaml_string

# Every key the set-up writes (antirelou.setup.wizard._configuration).
ANSWERS = {
    "modem.port": yaml_string("/dev/serial/by-id/usb-HUAWEI_Mobile-if02-port0"),
    "modem.pin": yaml_string("0123"),
    "database": yaml_string("/var/lib/antirelou/sim2/antirelou.db"),
    "numbers.default_country": "32",
    "replies.text": yaml_string('Non, c\'est non. « "Stop" » \\ 🙅\nFin.'),
    "alerts.numbers": yaml_list(["+32470123456", "+33612345678"]),
}


def test_fill_puts_each_answer_in_the_example_and_keeps_every_comment():
    example = generate()

    text = fill(example, ANSWERS)
    config = loads(text, "/etc/antirelou/sim2.yaml")

    assert config.modem.port == "/dev/serial/by-id/usb-HUAWEI_Mobile-if02-port0"
    assert config.modem.pin == "0123"
    assert config.database == "/var/lib/antirelou/sim2/antirelou.db"
    assert config.numbers.default_country == 32
    assert config.replies.steps == ((('Non, c\'est non. « "Stop" » \\ 🙅\nFin.',),))
    assert config.alerts.numbers == ("+32470123456", "+33612345678")
    # Only the answered lines changed: same line count, same comments.
    assert len(text.splitlines()) == len(example.splitlines())
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == [
        line for line in example.splitlines() if line.lstrip().startswith("#")
    ]


def test_fill_changes_the_key_of_its_section_only():
    text = fill(generate(), {"replies.text": yaml_string("réponse")})

    config = loads(text)
    assert config.replies.steps == ((("réponse",),))
    assert config.calls.text != "réponse"


def test_fill_refuses_a_key_the_example_does_not_hold():
    with pytest.raises(KeyError, match="modem.speed"):
        fill(generate(), {"modem.speed": "1"})


@given(st.text())
def test_yaml_string_reads_back_as_the_same_text(text):
    assert yaml.safe_load(f"value: {yaml_string(text)}\n")["value"] == text


def test_yaml_string_escapes_what_yaml_would_fold_or_refuse():
    assert yaml_string("a\u2028b\x85c\x7f\ud800") == '"a\\u2028b\\u0085c\\u007f\\ud800"'


def test_yaml_list_is_a_flow_sequence_of_quoted_texts():
    assert yaml_list([]) == "[]"
    assert yaml.safe_load(yaml_list(["+33612345678", 'a"b'])) == ["+33612345678", 'a"b']
