"""The sections that limit what is sent: budgets, flood mode and alerts to the operators.

Apart from `schema` so that each file fits in a head; `schema` puts them in their place.
"""

from __future__ import annotations

from antirelou.config.checks import (
    Boolean,
    Duration,
    Integer,
    Limit,
    Percent,
    StringList,
    command_word,
    phone_number,
)
from antirelou.config.keys import DAY, HOUR, MINUTE, Key, Section
from antirelou.config.model import AlertsConfig, BudgetsConfig, FloodConfig

BUDGETS = Section(
    "budgets",
    BudgetsConfig,
    (
        Key(
            "segments_per_hour",
            Limit(),
            "SMS envoyés au plus par heure.",
            "At most this many SMS sent per hour.",
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
            "SMS envoyés au plus sur 30 jours glissants.",
            "At most this many SMS sent over a rolling 30 days.",
        ),
        Key(
            "numbers_per_month",
            Limit(),
            "Numéros différents répondus au plus sur 30 jours : les forfaits « illimités »"
            " suspendent la ligne au-delà d'environ 150 correspondants.",
            'At most this many different numbers answered over 30 days: "unlimited" plans'
            " suspend the line beyond about 150 correspondents.",
        ),
    ),
    "Budgets, comptés en SMS (l'unité que l'opérateur facture : un long texte compte pour"
    " plusieurs SMS). Une fois un budget dépensé, les SMS reçus sont encore enregistrés"
    " mais plus répondus, et la raison est notée. Les alertes à l'équipe n'y comptent pas :"
    " elles ont leur réserve (alerts.reserve). « unlimited » : pas de limite.",
    "Budgets, counted in SMS segments (the unit the operator bills: a long text counts as"
    " several). Once a budget is spent, incoming SMS are still logged but no longer"
    " answered, and the reason is recorded. Alerts to the team do not count here: they have"
    ' their own reserve (alerts.reserve). "unlimited": no limit.',
)

FLOOD = Section(
    "flood",
    FloodConfig,
    (
        Key(
            "enabled",
            Boolean(),
            "true = détecter les raids.",
            "true = detect raids.",
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
            Duration(MINUTE, 7 * DAY),
            "Fin du raid quand les débits sont restés sous les seuils aussi longtemps. Un raid"
            " vient par vagues, sur des jours : entre deux vagues, ses numéros qui n'écrivent"
            " qu'une fois dépenseraient le mois s'ils étaient répondus comme d'ordinaire.",
            "The raid ends when the rates have stayed below the thresholds this long. A raid"
            " comes in waves, over days: between two waves, its numbers that write only once"
            " would spend the month if they were answered as usual.",
        ),
        Key(
            "segments_per_hour",
            Integer(0, 100_000),
            "Budget de SMS par heure pendant un raid.",
            "Budget of SMS per hour during a raid.",
        ),
        Key(
            "hold",
            Duration(0, HOUR),
            "Pendant un raid, une réponse attend au moins ce temps avant de partir ; si le"
            " numéro a réécrit entre-temps (un raideur insiste), elle n'est pas envoyée. Le"
            " budget n'est compté qu'à l'envoi : il reste pour les personnes qui n'écrivent"
            " qu'une fois.",
            "During a raid, a reply waits at least this long before it leaves; if the number"
            " wrote again meanwhile (a raider insists), it is not sent. The budget is only"
            " counted when sending: it stays for people who write only once.",
        ),
        Key(
            "answer_within",
            Duration(HOUR, 7 * DAY),
            "Une réponse retenue par un raid attend, sans être perdue, qu'un budget la"
            " permette (au plus tard à la fin du raid) ; elle est abandonnée si elle a attendu"
            " plus longtemps que cela. En 2017, le service répondait exprès une heure plus"
            " tard.",
            "A reply held back by a raid waits, without being lost, until a budget allows it"
            " (at the latest once the raid is over); it is dropped if it has waited longer"
            " than this. In 2017 the service answered an hour late on purpose.",
        ),
        Key(
            "share_of_month",
            Percent(),
            "Part des budgets sur 30 jours (numéros et SMS) que les réponses d'un raid peuvent"
            " dépenser, en pourcentage : le reste est gardé pour les semaines suivantes.",
            "Share of the 30-day budgets (numbers and SMS) that the replies of a raid may"
            " spend, in percent: the rest is kept for the weeks after.",
        ),
    ),
    "Mode raid. En 2017, un raid organisé sur un forum a envoyé plus de 20 000 insultes en"
    " un après-midi. Pendant un raid, on ne répond qu'aux numéros jamais répondus, plus"
    " tard plutôt que jamais, dans un budget plus petit ; tous les SMS sont enregistrés. Les"
    " débits sont mesurés à l'heure d'écriture donnée par le réseau : des messages écrits"
    " pendant une panne et reçus d'un coup ne sont pas un raid.",
    "Flood mode. In 2017 a raid organised on a forum sent over 20,000 insults in one"
    " afternoon. During a raid only numbers never answered get a reply, late rather than"
    " never, within a smaller budget; every SMS is still logged. Rates are measured at the"
    " time the network says each message was written: messages written during an outage"
    " and received at once are not a raid.",
)

