"""The configuration file, described once: each Key says how its YAML value is checked and
what it means (in French and English); each Section says which frozen dataclass it becomes.

Defaults and required keys come from the dataclasses themselves. Validation, did-you-mean
suggestions and the example file etc/antirelou.yaml are all derived from SCHEMA, so adding a
setting is one dataclass field plus one Key, then regenerating the example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from antirelou.config.checks import (
    Boolean,
    Choice,
    Duration,
    FilePath,
    Integer,
    Mapping,
    Pin,
    PrefixList,
    Text,
    TextSteps,
)
from antirelou.config.evidence import FLAGS, RETENTION
from antirelou.config.keys import DAY, HOUR, MINUTE, Key, Section, default_of
from antirelou.config.model import (
    CallsConfig,
    Config,
    LoggingConfig,
    ModemConfig,
    NumbersConfig,
    RepliesConfig,
    RetryConfig,
)
from antirelou.config.sending import ALERTS, BUDGETS, FLOOD

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
                    "Le port AT de la clé. « sudo antirelou setup » le trouve et écrit son nom"
                    " stable, /dev/serial/by-id/… (il ne change pas quand on rebranche la clé)."
                    " Obligatoire.",
                    'The dongle\'s AT port. "sudo antirelou setup" finds it and writes its stable'
                    " name, /dev/serial/by-id/… (it does not change when the dongle is plugged"
                    " in again). Required.",
                    example="/dev/antirelou-modem",
                ),
                Key(
                    "baudrate",
                    Integer(choices=(9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)),
                    "Vitesse du port série. 115200 convient à presque toutes les clés : n'y"
                    " touchez que si la documentation de la clé l'exige.",
                    "Serial speed. 115200 suits almost every dongle: change it only if the"
                    " dongle's documentation says so.",
                ),
                Key(
                    "pin",
                    Pin(),
                    "Code PIN de la carte SIM, de 4 à 8 chiffres, TOUJOURS entre guillemets (sinon"
                    ' 0123 serait lu comme un nombre et perdrait son 0) : pin: "1234". null = la'
                    " carte SIM n'a pas de code PIN (le plus simple : retirez le code PIN de la"
                    " SIM avec un téléphone avant de la mettre dans la clé).",
                    "The SIM card's PIN, 4 to 8 digits, ALWAYS in quotes (otherwise 0123 would be"
                    ' read as a number and lose its 0): pin: "1234". null = the SIM has no PIN'
                    " (simplest: remove the PIN with a phone before putting the SIM in the"
                    " dongle).",
                ),
                Key(
                    "poll_interval",
                    Duration(1, 10 * MINUTE),
                    "La clé prévient normalement à chaque SMS reçu, mais ce signal se perd parfois"
                    " : antirelou relit donc toute la mémoire des SMS au moins aussi souvent. Plus"
                    " court = réponses plus rapides quand un signal se perd.",
                    "The dongle normally announces each SMS received, but the announcement is"
                    " sometimes lost, so antirelou reads the whole SMS storage at least this"
                    " often. Shorter = faster replies when an announcement is lost.",
                ),
                Key(
                    "command_timeout",
                    Duration(1, 5 * MINUTE),
                    "Temps d'attente maximal de la réponse de la clé à chaque commande. À"
                    " augmenter seulement si le journal montre des délais dépassés avec une clé"
                    " lente.",
                    "How long to wait for the dongle to answer each command. Increase it only if"
                    " the log shows timeouts with a slow dongle.",
                ),
                Key(
                    "send_timeout",
                    Duration(5, 10 * MINUTE),
                    "Temps d'attente maximal pour l'envoi de chaque SMS (chaque partie d'un long"
                    " message). À augmenter si le réseau est très lent.",
                    "How long to wait for each SMS (each part of a long message) to be sent."
                    " Increase it if the network is very slow.",
                ),
                Key(
                    "storage",
                    Choice(("auto", "SM", "ME", "MT")),
                    "Où la clé range les nouveaux SMS : SM (la carte SIM), ME (la mémoire de la"
                    " clé), MT (les deux), auto (la plus grande que la clé propose). Toutes les"
                    " mémoires sont lues et vidées quel que soit ce choix. Laissez auto.",
                    "Where the dongle puts new SMS: SM (the SIM card), ME (the dongle's memory),"
                    " MT (both), auto (the largest the dongle offers). Every storage is read and"
                    " emptied whatever this says. Leave it at auto.",
                ),
                Key(
                    "registration_timeout",
                    Duration(10, HOUR),
                    "Au démarrage, temps d'attente maximal pour que la clé se connecte au réseau"
                    " mobile avant de signaler un problème de réseau (carte SIM, crédit, antenne).",
                    "At start-up, how long to wait for the dongle to register on the mobile"
                    " network before reporting a network problem (SIM, credit, antenna).",
                ),
                Key(
                    "reassembly_timeout",
                    Duration(MINUTE, 7 * DAY),
                    "Un long SMS arrive en plusieurs morceaux. Si un morceau manque, les autres"
                    " l'attendent pendant ce temps, puis le message est enregistré incomplet (et"
                    " reçoit quand même sa réponse).",
                    "A long SMS arrives in several parts. If a part is missing, the others wait"
                    " for it this long, then the message is logged incomplete (and still gets its"
                    " reply).",
                ),
            ),
            "La clé 3G/4G (modem GSM) branchée en USB.",
            "The USB GSM dongle.",
        ),
        Key(
            "database",
            FilePath(),
            "Le fichier où sont enregistrés les SMS reçus et les réponses envoyées (base SQLite)."
            " Un chemin qui ne commence pas par / part du dossier de ce fichier de configuration."
            " Obligatoire.",
            "The file where received SMS and sent replies are logged (an SQLite database). A path"
            " not starting with / starts from this configuration file's directory. Required.",
            example="/var/lib/antirelou/antirelou.db",
        ),
        Section(
            "numbers",
            NumbersConfig,
            (
                Key(
                    "default_country",
                    Integer(1, 999),
                    "Indicatif du pays de la carte SIM, sans le +, pour comprendre les numéros"
                    " écrits à la française : avec 33, 0612345678 devient +33612345678. Belgique"
                    " 32, Suisse 41, Canada 1…",
                    "Calling code of the SIM's country, without the +, used to read national"
                    " numbers: with 33, 0612345678 becomes +33612345678. Belgium 32, Switzerland"
                    " 41, Canada 1…",
                ),
                Key(
                    "never_reply_prefixes",
                    PrefixList(),
                    "Numéros auxquels on ne répond JAMAIS, par leur début, écrits entre guillemets"
                    ' avec le + et l\'indicatif : "+338" = tous les numéros français en 08 (numéros'
                    " spéciaux et surtaxés), pour ne jamais payer un SMS surtaxé. Pour en ajouter"
                    ' : ["+338", "+3336"]. Pour n\'en exclure aucun : [].',
                    "Numbers NEVER answered, by their beginning, in quotes with the + and the"
                    ' country code: "+338" = every French 08 number (special and premium rate), so'
                    ' that no premium SMS is ever paid for. To add some: ["+338", "+3336"]. To'
                    " exclude none: [].",
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
                    "true = répondre à chaque SMS reçu ; false = seulement les enregistrer (par"
                    " exemple quand le forfait est épuisé).",
                    "true = answer each SMS received; false = only log them (for instance when the"
                    " plan has run out).",
                ),
                Key(
                    "text",
                    Text(max_segments=10, expected="the reply text, in quotes"),
                    "Le texte envoyé en réponse, entre guillemets. Un SMS contient 160 caractères,"
                    " mais seulement 70 si le texte a des caractères comme ê, ç, «, » ou des"
                    " emojis ; un texte plus long part en plusieurs SMS (10 au plus), et chacun"
                    " est payé. Pour écrire une apostrophe dans des guillemets doubles, rien de"
                    ' spécial : "d\'insister".\n'
                    "Le texte peut contenir {date} (ou {jour}, pareil : « 8 mars 2026 ») et"
                    " {heure} (« 14h05 ») : la date et l'heure d'arrivée du SMS (de même dans"
                    " sequence et languages). « antirelou check » compte le coût du texte une fois"
                    " ces marques remplacées par la date et l'heure du moment.",
                    "The text sent as a reply, in quotes. One SMS holds 160 characters, but only"
                    " 70 if the text has characters such as ê, ç, «, » or emojis; a longer text is"
                    " sent as several SMS (10 at most), each of them paid for.\n"
                    'The text may contain {date} (or {jour}, the same: "8 mars 2026") and {heure}'
                    ' ("14h05"): the date and time the SMS arrived (likewise in sequence and'
                    ' languages). "antirelou check" prices the text once these are replaced with'
                    " the current date and time.",
                ),
                Key(
                    "sequence",
                    TextSteps(max_segments=10),
                    "Facultatif : une suite de réponses au lieu du seul « text ». Le 1er SMS d'un"
                    " numéro reçoit la 1re étape, le 2e SMS la 2e, etc. ; après la dernière, plus"
                    " rien. Une étape est un texte, ou une liste de textes dont un est tiré au"
                    " hasard (des citations, par exemple). Vide : « text » seul.",
                    'Optional: a sequence of replies instead of "text" alone. A number\'s 1st SMS'
                    " gets the 1st step, its 2nd SMS the 2nd, and so on; after the last, silence."
                    " A step is a text, or a list of texts one of which is picked at random"
                    ' (quotes, for instance). Empty: "text" alone.\n'
                    "Example / exemple:\n"
                    "  sequence:\n"
                    '    - "Si une femme dit non, inutile d\'insister."\n'
                    '    - ["« Non » est une phrase complète.", "Non, c\'est non."]',
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
                    " du numéro qui écrit (voir country_languages). Chaque langue a une suite"
                    " d'étapes comme « sequence ». Un numéro dont la langue n'est pas ici reçoit"
                    " la réponse par défaut (text ou sequence).",
                    "Optional: replies in other languages, chosen from the country code of the"
                    " number writing (see country_languages). Each language has a sequence of"
                    ' steps like "sequence". A number whose language is not here gets the default'
                    " reply (text or sequence).\n"
                    "Example / exemple:\n"
                    "  languages:\n"
                    "    en:\n"
                    '      - "If a woman says no, there is no point insisting."',
                ),
                Key(
                    "country_languages",
                    Mapping(
                        "country codes and languages",
                        r"\+\d{1,4}",
                        'a country code such as "+44"',
                        Choice(_LANGUAGE_CODES),
                    ),
                    "La langue de chaque indicatif (le plus long l'emporte). Si vous écrivez cette"
                    " liste, elle remplace entièrement celle-ci.",
                    "The language of each country code (the longest match wins). If you write this"
                    " list, it replaces this one entirely.",
                ),
                Key(
                    "restart_after",
                    Duration(HOUR, 3 * 365 * DAY),
                    "Un numéro dont la dernière réponse date de plus longtemps que cela recommence"
                    " la suite au début.",
                    "A number last answered longer ago than this starts the sequence again.",
                ),
                Key(
                    "cooldown",
                    Duration(MINUTE, 365 * DAY),
                    "Écart minimal entre deux réponses au même numéro, même s'il envoie beaucoup"
                    " de SMS : cela évite de payer pour quelqu'un qui insiste, et les boucles sans"
                    " fin avec un autre répondeur automatique. Avec un seul texte (pas de «"
                    " sequence »), un numéro n'a qu'une réponse par « restart_after » (30 jours) ;"
                    " pour une réponse par jour, mettez restart_after: 24h.",
                    "Shortest gap between two replies to the same number, however many SMS it"
                    " sends: someone insisting cannot run up the bill, and another automatic"
                    ' responder cannot start an endless loop. With a single text (no "sequence"),'
                    ' a number gets one reply per "restart_after" (30 days); for one reply a day,'
                    " set restart_after: 24h.",
                ),
                Key(
                    "delay",
                    Duration(0, 7 * DAY),
                    "Attendre avant de répondre (0s : tout de suite). En 2017, la réponse arrivait"
                    " une heure plus tard, quand l'homme était parti. Les réponses en attente sont"
                    " dans la base et survivent à un redémarrage ; d'autres SMS du même numéro"
                    " pendant l'attente n'ajoutent pas de réponse.",
                    "Wait this long before replying (0s: at once). In 2017 the reply came an hour"
                    " later, when the man had gone. Waiting replies are in the database and"
                    " survive a restart; more SMS from the same number meanwhile add no reply.",
                ),
                Section(
                    "retry",
                    RetryConfig,
                    (
                        Key(
                            "attempts",
                            Integer(1, 10),
                            "Nombre total d'essais (le premier compris).",
                            "Total number of attempts (the first one included).",
                        ),
                        Key(
                            "backoff",
                            Duration(1, HOUR),
                            "Attente avant le 2e essai ; elle double à chaque essai suivant (1m,"
                            " puis 2m, puis 4m…).",
                            "Wait before the 2nd attempt; it doubles for each following one (1m,"
                            " then 2m, then 4m…).",
                        ),
                    ),
                    "Nouveaux essais quand la clé refuse d'envoyer une réponse.",
                    "Trying again when the dongle refuses to send a reply.",
                ),
            ),
            "Les réponses automatiques.",
            "The automatic replies.",
        ),
        Section(
            "calls",
            CallsConfig,
            (
                Key(
                    "reply",
                    Boolean(),
                    "true = envoyer un SMS à qui appelle (une fois par numéro, selon les règles"
                    " et les budgets des réponses) ; false = seulement enregistrer l'appel.",
                    "true = send an SMS to whoever calls (once per number, under the rules and"
                    " budgets of replies); false = only log the call.",
                ),
                Key(
                    "text",
                    Text(max_segments=10, expected="the text sent to a caller, in quotes"),
                    "Le SMS envoyé à qui appelle, entre guillemets (mêmes règles que"
                    " replies.text).",
                    "The SMS sent to a caller, in quotes (same rules as replies.text).",
                ),
            ),
            "Les appels reçus : la clé les rejette aussitôt (jamais décrochés, rien n'est payé)"
            " et les enregistre comme des messages, comptés pour les raids et l'historique du"
            " numéro.",
            "Incoming calls: the dongle rejects them at once (never answered, nothing paid) and"
            " logs them like messages, counted for raids and in the number's history.",
        ),
        BUDGETS,
        FLOOD,
        ALERTS,
        FLAGS,
        RETENTION,
        Section(
            "logging",
            LoggingConfig,
            (
                Key(
                    "level",
                    Choice(("debug", "info", "warning", "error")),
                    "Quantité de détails : error, warning, info ou debug (debug montre tout le"
                    " dialogue avec la clé : utile pour un problème, très bavard sinon).",
                    "How much detail: error, warning, info or debug (debug shows all the traffic"
                    " with the dongle: useful to track a problem, very verbose otherwise).",
                ),
            ),
            "Le journal du service (à lire avec « journalctl -u antirelou »).",
            'The service\'s log (read it with "journalctl -u antirelou").',
        ),
    ),
    "Configuration d'antirelou.",
    "antirelou's configuration.",
)


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
