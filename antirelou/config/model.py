"""What the rest of antirelou codes against: the configuration as frozen dataclasses.

No YAML here (the loader is apart), so that pure modules such as policy and flood can import
these types without loading an I/O library. What each field means is in the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from antirelou.durations import YEAR
from antirelou.flags import DEFAULT_RULES, Rule

DEFAULT_PATH = "/etc/antirelou/antirelou.yaml"


# --- The result: what the rest of antirelou codes against. ---


@dataclass(frozen=True)
class ModemConfig:
    """The `modem:` section. Durations are in seconds; what each key means is in SCHEMA."""

    port: str
    baudrate: int = 115200
    pin: str | None = None
    poll_interval: float = 10.0
    command_timeout: float = 10.0
    send_timeout: float = 60.0
    storage: str = "auto"
    registration_timeout: float = 300.0
    reassembly_timeout: float = 3600.0


@dataclass(frozen=True)
class NumbersConfig:
    """The `numbers:` section: how senders' numbers are read and which are never answered."""

    default_country: int = 33
    never_reply_prefixes: tuple[str, ...] = ("+338",)


@dataclass(frozen=True)
class RetryConfig:
    """The `replies.retry:` section; backoff is in seconds."""

    attempts: int = 3
    backoff: float = 60.0


DEFAULT_COUNTRY_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("+33", "fr"),
    ("+32", "fr"),
    ("+41", "fr"),
    ("+352", "fr"),
    ("+377", "fr"),
    ("+1", "en"),
    ("+44", "en"),
    ("+353", "en"),
    ("+61", "en"),
    ("+64", "en"),
    ("+34", "es"),
    ("+49", "de"),
    ("+39", "it"),
    ("+351", "pt"),
)


@dataclass(frozen=True)
class RepliesConfig:
    """The `replies:` section; durations are in seconds.

    `sequence` holds the steps (each a tuple of texts to pick from); empty means the one
    step `(text,)`. Use `steps` rather than reading either field.
    """

    enabled: bool = True
    text: str = "Si une femme dit non, inutile d'insister."
    sequence: tuple[tuple[str, ...], ...] = ()
    languages: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    country_languages: tuple[tuple[str, str], ...] = DEFAULT_COUNTRY_LANGUAGES
    restart_after: float = 30 * 86400.0
    cooldown: float = 86400.0
    delay: float = 0.0
    retry: RetryConfig = RetryConfig()

    @property
    def steps(self) -> tuple[tuple[str, ...], ...]:
        return self.sequence or ((self.text,),)

    def steps_for(self, number: str) -> tuple[tuple[str, ...], ...]:
        """Given a number in E.164 form, return the steps in its country's language, if any."""
        prefixes = sorted(self.country_languages, key=lambda pair: -len(pair[0]))
        language = next((name for prefix, name in prefixes if number.startswith(prefix)), None)
        return dict(self.languages).get(language, self.steps)


@dataclass(frozen=True)
class BudgetsConfig:
    """The `budgets:` section, in SMS segments (what the operator bills); None is unlimited."""

    segments_per_hour: int | None = 60
    segments_per_day: int | None = 300
    segments_per_month: int | None = 3000
    numbers_per_month: int | None = 140


@dataclass(frozen=True)
class FloodConfig:
    """The `flood:` section: when a raid is detected, and what may still be sent during it."""

    enabled: bool = True
    messages_per_minute: int = 20
    new_numbers_per_minute: int = 10
    calm_after: float = 86400.0
    segments_per_hour: int = 10
    hold: float = 300.0
    answer_within: float = 86400.0
    share_of_month: int = 25  # percent

    def share(self, limit: int | None) -> int | None:
        """Given a 30-day budget's limit, return the part of it a raid's replies may spend."""
        return None if limit is None else limit * self.share_of_month // 100


@dataclass(frozen=True)
class AlertsConfig:
    """The `alerts:` section: who is told when something needs a person."""

    numbers: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    min_interval: float = 1800.0
    reserve: int = 10  # alert SMS per rolling 24 hours, apart from the replies' budgets
    modem_lost_after: float = 600.0


@dataclass(frozen=True)
class CallsConfig:
    """The `calls:` section: whether a rejected voice call gets an SMS, and which."""

    reply: bool = False
    text: str = "Ce numéro ne prend pas d'appels. Si une femme dit non, inutile d'insister."


@dataclass(frozen=True)
class FlagsConfig:
    """The `flags:` section: which messages are flagged as possible threats (antirelou.flags)."""

    enabled: bool = True
    defaults: bool = True  # the French default rules (flags.DEFAULT_RULES), before `rules`
    rules: tuple[Rule, ...] = ()

    @property
    def active(self) -> tuple[Rule, ...]:
        """The rules messages are matched against, in order (none when disabled)."""
        if not self.enabled:
            return ()
        return (DEFAULT_RULES if self.defaults else ()) + self.rules


@dataclass(frozen=True)
class RetentionConfig:
    """The `retention:` section, in seconds: how long numbers and texts are kept (store.purge)."""

    messages: float = 90 * 86400.0
    flagged: float = 6.0 * YEAR  # after the flagged number's last message
    access: float = 1.0 * YEAR


@dataclass(frozen=True)
class LoggingConfig:
    """The `logging:` section."""

    level: str = "info"


@dataclass(frozen=True)
class Config:
    """The whole configuration. path is the absolute path of the file it was read from, and
    database an absolute path too.
    """

    path: str
    modem: ModemConfig
    database: str
    numbers: NumbersConfig
    replies: RepliesConfig
    logging: LoggingConfig
    budgets: BudgetsConfig = BudgetsConfig()
    flood: FloodConfig = FloodConfig()
    alerts: AlertsConfig = AlertsConfig()
    calls: CallsConfig = CallsConfig()
    flags: FlagsConfig = FlagsConfig()
    retention: RetentionConfig = RetentionConfig()
