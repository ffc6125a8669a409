"""The sections about evidence and privacy: threat flags and how long data are kept.

Apart from `schema` so that each file fits in a head; `schema` puts them in their place.
"""

from __future__ import annotations

import yaml

from antirelou.config.checks import STR_TAG, Boolean, Check, Context, Duration, Invalid, shown
from antirelou.config.keys import DAY, Key, Section
from antirelou.config.model import FlagsConfig, RetentionConfig
from antirelou.durations import YEAR
from antirelou.flags import DEFAULT_RULES, Rule, RuleError, rules_from

_RULE_KEYS = ("id", "reason", "phrases", "patterns")


class FlagRules(Check):
    """A list of flagging rules, each a section with id, reason, phrases and patterns."""

    expected = "a list of rules (each with id, reason, and phrases or patterns)"

    def __call__(self, node: yaml.Node, context: Context) -> tuple[Rule, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self._wrong_type(node, " (start each rule on its own line with '- id: …')")
        rules: list[Rule] = []
        problems: list[tuple[str, yaml.Node]] = []
        for item in node.value:
            try:
                rules.append(rules_from([_plain_rule(item)])[0])
            except (RuleError, Invalid) as problem:
                problems.append((str(problem).removeprefix("flags.rules[0]: "), item))
        taken = {rule.id for rule in DEFAULT_RULES}
        for rule, item in zip(rules, node.value, strict=False):
            if rule.id in taken:
                problems.append(
                    (f"id {rule.id!r} is already used (by a default rule or above)", item)
                )
            taken.add(rule.id)
        if problems:
            raise Invalid.gathered(problems)
        return tuple(rules)

    def format(self, value: tuple[Rule, ...]) -> str:
        return "[]" if not value else str([rule.id for rule in value])


def _plain_rule(item: yaml.Node) -> dict:
    """Given one rule's node, return it as plain data for flags.rules_from; raise Invalid
    if it is not a section of texts and lists of texts."""
    if not isinstance(item, yaml.MappingNode):
        raise Invalid(f"{shown(item)} is not a rule: write '- id: …' then reason, phrases")
    entry: dict = {}
    for key_node, value_node in item.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if name not in _RULE_KEYS:
            raise Invalid(f"unknown key {shown(key_node)} (a rule has {', '.join(_RULE_KEYS)})")
        if name in ("phrases", "patterns"):
            if not isinstance(value_node, yaml.SequenceNode) or not all(
                isinstance(text, yaml.ScalarNode) for text in value_node.value
            ):
                raise Invalid(f'{name}: write a list of texts in quotes, e.g. ["rue des Lilas"]')
            entry[name] = [text.value for text in value_node.value]
        elif isinstance(value_node, yaml.ScalarNode) and value_node.tag == STR_TAG:
            entry[name] = value_node.value
        else:
            raise Invalid(f"{name}: write a text, not {shown(value_node)}")
    return entry


FLAGS = Section(
    "flags",
    FlagsConfig,
    (
        Key(
            "enabled",
            Boolean(),
            "true = signaler les messages qui ressemblent à une menace.",
            "true = flag the messages that look like a threat.",
        ),
        Key(
            "defaults",
            Boolean(),
            "true = utiliser les règles françaises fournies (menaces de mort, de viol, de"
            " violences, armes, « je sais où tu habites »), avant les vôtres.",
            "true = use the French rules provided (death, rape and violence threats, weapons,"
            ' "je sais où tu habites"), before yours.',
        ),
        Key(
            "rules",
            FlagRules(),
            "Vos règles, ajoutées à celles fournies : un identifiant (minuscules, chiffres, _),"
            " une raison (montrée à l'équipe et à l'avocate), des mots ou expressions"
            " (phrases, entre guillemets, comparés sans accents ni majuscules) et/ou des"
            " expressions régulières (patterns, entre apostrophes). Ajoutez par exemple votre"
            " rue. Un signalement ne change jamais la réponse : il prévient l'équipe (alerte"
            " « threat ») et garde le message plus longtemps (retention.flagged).",
            "Your rules, added to those provided: an id (lower case, digits, _), a reason"
            " (shown to the team and the lawyer), words or phrases (phrases, in quotes,"
            " compared without accents or capitals) and/or regular expressions (patterns, in"
            " single quotes). Add your street, for instance. A flag never changes the reply:"
            ' it tells the team (a "threat" alert) and keeps the message longer'
            " (retention.flagged).\n"
            "Example / exemple:\n"
            "  rules:\n"
            "    - id: our_street\n"
            '      reason: "notre adresse / our address"\n'
            '      phrases: ["rue des Lilas", "12 rue des Lilas"]\n'
            "      patterns: ['\\bje (te|t) guette\\b']",
        ),
    ),
    "Signalement des menaces, par des règles locales (rien ne quitte le Pi). Une personne"
    " décide ensuite : « antirelou flag » et « antirelou unflag ».",
    "Threat flagging, by local rules (nothing leaves the Pi). A person decides next:"
    ' "antirelou flag" and "antirelou unflag".',
)

RETENTION = Section(
    "retention",
    RetentionConfig,
    (
        Key(
            "messages",
            Duration(31 * DAY, 10 * YEAR),
            "Les numéros et textes des messages sont effacés après ce temps (une injure se"
            " prescrit en 3 mois). Il en reste un pseudonyme du numéro, calculé avec une clé"
            " secrète (pour savoir s'il a déjà écrit ou reçu une réponse) et les comptes des statistiques. Plus de"
            " 30 jours : les budgets regardent 30 jours en arrière.",
            "Messages' numbers and texts are erased after this long (an insult is prescribed"
            " after 3 months). What remains is a keyed pseudonym of the number (to know whether"
            " it wrote or was answered before) and the statistics' counts. More than 30 days:"
            " the budgets look 30 days back.",
        ),
        Key(
            "flagged",
            Duration(31 * DAY, 20 * YEAR),
            "Tous les messages d'un numéro dont un message est signalé sont gardés jusqu'à ce"
            " temps APRÈS SON DERNIER MESSAGE (menaces et harcèlement se prescrivent 6 ans"
            " après le dernier acte). 6y = 6 ans ; une année compte ici 366 jours, pour ne"
            " jamais effacer avant la date.",
            "Every message of a number that sent a flagged message is kept until this long"
            " AFTER ITS LAST MESSAGE (threats and harassment are prescribed 6 years after the"
            " last act). 6y = 6 years; a year counts 366 days here, so as never to erase"
            " early.",
        ),
        Key(
            "access",
            Duration(30 * DAY, 3 * YEAR),
            "Les traces de qui a consulté ou exporté (« antirelou status ») sont effacées"
            " après ce temps (la CNIL recommande de 6 mois à 1 an).",
            'Records of who looked or exported ("antirelou status") are erased after this'
            " long (the CNIL recommends 6 months to 1 year).",
        ),
    ),
    "Combien de temps les données sont gardées. « antirelou purge --dry-run » montre ce qui"
    " serait effacé ; le service efface chaque jour.",
    'How long data are kept. "antirelou purge --dry-run" shows what would be erased; the'
    " service erases every day.",
)
