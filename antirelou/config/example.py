"""The example configuration file, generated from SCHEMA (run from the repository's root):

    python -m antirelou.config.example > etc/antirelou.yaml

Each key is shown with its French and English description above it and its default as its
value (a required key with its example), in schema order, so that the file documents every
setting and loads as the defaults. A test checks that etc/antirelou.yaml is this output.
"""

from __future__ import annotations

import textwrap

from antirelou.config.keys import REQUIRED, Key, Section, default_of
from antirelou.config.schema import SCHEMA

# Comments are wrapped to this width, their "#" included.
WIDTH = 84
# Stands for a space while wrapping, where no line may break; not a character of any text.
_GLUE = "\x00"

HEADER = """\
# Configuration d'antirelou — antirelou configuration
#
# FR: Ce fichier se trouve dans /etc/antirelou/antirelou.yaml (ou NOM.yaml pour la
#     ligne NOM). Après une modification, vérifiez-le avec « antirelou check », puis
#     rechargez le service : « sudo systemctl reload antirelou » (ou antirelou@NOM ;
#     modem: et database: demandent un redémarrage : « sudo systemctl restart
#     antirelou »).
#     Chaque réglage est écrit « nom: valeur ». Les espaces au début des lignes
#     comptent : un réglage décalé de 2 espaces appartient à la section au-dessus.
#     Utilisez des espaces, jamais de tabulations. Tout ce qui suit un # est un
#     commentaire. Les valeurs ci-dessous sont les valeurs par défaut : un réglage
#     supprimé reprend sa valeur par défaut (sauf modem.port et database,
#     obligatoires).
#     Durées : un nombre suivi d'une unité, sans espace : 250ms, 30s, 5m (minutes),
#     24h, 7d (jours), 6y (années de 366 jours), ou combinées : 1h30m.
# EN: This file lives at /etc/antirelou/antirelou.yaml (or NAME.yaml for the line
#     NAME). After changing it, check it with "antirelou check", then reload the
#     service: "sudo systemctl reload antirelou" (or antirelou@NAME; modem: and
#     database: need a restart: "sudo systemctl restart antirelou").
#     Each setting is written "name: value". Spaces at the start of lines matter: a
#     setting indented by 2 spaces belongs to the section above it. Use spaces, never
#     tabs. Anything after a # is a comment. The values below are the defaults: a
#     deleted setting goes back to its default (except modem.port and database, which
#     are required).
#     Durations: a number followed by a unit, no space: 250ms, 30s, 5m (minutes), 24h,
#     7d (days), 6y (years of 366 days), or combined: 1h30m.
"""


def generate() -> str:
    """Return the text of the example configuration file."""
    return HEADER + "".join("\n" + entry for entry in _entries(SCHEMA, ""))


def _entries(section: Section, indent: str) -> list[str]:
    """Given a section, return the text of each of its keys and subsections, comments first."""
    entries = []
    for entry in section.keys:
        if isinstance(entry, Section):
            text = comment(entry.description_fr, entry.description_en, indent)
            entries.append(text + f"{indent}{entry.name}:\n")
            entries[-1] += "\n".join(_entries(entry, indent + "  "))
        else:
            allowed = entry.check.allowed()
            text = comment(entry.description_fr, entry.description_en, indent, allowed)
            entries.append(text + _value_lines(section, entry, indent))
    return entries


def _value_lines(section: Section, key: Key, indent: str) -> str:
    """Given a key, return its line (or lines) with its default, or its example if required."""
    default = default_of(section, key)
    if default is REQUIRED:
        return f"{indent}{key.name}: {key.example}\n"
    block = key.check.block_lines(default)
    if block is None:
        return f"{indent}{key.name}: {key.check.format(default)}\n"
    return f"{indent}{key.name}:\n" + "".join(f"{indent}  {line}\n" for line in block)


def comment(french: str, english: str, indent: str, allowed: tuple[str, str] | None = None) -> str:
    """Given a description in French and in English, return it as comment lines at indent:
    "# FR: " then "# EN: ", each wrapped to WIDTH, ending with the allowed values if given.
    """
    lines = []
    for label, text, sentence in (
        ("FR", french, allowed and allowed[0]),
        ("EN", english, allowed and allowed[1]),
    ):
        paragraphs = text.split("\n")
        if sentence:
            paragraphs[-1] += " " + sentence
        prefix = f"{indent}# {label}: "
        for paragraph in paragraphs:
            if paragraph.startswith(" "):
                # A sample, shown as written.
                lines.append(f"{indent}#     {paragraph}")
                continue
            wrapped = textwrap.wrap(
                _keep_together(paragraph),
                WIDTH,
                initial_indent=prefix,
                subsequent_indent=f"{indent}#     ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines.extend(line.replace(_GLUE, " ") for line in wrapped)
            prefix = f"{indent}#     "
    return "".join(line + "\n" for line in lines)


def _keep_together(text: str) -> str:
    """Given text, return it with the spaces no line may break at glued (French « quotes »
    and the space before : ; =), for textwrap, which breaks only at ASCII whitespace.
    """
    for pair in ("« ", " »", " :", " ;", " ="):
        text = text.replace(pair, pair.replace(" ", _GLUE))
    return text


if __name__ == "__main__":
    print(generate(), end="")
