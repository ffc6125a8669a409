"""Threat flagging: normalisation, the default French rules, user rules, and how well the
defaults do on a small labelled corpus of SMS written for these tests."""

from __future__ import annotations

import pytest

from antirelou.flags import DEFAULT_RULES, Rule, RuleError, match, normalise, rules_from


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je vais te TUER", "je vais te tuer"),
        ("Ça t'arrivera, sœur", "ca t arivera soeur"),
        ("j3 v4is t3 tu3r", "je vais te tuer"),
        ("s@l0pe pu$", "salope pus"),
        ("v10l", "viol"),
        ("T'ES MOOOOORT !!!", "t es mort"),
        ("t u e r", "tuer"),
        ("t.u.e.r", "tuer"),
        ("t-u-e-r", "tuer"),
        ("rdv à 15h au 12 rue de la Paix, 3e étage, 1er droite", "rdv a 15h au 12 rue de la paix 3e etage 1er droite"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("je t’attends 🔪🔪", "je t atends 🔪 🔪"),
        ("il y a", "il y a"),
        ("ＴＵＥＲ", "tuer"),
    ],
)  # fmt: skip
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_normalise_reads_one_as_l_on_request():
    assert normalise("sa1ope", one_as="l") == "salope"
    assert normalise("v1ol", one_as="l") == "vlol"


# (text, the rule ids expected, in the rules' order)
RULE_CASES = [
    ("Je vais te tuer", ["death_threat"]),
    ("jvais te buter sale pute", ["death_threat"]),
    ("on va te faire la peau", ["death_threat"]),
    ("T'es morte.", ["death_threat"]),
    ("tu vas crever", ["death_threat"]),
    ("je te tuerai", ["death_threat"]),
    ("une balle dans ta tête", ["death_threat", "weapon"]),
    ("I will kill you", ["death_threat"]),
    ("je vais te violer", ["rape_threat"]),
    ("tu mérites d'être violée", ["rape_threat"]),
    ("on va te défoncer", ["violence_threat"]),
    ("je vais te casser la gueule", ["violence_threat"]),
    ("on va brûler ta maison", ["violence_threat"]),
    ("🔫", ["weapon"]),
    ("j'ai un couteau pour toi", ["weapon"]),
    ("je vais sortir le flingue", ["weapon"]),
    ("je sais où tu habites", ["whereabouts"]),
    ("jsais ou t habites", ["whereabouts"]),
    ("on connaît ton adresse", ["whereabouts"]),
    ("on va venir chez toi", ["whereabouts"]),
    ("je te surveille", ["whereabouts"]),
    ("on va te retrouver", ["whereabouts"]),
    ("je sais où tu habites, je vais te tuer 🔪", ["death_threat", "weapon", "whereabouts"]),
]


@pytest.mark.parametrize(("text", "expected"), RULE_CASES)
def test_default_rules_flag_threats(text, expected):
    assert [flag.rule for flag in match(text, DEFAULT_RULES)] == expected


def test_a_flag_says_why_and_what_matched():
    (flag,) = match("J3 V4IS T3 TU3R", DEFAULT_RULES)
    assert flag.rule == "death_threat"
    assert flag.reason.startswith("menace de mort") and "death threat" in flag.reason
    assert flag.matched == "je vais te tuer"


# Messages that must never be flagged: ordinary SMS to a number given out in a bar, insults
# without a threat, and figures of speech (shared/research/evidence.md §5: dates,
# addresses, "avocat", "tuer le temps").
NEVER_FLAGGED = [
    "Salut c'est Kevin du bar, on se voit quand ?",
    "Tu m'as donné un faux numéro ?",
    "rdv samedi 15h au 12 rue de la Paix, 3e étage",
    "Mon avocat va t'appeler",
    "on va tuer le temps au café",
    "je suis mort de rire 😂",
    "t'es mort de fatigue ou quoi",
    "ce film m'a tué",
    "tu vas mourir de rire",
    "t'es qu'une salope",
    "sale pute",
    "va te faire foutre",
    "connasse de féministe",
    "ferme ta gueule",
    "t'es moche de toute façon",
    "nique ta mère",
    "Je sais pas où tu es mais réponds",
    "tu peux me prêter ton couteau ?",
    "je vais te trouver un cadeau",
    "je t'ai vue au bar hier, t'étais belle",
    "06 12 34 56 78",
    "Le viol est un crime, soutien aux victimes",
    "tu me tues 😂",
    "j'ai tué le game",
    "balle de match !",
]


@pytest.mark.parametrize("text", NEVER_FLAGGED)
def test_default_rules_leave_ordinary_messages_and_insults_alone(text):
    assert match(text, DEFAULT_RULES) == []


