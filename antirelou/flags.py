"""Threat flagging: local rules on normalised text, each with an id and a reason.

Pure. A flag only asks a person to look (and extends how long a message is kept); it never
changes what is sent or to whom, and it is a hint for the lawyer, not a legal qualification
(shared/research/evidence.md §5). No cloud API, no model: harassers' texts leave nothing on
the Pi's network and a raid's load stays a few regular expressions per message.

Matching runs on `normalise(text)`: lower case, no accents, leetspeak read back (m0rt, v10l,
s@lope, pu$), letters repeated for effect squeezed (mooort), words spelled out letter by
letter joined (t u e r, t.u.e.r), punctuation and apostrophes turned into spaces. Rules are
written against that form, so a rule's phrases go through the same function.

The default rules aim at what one SMS alone can make an offence: a written threat (art.
222-17 and 222-18 code pénal: death, rape, violence, weapons, a pistol emoji in a violent
context was held to be one) and knowing where the victim lives (stalking, doxxing: art.
223-1-1), each phrased in the first person or as a prediction ("je vais te…", "on va te…",
"t'es mort", "je sais où tu habites"). Insults alone are not flagged: they are most of a
raid, and an alert per insult would drown the threats (§5, "profanity detectors"). The
victim's own address is a rule the operators add (see Rule).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# --- normalisation -------------------------------------------------------------------------

# Digits and symbols read as letters when they sit inside a word. '1' reads as 'i' here;
# rules that need 'l' are matched against the variant where it reads 'l' too (see match).
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "€": "e",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
_LEET_L = str.maketrans({"1": "l"})
_APOSTROPHES = "'’‘`´"
# A token: letters, digits and the symbols above, so "m0rt" and "s@lope" stay one word.
_TOKEN = re.compile(r"[a-z0-9@$€!|+]+")
_LETTER = re.compile(r"[a-z]")
# A number written as such keeps its digits: 15h, 3e, 1er, 2eme, 5min, 12bis, 100€, 75011.
_NUMBER = re.compile(r"\d+(?:[.,:h]\d*)?(?:er|e|eme|h|min|mn|s|km|m|bis|ter|€|k|x)?")
_REPEATS = re.compile(r"([a-z])\1+")
# A pattern's doubled letters match once, as in the text; an escape's letter stays (\bb).
_SQUEEZE_PATTERN = re.compile(r"(?<!\\)([a-z])\1+")
_SPELLED = re.compile(r"\b(?:[a-z] ){2,}[a-z]\b")


def _token(token: str) -> str:
    if not _LETTER.search(token):
        return token if any(c.isdigit() for c in token) else ""  # "!!!" is punctuation
    if _NUMBER.fullmatch(token):
        return token  # a number, a time, an ordinal: not leetspeak
    return token.strip("!+").translate(_LEET) if len(token) > 1 else token


def normalise(text: str, *, one_as: str = "i") -> str:
    """Given a message's text, return the form rules match against: lower case, ASCII
    letters without accents, leetspeak read back, repeated letters squeezed, words spelled
    letter by letter joined, anything else a single space. Emoji are kept as they are.

    `one_as` says how '1' inside a word reads ('i' by default, or 'l')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    for mark in _APOSTROPHES:
        plain = plain.replace(mark, " ")
    translate = _token if one_as == "i" else lambda t: _token(t.translate(_LEET_L))
    words = []
    for piece in re.split(r"(\s+)", plain):
        position = 0
        for found in _TOKEN.finditer(piece):
            between = piece[position : found.start()]
            words.append(_keep_symbols(between))
            words.append(translate(found.group()))
            position = found.end()
        words.append(_keep_symbols(piece[position:]))
    spaced = " ".join(" ".join(words).split())
    squeezed = _REPEATS.sub(r"\1", spaced)
    return _SPELLED.sub(lambda found: found.group().replace(" ", ""), squeezed)


def _keep_symbols(text: str) -> str:
    """Keep what is neither punctuation nor a space (emoji, other scripts), space-separated."""
    kept = [
        c
        for c in text
        if not unicodedata.category(c).startswith(("P", "Z", "C", "S"))
        or unicodedata.category(c) == "So"
    ]
    return " ".join(kept)


# --- rules ------------------------------------------------------------------------------------


class RuleError(ValueError):
    """A rule cannot be built: the message says which and why."""


