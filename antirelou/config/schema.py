"""The configuration file, described once: each Key says how its YAML value is checked and
what it means (in French and English); each Section says which frozen dataclass it becomes.

Defaults and required keys come from the dataclasses themselves. Validation, did-you-mean
suggestions and the example file etc/antirelou.yaml are all derived from SCHEMA, so adding a
setting is one dataclass field plus one Key, then regenerating the example.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from antirelou.config.checks import (
    Boolean,
    Check,
    Choice,
    Duration,
    FilePath,
    Integer,
    Limit,
    Mapping,
    Pin,
    PrefixList,
    StringList,
    Text,
    TextSteps,
    command_word,
    phone_number,
)
from antirelou.config.model import (
    AlertsConfig,
    BudgetsConfig,
    Config,
    FloodConfig,
    LoggingConfig,
    ModemConfig,
    NumbersConfig,
    RepliesConfig,
    RetryConfig,
)

REQUIRED = dataclasses.MISSING


@dataclass(frozen=True)
class Key:
    """One setting: its YAML name, how its value is checked, and what it means.

    Its default (or REQUIRED) is the default of the field of the same name in the section's
    dataclass. `example` is the value suggested when a required key is missing.
    """

    name: str
    check: Check
    description_fr: str
    description_en: str
    example: str | None = None


@dataclass(frozen=True)
class Section:
    """A group of settings (a YAML mapping), turned into the frozen dataclass `result`."""

    name: str
    result: Callable[..., Any]
    keys: tuple[Key | Section, ...]
    description_fr: str
    description_en: str


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_LANGUAGE_CODES = (
    "fr",
    "en",
    "es",
    "de",
    "it",
    "pt",
    "nl",
    "ar",
    "tr",
    "pl",
    "ro",
    "ru",
    "uk",
    "zh",
    "wo",
    "ln",
    "br",
    "oc",
    "eu",
    "ca",
)

SCHEMA = Section(
    "",
    Config,
    (
        Section(
            "modem",
            ModemConfig,
            (
                Key(
                    "port",
                    Text(expected="a device path such as /dev/antirelou-modem"),
                    "Le périphérique de la clé 3G/4G (le lien créé par la règle udev).",
                    "The dongle's device (the symlink made by the udev rule).",
                    example="/dev/antirelou-modem",
                ),
                Key(
                    "baudrate",
                    Integer(choices=(9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)),
                    "Vitesse du port série ; 115200 convient à presque toutes les clés.",
                    "Serial speed; 115200 suits almost every dongle.",
                ),
                Key(
                    "pin",
                    Pin(),
                    "Code PIN de la carte SIM, entre guillemets ; null si la SIM n'en a pas.",
                    "The SIM's PIN, in quotes; null if the SIM has none.",
                ),
                Key(
                    "poll_interval",
                    Duration(1, 10 * _MINUTE),
                    "Relire la mémoire des SMS au moins aussi souvent, car la clé oublie parfois"
                    " de signaler un SMS arrivé.",
                    "List the SMS storage at least this often, since the dongle sometimes fails"
                    " to announce a new SMS.",
                ),
                Key(
                    "command_timeout",
                    Duration(1, 5 * _MINUTE),
                    "Temps d'attente maximal de la réponse à chaque commande envoyée à la clé.",
                    "How long to wait for the answer to each command sent to the dongle.",
                ),
                Key(
                    "send_timeout",
                    Duration(5, 10 * _MINUTE),
                    "Temps d'attente maximal pour l'envoi de chaque SMS (chaque partie d'un long"
                    " message).",
                    "How long to wait for each SMS (each part of a long message) to be sent.",
                ),
                Key(
                    "storage",
                    Choice(("auto", "SM", "ME", "MT")),
                    "Mémoire où lire les SMS : SM (carte SIM), ME (clé), MT (les deux), auto (la"
                    " plus grande).",
                    "Where SMS are read from: SM (SIM card), ME (dongle), MT (both), auto (the"
                    " largest).",
                ),
                Key(
                    "registration_timeout",
                    Duration(10, _HOUR),
                    "Au démarrage, temps d'attente maximal de la connexion au réseau mobile.",
                    "At start-up, how long to wait for the mobile network registration.",
                ),
                Key(
                    "reassembly_timeout",
                    Duration(_MINUTE, 7 * _DAY),
                    "Temps pendant lequel les morceaux d'un long SMS attendent ceux qui manquent,"
                    " avant d'enregistrer le message incomplet.",
                    "How long the parts of a long SMS wait for the missing ones before the"
                    " message is logged incomplete.",
                ),
            ),
            "La clé 3G/4G (modem GSM) branchée en USB.",
            "The USB GSM dongle.",
        ),
        Key(
            "database",
            FilePath(),
            "Fichier SQLite où sont enregistrés les SMS reçus et les réponses ; un chemin relatif"
            " part du dossier de ce fichier de configuration.",
            "SQLite file where received SMS and replies are logged; a relative path starts from"
            " this configuration file's directory.",
            example="/var/lib/antirelou/antirelou.db",
        ),
        Section(
            "numbers",
            NumbersConfig,
            (
                Key(
                    "default_country",
                    Integer(1, 999),
                    "Indicatif du pays utilisé pour lire les numéros nationaux (33 : 0612345678"
                    " devient +33612345678).",
                    "Calling code used to read national numbers (33: 0612345678 becomes"
                    " +33612345678).",
                ),
                Key(
                    "never_reply_prefixes",
                    PrefixList(),
                    "Numéros auxquels on ne répond jamais, par leur début (+338 : les numéros"
                    " surtaxés 08 en France), pour ne pas payer de SMS surtaxé.",
                    "Numbers never answered, by their beginning (+338: French 08 premium-rate"
                    " numbers), so that no premium SMS is ever paid for.",
                ),
            ),
            "Lecture des numéros de téléphone.",
            "How phone numbers are read.",
        ),
        Section(
            "replies",
            RepliesConfig,
            (
                Key(
                    "enabled",
                    Boolean(),
                    "true : répondre à chaque SMS ; false : seulement les enregistrer.",
                    "true: answer each SMS; false: only log them.",
                ),
                Key(
                    "text",
                    Text(max_segments=10, expected="the reply text, in quotes"),
                    "Le texte envoyé en réponse (10 SMS au plus).",
                    "The text sent as a reply (at most 10 SMS).",
                ),
                Key(
                    "sequence",
                    TextSteps(max_segments=10),
                    "Facultatif : une suite de réponses. Le 1er SMS d'un numéro reçoit la 1re, le"
                    " 2e la 2e, etc. ; après la dernière, plus rien. Chaque étape est un texte, ou"
                    " une liste de textes dont un est tiré au hasard. Vide : `text` seul.",
                    "Optional: a sequence of replies. A number's 1st SMS gets the 1st, its 2nd"
                    " the 2nd, and so on; after the last, silence. Each step is a text, or a"
                    " list of texts one of which is picked at random. Empty: `text` alone.",
                ),
                Key(
                    "languages",
                    Mapping(
                        "texts per language",
                        r"[a-z]{2,3}",
                        "a language code such as en",
                        TextSteps(max_segments=10),
                    ),
                    "Facultatif : des réponses dans d'autres langues, choisies selon l'indicatif"
                    " du numéro (voir country_languages) ; chaque langue a une suite comme"
                    " `sequence`. Sinon, la réponse par défaut.",
                    "Optional: replies in other languages, chosen from the number's country"
                    " code (see country_languages); each language has a sequence like"
                    " `sequence`. Otherwise, the default reply.",
                ),
                Key(
                    "country_languages",
                    Mapping(
                        "country codes and languages",
                        r"\+\d{1,4}",
                        'a country code such as "+44"',
                        Choice(_LANGUAGE_CODES),
                    ),
                    "La langue de chaque indicatif (le plus long l'emporte).",
                    "The language of each country code (the longest match wins).",
                ),
                Key(
                    "restart_after",
                    Duration(_HOUR, 3 * 365 * _DAY),
                    "Un numéro dont la dernière réponse date de plus longtemps recommence la"
                    " suite au début.",
                    "A number last answered longer ago than this starts the sequence again.",
                ),
                Key(
                    "cooldown",
                    Duration(_MINUTE, 365 * _DAY),
                    "Un même numéro reçoit au plus une réponse pendant cette durée (évite de"
                    " payer pour quelqu'un qui insiste, ou une boucle avec un répondeur).",
                    "A number gets at most one reply within this time (so someone insisting, or"
                    " another automatic responder, cannot run up the bill).",
                ),
                Key(
                    "delay",
                    Duration(0, 7 * _DAY),
                    "Attendre avant de répondre (0s : tout de suite). Le service de 2017"
                    " répondait une heure plus tard, quand l'homme était parti. Les réponses en"
                    " attente survivent à un redémarrage.",
                    "Wait this long before replying (0s: at once). The 2017 service answered an"
                    " hour later, when the man had gone. Waiting replies survive a restart.",
                ),
                Section(
                    "retry",
                    RetryConfig,
                    (
                        Key(
                            "attempts",
                            Integer(1, 10),
                            "Nombre total d'essais d'envoi d'une réponse refusée par la clé.",
                            "Total number of attempts to send a reply the dongle refused.",
                        ),
                        Key(
                            "backoff",
                            Duration(1, _HOUR),
                            "Attente avant le 2e essai, doublée à chaque essai suivant.",
                            "Wait before the 2nd attempt, doubled for each following one.",
                        ),
                    ),
                    "Nouveaux essais quand l'envoi d'une réponse échoue.",
                    "Trying again when sending a reply fails.",
                ),
            ),
            "Les réponses automatiques.",
            "The automatic replies.",
        ),
        Section(
            "budgets",
            BudgetsConfig,
            (
                Key(
                    "segments_per_hour",
                    Limit(),
                    "SMS envoyés au plus par heure (un long texte compte pour plusieurs SMS).",
                    "At most this many SMS sent per hour (a long text counts as several).",
                ),
                Key(
                    "segments_per_day",
                    Limit(),
                    "SMS envoyés au plus par jour.",
                    "At most this many SMS sent per day.",
                ),
                Key(
                    "segments_per_month",
                    Limit(),
                    "SMS envoyés au plus par mois (30 jours glissants).",
                    "At most this many SMS sent per month (rolling 30 days).",
                ),
                Key(
                    "numbers_per_month",
                    Limit(),
                    "Numéros différents auxquels on répond au plus par mois : les forfaits"
                    " « illimités » coupent la ligne au-delà d'environ 150 correspondants.",
                    'At most this many different numbers answered per month: "unlimited"'
                    " plans suspend the line beyond about 150 correspondents.",
                ),
            ),
            "Budgets : une fois dépensés, les SMS sont encore enregistrés mais plus"
            " répondus (unlimited : sans limite).",
            "Budgets: once spent, SMS are still logged but no longer answered (unlimited: no"
            " limit).",
        ),
        Section(
            "flood",
            FloodConfig,
            (
                Key(
                    "enabled",
                    Boolean(),
                    "Détecter les raids (afflux de SMS) et passer en mode raid.",
                    "Detect raids (floods of SMS) and switch to flood mode.",
                ),
                Key(
                    "messages_per_minute",
                    Integer(1, 10_000),
                    "Raid si au moins autant de SMS arrivent en une minute…",
                    "A raid is on if at least this many SMS arrive within a minute…",
                ),
                Key(
                    "new_numbers_per_minute",
                    Integer(1, 10_000),
                    "… ou si au moins autant de numéros jamais vus écrivent en une minute.",
                    "… or if at least this many never-seen numbers write within a minute.",
                ),
                Key(
                    "calm_after",
                    Duration(_MINUTE, _DAY),
                    "Fin du raid quand le débit est resté en dessous des seuils pendant cette"
                    " durée.",
                    "The raid is over when the rates have stayed below the thresholds this long.",
                ),
                Key(
                    "segments_per_hour",
                    Integer(0, 100_000),
                    "Pendant un raid, on ne répond qu'aux numéros jamais répondus, dans ce"
                    " budget de SMS par heure, plus petit.",
                    "During a raid, only numbers never answered get a reply, within this"
                    " smaller budget of SMS per hour.",
                ),
                Key(
                    "hold",
                    Duration(0, _HOUR),
                    "Pendant un raid, une réponse attend ce temps avant de partir ; si le numéro"
                    " a réécrit entre-temps (un raideur insiste), elle n'est pas envoyée. Le"
                    " budget n'est compté qu'à l'envoi : il reste aux personnes qui n'écrivent"
                    " qu'une fois.",
                    "During a raid, a reply waits this long before it leaves; if the number"
                    " wrote again meanwhile (a raider insists), it is not sent. The budget is"
                    " only counted when sending: it stays for people who write only once.",
                ),
            ),
            "Mode raid (comme l'attaque de 2017 : 20 000 insultes en un après-midi).",
            "Flood mode (like the 2017 attack: 20,000 insults in one afternoon).",
        ),
        Section(
            "alerts",
            AlertsConfig,
            (
                Key(
                    "numbers",
                    StringList("a phone number", phone_number),
                    "Numéros des personnes qui s'occupent du service : ils reçoivent un SMS"
                    " d'alerte (début et fin d'un raid, budget épuisé, clé perdue), comptés dans"
                    " les budgets ; leurs SMS ne comptent jamais comme un raid et ne reçoivent"
                    " jamais la réponse automatique.",
                    "Phone numbers of the people running the service: they get an alert SMS"
                    " (raid start and end, budget spent, dongle lost), counted in the budgets;"
                    " their SMS never count as a raid and never get the automatic reply.",
                ),
                Key(
                    "command",
                    StringList("a word of a command", command_word),
                    "Facultatif : un programme lancé à chaque alerte, sans shell, avec ces mots"
                    " puis deux arguments : le type d'alerte et sa description. Exemple :"
                    ' ["/usr/local/bin/alerte", "--canal", "signal"].',
                    "Optional: a program run on each alert, without a shell, with these words"
                    " then two arguments: the kind of alert and its description. Example:"
                    ' ["/usr/local/bin/alert", "--channel", "signal"].',
                ),
                Key(
                    "min_interval",
                    Duration(_MINUTE, 7 * _DAY),
                    "Au plus une alerte de chaque type pendant cette durée.",
                    "At most one alert of each kind within this time.",
                ),
                Key(
                    "modem_lost_after",
                    Duration(_MINUTE, _DAY),
                    "Alerter quand la clé est perdue depuis plus longtemps que cela.",
                    "Alert when the dongle has been lost for longer than this.",
                ),
            ),
            "Alertes aux personnes qui s'occupent du service.",
            "Alerts to the people running the service.",
        ),
        Section(
            "logging",
            LoggingConfig,
            (
                Key(
                    "level",
                    Choice(("debug", "info", "warning", "error")),
                    "Quantité de messages dans le journal ; debug montre tout le dialogue avec la"
                    " clé.",
                    "How much goes to the log; debug shows all the traffic with the dongle.",
                ),
            ),
            "Le journal du service (journalctl -u antirelou).",
            "The service's log (journalctl -u antirelou).",
        ),
    ),
    "Configuration d'antirelou.",
    "antirelou's configuration.",
)


def default_of(section: Section, key: Key | Section) -> Any:
    """Given a section and one of its keys, return the key's default, or REQUIRED."""
    field = next(f for f in dataclasses.fields(section.result) if f.name == key.name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def iter_keys(
    section: Section = SCHEMA, prefix: str = ""
) -> Iterator[tuple[str, Key | Section, Any]]:
    """Given a section, return (dotted path, key or section, default or REQUIRED) for every key
    and section under it, depth first, in schema order.
    """
    for entry in section.keys:
        path = prefix + entry.name
        if isinstance(entry, Section):
            yield path, entry, default_of(section, entry)
            yield from iter_keys(entry, path + ".")
        else:
            yield path, entry, default_of(section, entry)