# A small labelled corpus, written for these tests: True for a threat (explicit or implicit,
# as a person reviewing would flag it), False otherwise. Implicit threats are the known weak
# spot of any lexical method (§5, ThreatCore): they are here to measure it, not hidden.
CORPUS = [
    ("je vais te tuer sale chienne", True),
    ("on va te buter", True),
    ("T'ES MOOORT", True),
    ("t es mort ce soir", True),
    ("j3 t3 tu3", True),
    ("je vais te t u e r", True),
    ("tu vas crever salope", True),
    ("je vais t'égorger", True),
    ("on va te faire la peau", True),
    ("prépare ton cercueil", True),
    ("jvais te violer", True),
    ("tu vas te faire violer", True),
    ("on va te défoncer", True),
    ("je vais te casser les dents", True),
    ("on va cramer ta voiture", True),
    ("tu vas le payer cher", True),
    ("🔪🔪🔪", True),
    ("une balle entre les yeux pour toi", True),
    ("j'ai un flingue pour toi", True),
    ("je sais où tu habites", True),
    ("on sait où vont tes enfants", True),
    ("j'ai ton adresse", True),
    ("je t'attends devant chez toi", True),
    ("on va te rendre visite", True),
    ("je te guette", True),
    ("i know where you live", True),
    ("you're dead", True),
    ("fais attention à toi quand tu rentres le soir", True),
    ("ce serait dommage qu'il arrive quelque chose à ta fille", True),
    ("tu ne verras pas la fin de l'année", True),
    ("on se reverra, et tu regretteras", True),
    ("Salut, c'est Kevin du bar", False),
    ("T'es libre ce soir ?", False),
    ("Pourquoi tu réponds pas ?", False),
    ("Réponds stp", False),
    ("C'est un faux numéro ?? Sérieux ?", False),
    ("rdv 15h au 12 rue de la Paix", False),
    ("Mon avocat te contactera", False),
    ("on va tuer le temps", False),
    ("mdr je suis mort", False),
    ("t'es mort de rire toi", False),
    ("tu me tues", False),
    ("ce match m'a tué", False),
    ("t'es qu'une pute", False),
    ("sale féministe de merde", False),
    ("grosse vache", False),
    ("connasse", False),
    ("va te faire foutre", False),
    ("ta gueule", False),
    ("t'es moche", False),
    ("les féministes c'est des hystériques", False),
    ("nique ta race", False),
    ("je vais te faire un bisou", False),
    ("je vais te trouver un resto sympa", False),
    ("je t'ai vue à la soirée hier", False),
    ("on se voit devant le ciné ?", False),
    ("tu peux me prêter ton couteau suisse", False),
    ("le tueur du film était nul", False),
    ("balle de match", False),
    ("j'ai acheté une batte de baseball pour mon fils", False),
    ("la marche contre les violences faites aux femmes est samedi", False),
    ("tu vas rire", False),
]


def _scores(rules) -> tuple[float, float, list[str], list[str]]:
    flagged = {text: bool(match(text, rules)) for text, _ in CORPUS}
    missed = [text for text, threat in CORPUS if threat and not flagged[text]]
    wrong = [text for text, threat in CORPUS if not threat and flagged[text]]
    true_positives = sum(threat and flagged[text] for text, threat in CORPUS)
    precision = true_positives / max(true_positives + len(wrong), 1)
    recall = true_positives / sum(threat for _, threat in CORPUS)
    return precision, recall, missed, wrong


def test_default_rules_precision_and_recall_on_the_labelled_corpus():
    precision, recall, missed, wrong = _scores(DEFAULT_RULES)
    # Measured: precision 1.00 (no false positive among 31 ordinary messages and insults),
    # recall 27/31 = 0.87: the four implicit threats (no threat word) are missed. A person
    # still sees every message; `antirelou flag` covers what rules cannot.
    assert wrong == []
    assert precision == 1.0
    assert missed == [
        "fais attention à toi quand tu rentres le soir",
        "ce serait dommage qu'il arrive quelque chose à ta fille",
        "tu ne verras pas la fin de l'année",
        "on se reverra, et tu regretteras",
    ]
    assert recall == pytest.approx(27 / 31)


def test_corpus_texts_have_their_expected_label_counts():
    assert sum(threat for _, threat in CORPUS) == 31
    assert sum(not threat for _, threat in CORPUS) == 31


def test_a_user_rule_for_the_victims_street():
    (rule,) = rules_from(
        [
            {
                "id": "our_street",
                "reason": "notre adresse / our address",
                "phrases": ["rue des Lilas"],
                "patterns": [r"\bbatiment c\b"],
            }
        ]
    )
    assert [flag.rule for flag in match("on vient au 3 RUE DES LILAS", [rule])] == ["our_street"]
    assert [flag.rule for flag in match("bâtiment C, 2e", [rule])] == ["our_street"]
    # Whole words only: no Scunthorpe problem.
    assert match("les lilas de la rue des Lilasses", [rule]) == []
    # Doubled letters in a pattern match once, as in the normalised text.
    (doubled,) = rules_from([{"id": "attack", "reason": "r", "patterns": ["attaquer"]}])
    assert match("on va t'ATTAQUER", [doubled])[0].matched == "ataquer"


@pytest.mark.parametrize(
    ("entries", "complaint"),
    [
        ([{"id": "Bad Id", "reason": "r", "phrases": ["x"]}], "use lower-case letters"),
        ([{"id": "x", "reason": " ", "phrases": ["x"]}], "give a reason"),
        ([{"id": "x", "reason": "r"}], "at least one phrase or pattern"),
        ([{"id": "x", "reason": "r", "phrases": ["!!!"]}], "has no letters or digits"),
        ([{"id": "x", "reason": "r", "patterns": ["(tuer"]}], "is not a regular expression"),
        ([{"id": "x", "reason": "r", "phrases": ["a"], "words": []}], r"unknown key\(s\) words"),
        (
            [{"id": "x", "reason": "r", "phrases": ["a"]}, {"id": "x", "reason": "r", "phrases": ["b"]}],
            "used twice",
        ),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_a_reason(entries, complaint):
    with pytest.raises(RuleError, match=complaint):
        rules_from(entries)


def test_match_ignores_empty_and_undecodable_texts():
    assert match(None, DEFAULT_RULES) == []
    assert match("", DEFAULT_RULES) == []
    assert Rule("x", "r", phrases=("tuer",)).search("tuerie") is None