@dataclass(frozen=True)
class Rule:
    """A flagging rule, as `flags.rules` in the config describes one:

    - id: my_street                       # lower case, digits, '_'
      reason: "notre adresse / our address"
      phrases: ["rue des Lilas", "Lilas"]  # words, normalised like the text, whole words
      patterns: ['\\bje (te|t) (guette|surveille)\\b']  # regular expressions on the
                                           # normalised text (see normalise)
    """

    id: str
    reason: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    _compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", self.id or ""):
            raise RuleError(f"flag rule id {self.id!r}: use lower-case letters, digits and '_'")
        where = f"flag rule {self.id!r}"
        if not self.reason or not self.reason.strip():
            raise RuleError(f"{where}: give a reason (shown to the operators and the lawyer)")
        if not self.phrases and not self.patterns:
            raise RuleError(f"{where}: give at least one phrase or pattern")
        alternatives = []
        for phrase in self.phrases:
            words = normalise(phrase)
            if not words:
                raise RuleError(f"{where}: phrase {phrase!r} has no letters or digits")
            alternatives.append(re.escape(words))
        for pattern in self.patterns:
            squeezed = _SQUEEZE_PATTERN.sub(r"\1", pattern)
            try:
                re.compile(squeezed)
            except re.error as problem:
                raise RuleError(
                    f"{where}: pattern {pattern!r} is not a regular expression ({problem})"
                ) from None
            alternatives.append(f"(?:{squeezed})")
        boundaries = "|".join(f"(?:{alternative})" for alternative in alternatives)
        object.__setattr__(
            self, "_compiled", re.compile(rf"(?<![a-z0-9])(?:{boundaries})(?![a-z0-9])")
        )

    def search(self, normalised: str) -> str | None:
        """Return the normalised words this rule matches in, or None."""
        found = self._compiled.search(normalised)
        return found.group().strip() if found else None


@dataclass(frozen=True)
class Flag:
    rule: str
    reason: str
    matched: str  # the normalised words that matched


def match(text: str | None, rules: Sequence[Rule]) -> list[Flag]:
    """Given a message's text and the rules, return one Flag per rule that matches, in the
    rules' order (none for an empty or undecodable text)."""
    if not text:
        return []
    forms = [normalise(text)]
    if "1" in text:
        forms.append(normalise(text, one_as="l"))
    flags = []
    for rule in rules:
        for form in forms:
            matched = rule.search(form)
            if matched is not None:
                flags.append(Flag(rule.id, rule.reason, matched))
                break
    return flags


def rules_from(entries: Iterable[dict]) -> tuple[Rule, ...]:
    """Given `flags.rules` as loaded (a list of mappings with id, reason, phrases, patterns),
    return the rules. Raise RuleError naming the first bad entry."""
    rules = []
    for index, entry in enumerate(entries):
        unknown = set(entry) - {"id", "reason", "phrases", "patterns"}
        if unknown:
            raise RuleError(f"flags.rules[{index}]: unknown key(s) {', '.join(sorted(unknown))}")
        rules.append(
            Rule(
                str(entry.get("id", "")),
                str(entry.get("reason", "")),
                tuple(str(phrase) for phrase in entry.get("phrases") or ()),
                tuple(str(pattern) for pattern in entry.get("patterns") or ()),
            )
        )
    ids = [rule.id for rule in rules]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise RuleError(f"flags.rules: id {rule_id!r} is used twice")
    return tuple(rules)


# --- the default French rules -------------------------------------------------------------------

# Who threatens, and how the threat is phrased, in SMS spelling after normalise():
# "je vais te", "j vais t", "jvais te", "on va te", "ils vont te", "je te", "jte".
_I = r"(?:je|j|jv|jvai|jvais|on|nous|ils|mes potes|on est plusieurs a)"
_WILL = r"(?:vais|vai|va|vas|alons|vont|v|ve|compte|veux|vais aler)"
_YOU = r"(?:te|t)"
_SOON = rf"(?:{_I} {_WILL} {_YOU}|{_I} {_YOU}|jte|jvais te|jvai te|jvais t|jvai t)"
_KILL = (
    r"(?:tuer|tue|bute|buter|crever|creve|egorger|egorge|planter|plante|fumer|descendre|"
    r"saigner|saigne|decapiter|masacrer|masacre|trouer|achever|acheve|aligner|flinguer|"
    r"flingue|eclater la tete|exploser la tete|faire la peau|tuerai|tuera|buterai|butera|"
    r"egorgerai|egorgera)"
)
_HURT = (
    r"(?:fraper|tabaser|defoncer|defonce|caser la gueule|peter la gueule|caser les dents|"
    r"caser les jambes|peter les dents|bruler|cramer|vitrioler|lyncher|faire du mal|"
    r"faire mal|demolir|defigurer|mutiler)"
)
# "mort de rire", "mourir de faim": figures of speech, not threats.
_FIGURE = r"(?! de (?:rire|fatigue|faim|froid|peur|honte|chaud|envie)\b)"
_WEAPONS = (
    r"(?:arme|armes|bale|bales|flingue|pistolet|revolver|fusil|couteau|lame|machete|hache|kalash\w*|"
    r"glock|calibre|bate|cocktail molotov|grenade|gun|knife)"
)