ALERTS = Section(
    "alerts",
    AlertsConfig,
    (
        Key(
            "numbers",
            StringList("a phone number", phone_number),
            "Leurs numéros, entre guillemets. Ils reçoivent un SMS d'alerte (début et fin"
            " d'un raid, budget épuisé, clé perdue trop longtemps), pris sur la réserve"
            " des alertes (alerts.reserve). Leurs SMS ne comptent jamais comme un raid et ne reçoivent jamais"
            " la réponse automatique.",
            "Their numbers, in quotes. They get an alert SMS (raid start and end, budget"
            " spent, dongle lost too long), taken from the alerts' reserve (alerts.reserve)."
            " Their SMS never count"
            " as a raid and never get the automatic reply.\n"
            'Example / exemple: numbers: ["+33612345678", "0698765432"]',
        ),
        Key(
            "command",
            StringList("a word of a command", command_word),
            "Facultatif : un programme lancé à chaque alerte, sans shell, avec ces mots"
            " puis le type d'alerte et sa description. Le service n'a pas accès au réseau"
            " (PrivateNetwork=yes dans antirelou.service) : un programme qui doit en avoir"
            " besoin demande « systemctl edit antirelou » avec PrivateNetwork=no et"
            " RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6.",
            "Optional: a program run on each alert, without a shell, with these words then"
            " the kind of alert and its description. The service has no network"
            " (PrivateNetwork=yes in antirelou.service): a program that needs it requires"
            ' "systemctl edit antirelou" with PrivateNetwork=no and'
            " RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6.\n"
            'Example / exemple: command: ["/usr/local/bin/alert", "--channel", "signal"]',
        ),
        Key(
            "min_interval",
            Duration(MINUTE, 7 * DAY),
            "Au plus une alerte de chaque type pendant cette durée.",
            "At most one alert of each kind within this time.",
        ),
        Key(
            "reserve",
            Integer(0, 1000),
            "SMS d'alerte au plus sur 24 heures glissantes. Cette réserve est à part des"
            " budgets des réponses, qui ne la dépensent jamais : l'équipe est prévenue même"
            " quand un raid a épuisé les budgets.",
            "At most this many alert SMS over a rolling 24 hours. This reserve is apart from"
            " the replies' budgets, which never spend it: the team hears of a raid even when"
            " it has spent the budgets.",
        ),
        Key(
            "modem_lost_after",
            Duration(MINUTE, DAY),
            "Alerter quand la clé est perdue depuis plus longtemps que cela.",
            "Alert when the dongle has been lost for longer than this.",
        ),
    ),
    "Alertes aux personnes qui s'occupent du service.",
    "Alerts to the people running the service.",
)
