import dataclasses
import os
import textwrap
from pathlib import Path

import pytest

from antirelou import config
from antirelou.config import (
    Config,
    ConfigError,
    ConfigIssue,
    load,
    loader,
    loads,
)
from antirelou.numbers import classify, operator_numbers

EXAMPLE = Path(__file__).resolve().parents[2] / "etc" / "antirelou.yaml"
FILE = "/etc/antirelou/antirelou.yaml"
MINIMAL = "modem:\n  port: /dev/antirelou-modem\ndatabase: /var/lib/antirelou/antirelou.db\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        loads(textwrap.dedent(text), FILE)
    return [str(issue) for issue in raised.value.errors]


# Each case: the file's text, where the error is ("line:column: key_path"), and a part of
# its message.
BAD_CONFIGS = [
    pytest.param(
        MINIMAL + "modem:\n  port: /dev/ttyUSB0\n",
        "4:1: modem",
        "duplicate key (already set on line 1",
        id="duplicate-section",
    ),
    pytest.param(
        """\
        modem:
          port: /dev/antirelou-modem
          baudrat: 9600
        database: a.db
        """,
        "3:3: modem.baudrat",
        "unknown key (did you mean 'baudrate'?)",
        id="unknown-key-suggestion",
    ),
    pytest.param(
        MINIMAL + "replies:\n  coldown: 24h\n",
        "5:3: replies.coldown",
        "unknown key (did you mean 'cooldown'?)",
        id="unknown-nested-key-suggestion",
    ),
    pytest.param(
        MINIMAL + "modme:\n  baudrate: 9600\n",
        "4:1: modme",
        "unknown section (did you mean 'modem'?)",
        id="unknown-section-suggestion",
    ),
    pytest.param(
        MINIMAL + "limits:\n  daily: 10\n",
        "4:1: limits",
        "unknown section (expected one of: modem, database, numbers, replies, calls, budgets,"
        " flood, alerts, flags, retention, logging)",
        id="unknown-section-no-suggestion",
    ),
    pytest.param(
        MINIMAL + "cooldown: 1h\n",
        "4:1: cooldown",
        "'cooldown' belongs under 'replies:' (check the indentation)",
        id="key-in-wrong-section",
    ),
    pytest.param(
        MINIMAL + "replies:\n  enabled: 3\n",
        "5:3: replies.enabled",
        "expected true or false, not '3'",
        id="wrong-type-boolean",
    ),
    pytest.param(
        MINIMAL + "replies:\n  enabled: oui\n",
        "5:3: replies.enabled",
        "'oui' is not understood: write true (or yes)",
        id="boolean-in-french",
    ),
    pytest.param(
        MINIMAL + "numbers:\n  default_country: '33'\n",
        "5:3: numbers.default_country",
        "expected a whole number, not '33' (write it without quotes)",
        id="wrong-type-quoted-number",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  pin: 0123\ndatabase: a.db\n",
        "3:3: modem.pin",
        '0123 must be in quotes, or YAML reads it as the number 83: write pin: "0123"',
        id="int-pin-leading-zero",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  pin: 1234\ndatabase: a.db\n",
        "3:3: modem.pin",
        '1234 must be in quotes: write pin: "1234"',
        id="int-pin",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  pin: '12a4'\ndatabase: a.db\n",
        "3:3: modem.pin",
        "'12a4' is not a PIN: write 4 to 8 digits in quotes",
        id="pin-not-digits",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  pin: '123456789'\ndatabase: a.db\n",
        "3:3: modem.pin",
        "is not a PIN",
        id="pin-too-long",
    ),
    pytest.param(
        MINIMAL + "replies:\n  cooldown: 2 days\n",
        "5:3: replies.cooldown",
        "'2 days' is not a duration (try 48h)",
        id="bad-duration-words",
    ),
    pytest.param(
        MINIMAL + "replies:\n  cooldown: 1:30\n",
        "5:3: replies.cooldown",
        "'1:30' is not a duration (write a number and a unit",
        id="bad-duration-sexagesimal",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  poll_interval: 20m\ndatabase: a.db\n",
        "3:3: modem.poll_interval",
        "'20m' is too long (at most 10m)",
        id="duration-too-long",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  poll_interval: 500ms\ndatabase: a.db\n",
        "3:3: modem.poll_interval",
        "'500ms' is too short (at least 1s)",
        id="duration-too-short",
    ),
    pytest.param(
        MINIMAL + "replies:\n  cooldown: -5m\n",
        "5:3: replies.cooldown",
        "'-5m' is negative",
        id="negative-duration",
    ),
    pytest.param(
        MINIMAL + "replies:\n  cooldown:\n",
        "5:3: replies.cooldown",
        "has no value: write a duration such as 30s, 5m or 24h, or delete the line to use the "
        "default (24h)",
        id="duration-without-value",
    ),
    pytest.param(
        MINIMAL + "replies:\n  retry:\n    attempts: -1\n",
        "6:5: replies.retry.attempts",
        "'-1' is too small (use a whole number from 1 to 10)",
        id="negative-number",
    ),
    pytest.param(
        MINIMAL + "numbers:\n  default_country: 1000\n",
        "5:3: numbers.default_country",
        "'1000' is too large (use a whole number from 1 to 999)",
        id="number-too-large",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  baudrate: 115201\ndatabase: a.db\n",
        "3:3: modem.baudrate",
        "'115201' is not one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600",
        id="bad-baudrate",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  storage: SIM\ndatabase: a.db\n",
        "3:3: modem.storage",
        "'SIM' is not allowed: use one of auto, SM, ME, MT",
        id="bad-storage",
    ),
    pytest.param(
        "modem:\n  baudrate: 9600\ndatabase: a.db\n",
        "1:1: modem.port",
        "missing: add e.g. 'port: /dev/antirelou-modem' under 'modem:'",
        id="missing-port",
    ),
    pytest.param(
        "database: a.db\n",
        "1:1: modem.port",
        "missing: add e.g. 'port: /dev/antirelou-modem' under 'modem:'",
        id="missing-modem-section",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n",
        "1:1: database",
        "missing: add e.g. 'database: /var/lib/antirelou/antirelou.db' at the top level",
        id="missing-database",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\ndatabase:\n",
        "3:1: database",
        "has no value: write a file path",
        id="database-without-value",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\ndatabase: ~/antirelou.db\n",
        "3:1: database",
        "~ is not expanded here, write the full path",
        id="database-home",
    ),
    pytest.param(
        "modem: /dev/ttyUSB0\ndatabase: a.db\n",
        "1:1: modem",
        "expected a section with indented keys (port, baudrate,",
        id="section-not-a-mapping",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\ndatabase: [a.db\n",
        "3:11: ",
        "invalid YAML:",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  baudrate: 9600\n    storage: SM\n",
        "4:12: ",
        "invalid YAML: mapping values are not allowed here",
        id="yaml-bad-indentation",
    ),
    pytest.param(
        "modem:\n\tport: /dev/antirelou-modem\n",
        "2:1: ",
        "(indent with spaces, not tabs)",
        id="yaml-tab",
    ),
    pytest.param("", "1:1: ", "the file is empty", id="empty-file"),
    pytest.param("# nothing yet\n\n", "1:1: ", "the file is empty", id="comments-only"),
    pytest.param("- modem\n", "1:1: ", "expected 'key: value' settings", id="top-level-list"),
    pytest.param(
        "modem:\n  port: /dev/antirelou-modem\n  port: /dev/ttyUSB0\ndatabase: a.db\n",
        "3:3: modem.port",
        "duplicate key (already set on line 2; keep only one)",
        id="duplicate-key",
    ),
    pytest.param(
        MINIMAL + "replies:\n  text: ''\n",
        "5:3: replies.text",
        "is empty: write the reply text",
        id="text-empty",
    ),
    pytest.param(
        MINIMAL + "replies:\n  text: 42\n",
        "5:3: replies.text",
        "not '42' (put it in quotes)",
        id="text-is-a-number",
    ),
    pytest.param(
        MINIMAL + "replies:\n  text: [a, b]\n",
        "5:3: replies.text",
        "not a list",
        id="text-is-a-list",
    ),
    pytest.param(
        MINIMAL + "replies:\n  text: " + "a" * 1531 + "\n",
        "5:3: replies.text",
        "is too long: 1531 characters make 11 SMS, at most 10 are allowed (shorten it)",
        id="text-too-long",
    ),
    pytest.param(
        MINIMAL + "replies:\n  text: " + "ê" * 700 + "\n",
        "5:3: replies.text",
        "(shorten it; because of ê, each SMS holds 70 characters, not 160)",
        id="text-too-long-unicode",
    ),
    pytest.param(
        MINIMAL + "numbers:\n  never_reply_prefixes: ['+338', '0800']\n",
        "5:34: numbers.never_reply_prefixes",
        "'0800' is not a prefix: write '+', the country code and the first digits",
        id="prefix-without-plus",
    ),
    pytest.param(
        MINIMAL + "numbers:\n  never_reply_prefixes:\n    - '+33 8'\n",
        "6:7: numbers.never_reply_prefixes",
        "'+33 8' is not a prefix",
        id="prefix-with-space",
    ),
    pytest.param(
        MINIMAL + "numbers:\n  never_reply_prefixes: '+338'\n",
        "5:3: numbers.never_reply_prefixes",
        "not '+338' (write a list, e.g. [\"+338\"], or [] for none)",
        id="prefixes-not-a-list",
    ),
    pytest.param(
        MINIMAL + "logging:\n  level: warn\n",
        "5:3: logging.level",
        "'warn' is not allowed: use one of debug, info, warning, error (did you mean 'warning'?)",
        id="level-invalid",
    ),
    pytest.param(
        MINIMAL + "? [a, b]\n: c\n",
        "4:3: ",
        "a list is not a key name (keys are plain words)",
        id="key-not-a-name",
    ),
    pytest.param(
        MINIMAL + "flags:\n  rules:\n    - id: rue\n      reason: adresse\n"
        "    - id: Rue\n      reason: x\n      phrases: [lilas]\n",
        "8:7: flags.rules[1]",
        "flag rule id 'Rue': use lower-case letters, digits and '_'",
        id="flag-rule-bad-id",
    ),
    pytest.param(
        MINIMAL + "flags:\n  rules:\n    - id: rue\n      reason: adresse\n",
        "6:7: flags.rules[0]",
        "flag rule 'rue': give at least one phrase or pattern",
        id="flag-rule-nothing-to-match",
    ),
    pytest.param(
        MINIMAL + "flags:\n  rules:\n    - id: death_threat\n      reason: x\n"
        "      phrases: [mort]\n",
        "6:7: flags.rules[0]",
        "id 'death_threat' is already used",
        id="flag-rule-default-id",
    ),
    pytest.param(
        MINIMAL + "flags:\n  rules:\n    - id: rue\n      reason: x\n      patterns: ['(']\n",
        "6:7: flags.rules[0]",
        "pattern '(' is not a regular expression",
        id="flag-rule-bad-pattern",
    ),
    pytest.param(
        MINIMAL + "retention:\n  messages: 30d\n",
        "5:3: retention.messages",
        "'30d' is too short (at least 31d)",
        id="retention-shorter-than-the-budgets",
    ),
]


def test_flag_rules_are_added_to_the_defaults():
    config = loads(
        MINIMAL + "flags:\n  rules:\n    - id: rue\n      reason: notre adresse\n"
        '      phrases: ["rue des Lilas"]\nretention:\n  flagged: 1y\n'
    )
    assert [rule.id for rule in config.flags.active][-1] == "rue"
    assert len(config.flags.active) == 6
    assert config.retention.flagged == 366 * 86400
    without = loads(MINIMAL + "flags:\n  defaults: false\n")
    assert without.flags.active == ()


@pytest.mark.parametrize("text, where, message", BAD_CONFIGS)
def test_loads_reports_bad_config(text, where, message):
    errors = errors_of(text)
    matching = [
        error for error in errors if error.startswith(f"{FILE}:{where}") and message in error
    ]
    assert matching, f"expected {where} … {message!r}, got:\n" + "\n".join(errors)


def test_config_error_str_is_one_line_per_issue():
    text = (
        MINIMAL + "numbers:\n  default_country: 33\n" + "\n" * 7 + "replies:\n  cooldown: 2 days\n"
    )

    errors = errors_of(text)

    assert errors == [f"{FILE}:14:3: replies.cooldown: '2 days' is not a duration (try 48h)"]


def test_loads_reports_every_error_at_once_in_file_order():
    text = """\
    modem:
      port: /dev/antirelou-modem
      baudrat: 9600
      pin: 0123
    replies:
      cooldown: 2 days
      enabled: oui
      retry:
        attempts: 0
    logging:
      level: loud
    """

    with pytest.raises(ConfigError) as raised:
        loads(textwrap.dedent(text), FILE)

    issues = raised.value.errors
    assert [(issue.line, issue.column, issue.key_path) for issue in issues] == [
        (1, 1, "database"),
        (3, 3, "modem.baudrat"),
        (4, 3, "modem.pin"),
        (6, 3, "replies.cooldown"),
        (7, 3, "replies.enabled"),
        (9, 5, "replies.retry.attempts"),
        (11, 3, "logging.level"),
    ]
    assert str(raised.value).count("\n") == len(issues) - 1
    assert all(issue.file == FILE for issue in issues)


def test_loads_reports_each_bad_prefix():
    errors = errors_of(MINIMAL + "numbers:\n  never_reply_prefixes: ['+338', 'x', '08']\n")

    assert [error.split(": ")[0] for error in errors] == [f"{FILE}:5:34", f"{FILE}:5:39"]


# alerts.numbers is read by numbers.classify, as the daemon reads it: a number it would drop
# (and so never alert, and auto-answer) must be refused here.
@pytest.mark.parametrize(
    "written, message",
    [
        (
            "'+0612345678'",
            "5:13: alerts.numbers[0]: '+0612345678' is not a full phone number (invalid); "
            "write it as 0612345678 or +33612345678",
        ),
        ("'3615'", "5:13: alerts.numbers[0]: '3615' is not a full phone number (short code)"),
        ("'Orange'", "5:13: alerts.numbers[0]: 'Orange' is not a full phone number (alphanumeric)"),
        ("'+33 6 12 34 56 78x'", "5:13: alerts.numbers[0]: '+33 6 12 34 56 78x' is not a full"),
        ("'0612345678', '06123'", "5:27: alerts.numbers[1]: '06123' is not a full phone number"),
    ],
)
def test_loads_refuses_alert_numbers_the_daemon_would_drop(written, message):
    errors = errors_of(MINIMAL + f"alerts:\n  numbers: [{written}]\n")

    assert [error for error in errors if error.startswith(f"{FILE}:{message}")], errors


@pytest.mark.parametrize(
    "written, default_country",
    [
        ("(06) 12 34 56 78", 33),
        ("06.12.34.56.78", 33),
        ("+33612345678", 33),
        ("0033612345678", 33),
        ("0470123456", 32),
    ],
)
def test_loads_accepts_alert_numbers_the_daemon_reads(written, default_country):
    text = MINIMAL + f"numbers:\n  default_country: {default_country}\n"
    loaded = loads(text + f'alerts:\n  numbers: ["{written}"]\n', FILE)

    assert operator_numbers(loaded.alerts.numbers, loaded.numbers.default_country) == {
        classify(written, default_country).e164
    }


def test_loads_reads_alert_numbers_with_the_files_default_country():
    # A national number of 14 digits after the 0 fits E.164's 15 with country code 1, not 33.
    alerts = "alerts:\n  numbers: ['012345678901234']\n"

    loaded = loads(MINIMAL + "numbers:\n  default_country: 1\n" + alerts, FILE)
    errors = errors_of(MINIMAL + alerts)

    assert operator_numbers(loaded.alerts.numbers, loaded.numbers.default_country) == {
        "+112345678901234"
    }
    assert errors == [
        f"{FILE}:5:13: alerts.numbers[0]: '012345678901234' is not a full phone number "
        "(invalid); write it as 0612345678 or +33612345678"
    ]


def test_config_issue_str_without_line():
    issue = ConfigIssue("/etc/antirelou/antirelou.yaml", None, None, "", "no such file")

    assert str(issue) == "/etc/antirelou/antirelou.yaml: no such file"


# --- load: the file itself. ---


def test_load_missing_file(tmp_path):
    path = tmp_path / "antirelou.yaml"

    with pytest.raises(ConfigError) as raised:
        load(path)

    (issue,) = raised.value.errors
    assert (issue.file, issue.line) == (str(path), None)
    assert str(raised.value).startswith(f"{path}: no such file")


def test_load_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "antirelou.yaml"
    path.write_text(MINIMAL)

    def refuse(*arguments, **options):
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, whom chmod cannot stop.
    monkeypatch.setattr(loader, "open", refuse, raising=False)

    with pytest.raises(ConfigError) as raised:
        load(path)

    assert str(raised.value) == f"{path}: permission denied (run as root or make the file readable)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_load_unreadable_file_for_real(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_text(MINIMAL)
    path.chmod(0)

    with pytest.raises(ConfigError, match="permission denied"):
        load(path)


def test_load_directory(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path)


def test_load_not_utf8(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_bytes(MINIMAL.encode() + b"replies:\n  text: caf\xe9\n")

    with pytest.raises(ConfigError) as raised:
        load(path)

    assert str(raised.value) == f"{path}:5:1: is not UTF-8 text (save it as UTF-8)"


def test_load_byte_order_mark(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())

    assert load(path).modem.port == "/dev/antirelou-modem"


def test_load_yaml_syntax_error_has_its_line(tmp_path):
    path = tmp_path / "antirelou.yaml"
    path.write_text('modem:\n  port: "/dev/antirelou-modem\ndatabase: a.db\n')

    with pytest.raises(ConfigError) as raised:
        load(path)

    (issue,) = raised.value.errors
    assert issue.file == str(path)
    assert issue.line == 2  # Where the unterminated quote starts, not the end of the file.
    assert issue.message.startswith("invalid YAML")


# An unterminated quote or bracket is found at the end of the file, where the parser gives up;
# the error names where it starts. A slip in the indentation is named where it is.
@pytest.mark.parametrize(
    "text, where, message",
    [
        pytest.param(
            'modem:\n  port: /dev/antirelou-modem\n  pin: "1234\n'
            + "".join(f"key{number}: {number}\n" for number in range(7)),
            "3:8: ",
            "invalid YAML: a quoted text starts here and is never closed (add the closing quote)",
            id="unterminated-double-quote",
        ),
        pytest.param(
            "replies:\n  text: 'Non\n  cooldown: 24h\n",
            "2:9: ",
            "a quoted text starts here and is never closed (add the closing quote)",
            id="unterminated-single-quote",
        ),
        pytest.param(
            "modem:\n  port: x\ndatabase: [a.db\n\n# the end\n",
            "3:11: ",
            "a list starts here and is never closed (add the closing ])",
            id="unterminated-bracket",
        ),
        pytest.param(
            "numbers:\n  never_reply_prefixes: ['+338'\n  default_country: 33\n",
            "3:3: ",
            "expected ',' or ']', but got '<scalar>' (a list starts on line 2)",
            id="unterminated-bracket-then-a-key",
        ),
        pytest.param(
            "modem:\n  port: x\n baudrate: 9600\ndatabase: a.db\n",
            "3:2: ",
            "(check the indentation)",
            id="indentation-slip-stays-where-it-is",
        ),
        pytest.param(
            "modem:\n  port: x\n  baudrate\ndatabase: a.db\n",
            "3:3: ",
            "could not find expected ':'",
            id="key-without-colon",
        ),
    ],
)
def test_loads_names_the_line_where_a_syntax_error_starts(text, where, message):
    (error,) = errors_of(text)

    assert error.startswith(f"{FILE}:{where}invalid YAML: "), error
    assert message in error, error


# --- Good configurations. ---


def test_loads_minimal_config_gets_every_default():
    loaded = loads(MINIMAL, FILE)

    assert loaded == Config(
        path=FILE,
        modem=config.ModemConfig(port="/dev/antirelou-modem"),
        database="/var/lib/antirelou/antirelou.db",
        numbers=config.NumbersConfig(),
        replies=config.RepliesConfig(),
        logging=config.LoggingConfig(),
    )


def test_loads_full_config():
    text = """\
    modem:
      port: /dev/ttyUSB2
      baudrate: 9600
      pin: "0123"
      poll_interval: 30s
      command_timeout: 5s
      send_timeout: 2m
      storage: sm
      registration_timeout: 1m
      reassembly_timeout: 2h
    database: /srv/antirelou.db
    numbers:
      default_country: +32
      never_reply_prefixes: [+338, "+3290"]
    replies:
      enabled: no
      text: |
        Non, c'est non.
      cooldown: 1h30m
      retry:
        attempts: 5
        backoff: 2s
    logging:
      level: DEBUG
    """

    loaded = loads(textwrap.dedent(text), FILE)

    assert loaded.modem == config.ModemConfig(
        port="/dev/ttyUSB2",
        baudrate=9600,
        pin="0123",
        poll_interval=30.0,
        command_timeout=5.0,
        send_timeout=120.0,
        storage="SM",
        registration_timeout=60.0,
        reassembly_timeout=7200.0,
    )
    assert loaded.database == "/srv/antirelou.db"
    # An unquoted +338 is the integer 338 to YAML; the prefix is read as written.
    assert loaded.numbers == config.NumbersConfig(32, ("+338", "+3290"))
    assert loaded.replies == config.RepliesConfig(
        enabled=False,
        text="Non, c'est non.",
        cooldown=5400.0,
        retry=config.RetryConfig(attempts=5, backoff=2.0),
    )
    assert loaded.logging.level == "debug"


def test_loads_empty_section_uses_defaults():
    loaded = loads(MINIMAL + "numbers:\nreplies:\n  # enabled: false\n", FILE)

    assert loaded.numbers == config.NumbersConfig()
    assert loaded.replies == config.RepliesConfig()


def test_loads_plain_number_duration_is_seconds():
    # Decimal as written, although YAML 1.1 would read 010 as octal 8.
    loaded = loads(MINIMAL.replace("modem:\n", "modem:\n  poll_interval: 010\n"), FILE)

    assert loaded.modem.poll_interval == 10.0


def test_loads_relative_database_is_relative_to_config_directory():
    loaded = loads(
        "modem:\n  port: /dev/x\ndatabase: data/../antirelou.db\n", "/etc/antirelou/a.yaml"
    )

    assert loaded.database == "/etc/antirelou/antirelou.db"


def test_load_relative_database_and_path_are_absolute(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "antirelou.yaml").write_text(
        "modem:\n  port: /dev/x\ndatabase: antirelou.db\n"
    )
    monkeypatch.chdir(tmp_path)

    loaded = load("conf/antirelou.yaml")

    assert loaded.path == str(tmp_path / "conf" / "antirelou.yaml")
    assert loaded.database == str(tmp_path / "conf" / "antirelou.db")


def test_loads_pseudo_path_resolves_database_from_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    loaded = loads("modem:\n  port: /dev/x\ndatabase: antirelou.db\n")

    assert loaded.path == "<string>"
    assert loaded.database == str(tmp_path / "antirelou.db")


def test_loads_result_is_frozen():
    loaded = loads(MINIMAL, FILE)

    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.modem.port = "/dev/other"


@pytest.mark.parametrize(("written", "share"), [("25", 25), ("25%", 25), ('"10 %"', 10), ("0", 0)])
def test_share_of_month_is_a_percentage_written_either_way(written, share):
    loaded = loads(MINIMAL + f"flood:\n  share_of_month: {written}\n", FILE)
    assert loaded.flood.share_of_month == share


@pytest.mark.parametrize("written", ["101%", "half", "-5", "[25]"])
def test_share_of_month_refuses_what_is_not_a_percentage(written):
    problems = errors_of(MINIMAL + f"flood:\n  share_of_month: {written}\n")
    assert len(problems) == 1 and "flood.share_of_month" in problems[0], problems


def test_the_defaults_of_deferral_share_and_reserve():
    loaded = loads(MINIMAL, FILE)
    assert (loaded.flood.answer_within, loaded.flood.share_of_month) == (86400.0, 25)
    assert loaded.alerts.reserve == 10
    assert loaded.flood.share(140) == 35 and loaded.flood.share(None) is None
