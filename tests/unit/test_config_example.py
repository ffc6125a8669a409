"""The example file is generated from the schema, so the two cannot drift apart."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from antirelou.config import REQUIRED, SCHEMA, Section, iter_keys, load, loads
from antirelou.config.checks import Context, Duration, Integer, Limit
from antirelou.config.example import WIDTH, comment, generate

EXAMPLE = Path(__file__).resolve().parents[2] / "etc" / "antirelou.yaml"
MINIMAL = "modem:\n  port: /dev/antirelou-modem\ndatabase: /var/lib/antirelou/antirelou.db\n"


def test_example_is_generated_from_the_schema():
    assert EXAMPLE.read_text() == generate(), (
        "etc/antirelou.yaml is not what the schema generates: edit the descriptions in "
        "antirelou/config/schema.py, then run "
        "`python -m antirelou.config.example > etc/antirelou.yaml`"
    )


def _example_key_paths(node: yaml.Node, prefix: str = "") -> set[str]:
    sections = {path for path, entry, _ in iter_keys() if isinstance(entry, Section)}
    paths = set()
    for key_node, value_node in node.value:
        path = prefix + key_node.value
        paths.add(path)
        # Only sections hold keys; a mapping value (country_languages) is data.
        if isinstance(value_node, yaml.MappingNode) and path in sections:
            paths |= _example_key_paths(value_node, path + ".")
    return paths


def test_example_has_every_schema_key():
    written = _example_key_paths(yaml.compose(EXAMPLE.read_text(), Loader=yaml.SafeLoader))

    assert written == {path for path, _, _ in iter_keys()}


def test_example_loads_with_every_default():
    loaded = load(EXAMPLE)

    assert loaded.modem.port == "/dev/antirelou-modem"
    assert loaded.database == "/var/lib/antirelou/antirelou.db"
    assert loaded == dataclasses.replace(loads(MINIMAL), path=str(EXAMPLE))


def test_example_comments_are_bilingual():
    text = EXAMPLE.read_text()

    assert text.count("# FR:") >= len(list(iter_keys()))
    assert text.count("# FR:") == text.count("# EN:")


def test_schema_every_key_has_french_and_english_descriptions():
    for path, key, _ in iter_keys():
        assert key.description_fr.strip(), path
        assert key.description_en.strip(), path
        assert key.description_fr != key.description_en, path


def test_schema_keys_match_the_dataclass_fields():
    def check(section: Section) -> None:
        fields = {field.name for field in dataclasses.fields(section.result)}
        if section is SCHEMA:
            fields.remove("path")  # Set by the loader, not written in the file.
        assert fields == {entry.name for entry in section.keys}, section.name
        for entry in section.keys:
            if isinstance(entry, Section):
                check(entry)

    check(SCHEMA)


def test_schema_required_keys_have_an_example():
    for path, key, default in iter_keys():
        if default is REQUIRED and not isinstance(key, Section):
            assert key.example, path


def test_schema_defaults_pass_their_own_check():
    # A default the check would refuse could never be written back into the file.
    for path, key, default in iter_keys():
        if isinstance(key, Section) or default is REQUIRED:
            continue
        text = f"value: {key.check.format(default)}\n"
        node = yaml.compose(text, Loader=yaml.SafeLoader).value[0][1]
        assert key.check(node, Context("/")) == default, path


def test_comment_labels_each_language_and_wraps_to_the_width():
    text = comment("mot " * 40, "word " * 40, "  ")

    lines = text.splitlines()
    assert lines[0].startswith("  # FR: mot mot")
    assert [line for line in lines if line.startswith("  # EN: word")]
    assert all(line.startswith(("  # FR: ", "  # EN: ", "  #     ")) for line in lines)
    assert max(len(line) for line in lines) <= WIDTH


def test_comment_starts_a_line_at_each_newline_and_shows_samples_as_written():
    text = comment("Un.\nDeux.", "One.\nExample:\n  key:\n    - x", "")

    assert text == (
        "# FR: Un.\n#     Deux.\n# EN: One.\n#     Example:\n#       key:\n#         - x\n"
    )


def test_comment_ends_with_the_allowed_values():
    text = comment("Attente.", "Wait.", "", ("Entre 1s et 1h.", "Between 1s and 1h."))

    assert text == "# FR: Attente. Entre 1s et 1h.\n# EN: Wait. Between 1s and 1h.\n"


def test_comment_never_breaks_inside_french_quotes_or_before_a_colon():
    text = comment("« a »" + " « illimités » :" * 30, "x", "")

    for line in text.splitlines():
        assert not line.rstrip().endswith("«"), line
        assert not line.startswith(("#     »", "#     :")), line


@pytest.mark.parametrize(
    "check, allowed",
    [
        (Duration(1, 600), ("Entre 1s et 10m.", "Between 1s and 10m.")),
        (Integer(1, 999), ("Entre 1 et 999.", "Between 1 and 999.")),
        (
            Integer(choices=(9600, 115200)),
            ("Valeurs possibles : 9600, 115200.", "Allowed: 9600, 115200."),
        ),
        (Integer(0), None),
        (Limit(), None),
    ],
)
def test_check_allowed_says_the_range_in_both_languages(check, allowed):
    assert check.allowed() == allowed