# "je sais où tu habites", "on sait où vont tes enfants".
_KNOW = (
    r"(?:(?:je|j|on|nous|ils|tout le monde) (?:sais|sai|sait|savons|savent|connais|connait)"
    r"|jsais|jsai|chai|chais)"
)
_WHO = r"(?:tu|t|vous|ta famille|tes enfants|tes gosses|ta fille|ton fils|ta femme|ta mere)"
_STAYS = (
    r"(?:habites?|habitent|vis|vit|vivez|vivent|dors|dort|dorment|bosses?|travailles?|es|etes|"
    r"sont|est|vont|va|crech\w*)"
)

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "death_threat",
        "menace de mort (art. 222-17, 222-18 C. pén.) / death threat",
        phrases=(
            "t es un homme mort",
            "t es une femme morte",
            "tu es un homme mort",
            "tu es une femme morte",
            "tu vas finir a la morgue",
            "on aura ta peau",
            "i will kill you",
            "i'll kill you",
            "gonna kill you",
            "you're dead",
            "you are dead",
        ),
        patterns=(
            rf"{_SOON} {_KILL}",
            rf"(?:tu|t) (?:vas|va) (?:mourir|crever){_FIGURE}",
            rf"(?:t es|tes|tu es|t est|vous etes) (?:deja )?morte?s?{_FIGURE}",
            r"(?:je|j|on|ils) (?:veut|veux|aura|aurai|auront) (?:ta|sa) (?:mort|peau)",
            r"(?:prepare|choisis) ton cercueil|ton cercueil est pret",
            r"(?:une|des) bales? (?:dans|pour) (?:ta|ton|toi)",
        ),
    ),
    Rule(
        "rape_threat",
        "menace de viol (art. 222-17, 222-23 C. pén.) / rape threat",
        phrases=("i will rape you", "i'll rape you"),
        patterns=(
            rf"{_SOON} (?:violer|viole|violerai|violera|baiser de force|prendre de force)",
            r"(?:te|t) faire violer",
            r"(?:tu|t) (?:vas|va|merites? de|merites? d) (?:te faire |etre )?violee?s?",
            r"(?:viol|violer) (?:colectif|en reunion|en groupe)",
        ),
    ),
    Rule(
        "violence_threat",
        "menace de violences (art. 222-17 C. pén.) / threat of violence",
        patterns=(
            rf"{_SOON} {_HURT}",
            r"(?:on|je|j|ils) (?:va|vais|vont) (?:bruler|cramer|incendier) "
            r"(?:ta|ton|tes|chez toi)",
            r"(?:tu|t) (?:vas|va) (?:le payer cher|prendre cher|soufrir|morfler)",
            r"acide (?:dans|sur) (?:ta|ton|toi)",
        ),
    ),
    Rule(
        "weapon",
        "arme brandie contre la personne (art. 222-17 C. pén. ; un émoji pistolet a été jugé "
        "menace) / weapon held up against the person",
        phrases=("🔪", "🔫", "🗡"),
        patterns=(
            rf"{_WEAPONS}(?: \w+){{0,6}} (?:pour toi|dans ta|dans ton|dans tes|sur toi|"
            r"contre toi|sous ta gorge|dans la tete|dans le crane|entre les yeux|dans le dos|"
            r"sur ta)",
            rf"{_I} (?:vais|va|vont|vas) (?:sortir|ramener|prendre|chercher|charger) "
            rf"(?:le|la|mon|ma|un|une|les|mes) {_WEAPONS}",
            rf"{_SOON} (?:tirer dessus|tirer une bale|plomber)",
        ),
    ),
    Rule(
        "whereabouts",
        "dit savoir où vit ou se trouve la personne (art. 222-17, 223-1-1 C. pén.) / "
        "says they know where the person lives or is",
        phrases=(
            "je connais ton adresse",
            "on connait ton adresse",
            "on a ton adresse",
            "j ai ton adresse",
            "jai ton adresse",
            "devant chez toi",
            "en bas de chez toi",
            "i know where you live",
            "we know where you live",
        ),
        patterns=(
            rf"{_KNOW} ou (?:est ce que )?(?:{_WHO} {_STAYS}|{_STAYS} {_WHO})",
            rf"{_I} (?:va|vais|vont|alons|arive) (?:venir |paser )?(?:chez toi|chez vous|"
            r"a ta porte|te rendre visite|te rendre une petite visite)",
            r"(?:je|j|on) (?:t|te) (?:guete|surveile|observe)",
            r"(?:je|j|on) (?:t|te) (?:atends?|vois|suis) (?:devant chez|en bas de chez|"
            r"tous les jours|depuis ta|de ma fenetre)",
            r"(?:je|j|on) (?:t|te) (?:ai|a) (?:suivie?|prise? en photo|vue? sortir de chez|"
            r"vue? rentrer chez)",
            r"(?:on|je|j|ils) (?:va|vais|vont) (?:te|t) (?:retrouver|trouver)"
            r"(?! (?:un|une|des|du|le|la|les|quelque))",
        ),
    ),
)
