"""`antirelou setup`, in order: find the dongle, unlock its SIM, ask the reply text and the
team's numbers, write the configuration, run `check`, offer to start the service.

Each step says what it found or what to do; with --yes, no question is asked and a missing
answer (a PIN) is refused with the option that gives it.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass

from antirelou import exits, lines
from antirelou.setup import probe, system
from antirelou.setup.config_file import fill, yaml_list, yaml_string
from antirelou.setup.console import Console
from antirelou.setup.discovery import Discovery, Found, discover
from antirelou.setup.dongles import known

_PIN = re.compile(r"[0-9]{4,8}")


@dataclass(frozen=True)
class Options:
    line: str | None
    port: str | None
    pin: str | None
    text: str | None
    operators: tuple[str, ...] | None
    country: int | None
    replace: bool
    start: bool
    config_dir: str
    state_dir: str


class Stop(Exception):
    """Leave the set-up with this status; what to do was said."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def run(options: Options, console: Console) -> int:
    """Given the options and the console, do the set-up; return the exit status."""
    try:
        return _run(options, console)
    except Stop as stop:
        return stop.status


def _run(options: Options, console: Console) -> int:
    target = lines.config_path(options.line, options.config_dir)
    if options.pin is not None and not _PIN.fullmatch(options.pin):
        console.say("--pin : 4 à 8 chiffres / 4 to 8 digits.")
        raise Stop(exits.USAGE)
    _may_write(target, options, console)
    problem = system.service_user_problem()
    if problem:
        console.say(f"ATTENTION / WARNING: {problem}")
    console.say("Recherche de la clé / looking for the dongle…")
    found = _choose(_discover(options, console, target), console)
    pin = _unlock(found, options, console)
    found = _refreshed(found, console)
    country = _country(options, console)
    text = (
        options.text
        if options.text is not None
        else console.ask("Texte de la réponse / reply text", _default_text())
    )
    operators = _operators(options, console, country)
    body = _configuration(options, console, found, pin, country, text, operators, target)
    backup = system.write_config(target, body)
    console.say(f"Configuration écrite / written: {target} (0640)")
    if backup:
        console.say(f"  l'ancienne est gardée / the old one is kept: {backup}")
    status = _check(target, console)
    _start(options, console)
    return status


def _may_write(target: str, options: Options, console: Console) -> None:
    folder = os.path.dirname(target)
    existing = folder if os.path.isdir(folder) else os.path.dirname(folder)
    if not os.access(existing, os.W_OK):
        console.say(
            f"Il faut être root pour écrire / root is needed to write {target}: "
            f"sudo antirelou setup{_line_option(options)}"
        )
        raise Stop(exits.NOPERM)
    if os.path.exists(target) and not options.replace:
        if console.assume_yes or not console.confirm(
            f"{target} existe déjà. Le remplacer ? / already exists. Replace it?", False
        ):
            console.say(
                f"{target} est gardé tel quel / is kept as it is. Pour le remplacer / to "
                "replace it: --replace (l'ancien devient / the old one becomes "
                f"{os.path.basename(target)}.bak)"
            )
            raise Stop(exits.CANTCREAT)


def _line_option(options: Options) -> str:
    return f" --line {options.line}" if options.line else ""


def _discover(options: Options, console: Console, target: str) -> Discovery:
    found = discover(options.port, _ports_in_use(options.config_dir, target))
    for verdict in found.listed:
        console.say(
            f"  {verdict.port.device}: {', '.join(filter(None, (verdict.dongle, verdict.why)))}"
        )
    for problem in found.problems:
        console.say(f"  - {problem}")
    if found.found:
        return found
    if not found.listed and options.port is None:
        console.say(
            "Aucun port série USB / no USB serial port. La clé est-elle branchée ? / is the "
            "dongle plugged in? Attendez 10 s après l'avoir branchée, puis relancez / wait 10 s "
            "after plugging it in, then run again. `lsusb` montre ce qui est branché / shows "
            "what is plugged in. README : « Quand setup ne trouve rien » / When setup finds "
            "nothing."
        )
    if system.modemmanager_running():
        console.say(
            "ModemManager tourne / is running: il peut tenir la clé / it may hold the dongle. "
            "sudo systemctl restart ModemManager (il lit alors la règle udev d'antirelou / it "
            "then reads antirelou's udev rule), ou / or sudo systemctl disable --now "
            "ModemManager, puis relancez / then run again."
        )
    console.say("Aucune clé utilisable trouvée / no usable dongle found.")
    raise Stop(exits.UNAVAILABLE)


def _ports_in_use(config_dir: str, target: str) -> dict[str, str]:
    """Return the ports the other configurations of this folder name (resolved -> file)."""
    from antirelou.config import ConfigError, load

    used = {}
    for path in sorted(glob.glob(os.path.join(config_dir, "*.yaml"))):
        if os.path.abspath(path) == os.path.abspath(target):
            continue
        try:
            used[os.path.realpath(load(path).modem.port)] = path
        except ConfigError:
            continue  # a broken neighbour is its own problem, `check` reports it
    return used


def _choose(discovery: Discovery, console: Console) -> Found:
    for number, found in enumerate(discovery.found, start=1):
        console.say(f"{number}) {_describe(found)}")
    if len(discovery.found) == 1:
        return _warn_modemmanager(discovery.found[0], console)
    if console.assume_yes:
        console.say(
            "Plusieurs clés / several dongles: choisissez avec / choose with --port CHEMIN/PATH"
        )
        raise Stop(exits.USAGE)
    while True:
        answer = console.ask("Quelle clé ? / which dongle?", "1")
        if answer.isdigit() and 1 <= int(answer) <= len(discovery.found):
            return _warn_modemmanager(discovery.found[int(answer) - 1], console)
        console.say(
            f"Un numéro de 1 à {len(discovery.found)} / a number from 1 to {len(discovery.found)}."
        )


def _warn_modemmanager(found: Found, console: Console) -> Found:
    # The udev rule keeps ModemManager off the dongles of the table only.
    if (
        found.verdict.port.vendor is not None
        and known(found.verdict.port.vendor, found.verdict.port.product) is None
        and system.modemmanager_running()
    ):
        console.say(
            "ATTENTION / WARNING: ModemManager tourne et ne connaît pas cette clé comme celle "
            "d'antirelou / is running and does not know this dongle as antirelou's: il peut la "
            "sonder / it may probe it. sudo systemctl disable --now ModemManager, si rien "
            "d'autre n'en a besoin / if nothing else needs it."
        )
    return found


def _describe(found: Found) -> str:
    answer = found.probe
    sim = {
        "READY": "prête / ready",
        "SIM PIN": "demande son code PIN / asks for its PIN",
        "SIM PUK": "BLOQUÉE, demande son PUK / BLOCKED, asks for its PUK",
        "NOT INSERTED": "ABSENTE / NOT INSERTED",
    }.get(answer.sim, answer.sim)
    if answer.pin_tries is not None:
        sim += f" ({answer.pin_tries} essai(s) / tries left)"
    known_as = f" ({found.verdict.dongle})" if found.verdict.dongle else ""
    text = [
        f"{answer.manufacturer} {answer.model}{known_as}, IMEI {answer.imei or '?'}",
        f"   port     {found.path}",
        f"   SIM      {sim}",
    ]
    if found.note:
        text.insert(2, f"            {found.note}")
    return "\n".join(text + _network_lines(answer))


def _network_lines(answer: probe.Probe) -> list[str]:
    """Given what a dongle said, return its network and storage lines (an unlocked SIM's)."""
    shown = []
    if answer.registration is not None:
        shown.append(f"   réseau   {answer.registration.describe()}")
    if answer.storages:
        slots = ", ".join(f"{info.name} {info.used}/{info.total}" for info in answer.storages)
        shown.append(f"   mémoires {slots} (SMS)")
    return shown


def _unlock(found: Found, options: Options, console: Console) -> str | None:
    """Return the PIN to write in the configuration (None: the SIM has none)."""
    answer = found.probe
    if answer.sim == "SIM PUK":
        console.say(
            "La carte SIM est bloquée / the SIM is blocked: débloquez-la avec son PUK dans un "
            "téléphone / unblock it with its PUK in a phone, then run again."
        )
        raise Stop(exits.CONFIG)
    if answer.sim == "NOT INSERTED":
        console.say(
            "Pas de carte SIM / no SIM: insérez-la, clé débranchée / insert it, dongle unplugged."
        )
        raise Stop(exits.UNAVAILABLE)
    if answer.sim == "READY":
        if answer.pin_enabled and options.pin is None:
            return _pin_for_later(console)
        return options.pin
    if answer.sim != "SIM PIN":
        console.say(f"État de la SIM inconnu / unknown SIM state: {answer.sim}")
        return options.pin
    tries = answer.pin_tries
    while True:
        if tries == 1:
            console.say(
                "Un seul essai restant / one try left: vérifiez le code PIN dans un téléphone "
                "d'abord / check the PIN in a phone first (un faux code bloque la SIM / a wrong "
                "one blocks the SIM)."
            )
            raise Stop(exits.CONFIG)
        pin = options.pin or _typed_pin(console)
        refused = probe.unlock(found.verdict.port.device, pin)
        if refused is None:
            console.say("SIM déverrouillée / unlocked.")
            return pin
        after = probe.probe(found.verdict.port.device)
        tries = after.pin_tries
        left = "?" if tries is None else str(tries)
        console.say(f"{refused}; essais restants / tries left: {left}")
        if (
            after.sim == "SIM PUK"
            or options.pin
            or not console.confirm("Essayer un autre code ? / try another PIN?", False)
        ):
            raise Stop(exits.CONFIG)


def _typed_pin(console: Console) -> str:
    if console.assume_yes:
        console.say(
            "La SIM demande son code PIN / the SIM asks for its PIN: donnez-le avec / give it "
            "with --pin CODE (il n'est essayé qu'une fois / it is tried once)."
        )
        raise Stop(exits.CONFIG)
    while True:
        pin = console.ask_secret("Code PIN de la SIM / SIM PIN")
        if not _PIN.fullmatch(pin):
            console.say("4 à 8 chiffres / 4 to 8 digits.")
            continue
        # Typed twice: a typo must not cost one of the SIM's three tries.
        if console.ask_secret("Encore une fois / once more") == pin:
            return pin
        console.say("Les deux codes diffèrent / the two PINs differ.")


def _pin_for_later(console: Console) -> str | None:
    console.say(
        "La SIM a un code PIN, déjà saisi depuis l'allumage de la clé / the SIM has a PIN, "
        "already entered since the dongle powered up: après un débranchement, il faudra le "
        "redonner / after an unplug it will be needed again."
    )
    if console.assume_yes:
        console.say("  --pin CODE l'écrit dans la configuration / writes it in the configuration.")
        return None
    pin = _typed_pin(console)
    console.say("  (pas vérifié maintenant : la SIM est déjà déverrouillée / not checked now)")
    return pin


def _refreshed(found: Found, console: Console) -> Found:
    """After an unlock, ask the dongle again: network and storages need the SIM."""
    if found.probe.registration is not None:
        return found
    found = Found(found.verdict, probe.probe(found.verdict.port.device), found.path, found.note)
    for line in _network_lines(found.probe):
        console.say(line)
    return found


def _country(options: Options, console: Console) -> int:
    if options.country is not None:
        return options.country
    while True:
        answer = console.ask("Indicatif du pays de la SIM / SIM's country code", "33")
        if answer.lstrip("+").isdigit() and 1 <= int(answer.lstrip("+")) <= 999:
            return int(answer.lstrip("+"))
        console.say("Par exemple / for example: 33 (France), 32, 41, 1")


def _default_text() -> str:
    from antirelou.config.model import RepliesConfig

    return RepliesConfig().text


def _operators(options: Options, console: Console, country: int) -> list[str]:
    from antirelou.numbers import normalise

    if options.operators is not None:
        try:
            return [normalise(raw, country) for raw in options.operators]
        except ValueError as error:
            console.say(f"--operator: {error}")
            raise Stop(exits.DATAERR) from None
    if console.assume_yes:
        return []
    console.say(
        "Numéros de l'équipe : ils reçoivent les alertes (raid, budget épuisé, clé perdue) / "
        "the team's numbers: they get the alerts. Un par ligne, vide pour finir / one per "
        "line, empty to finish."
    )
    numbers: list[str] = []
    while True:
        raw = console.ask("Numéro / number")
        if not raw:
            return numbers
        try:
            numbers.append(normalise(raw, country))
        except ValueError as error:
            console.say(str(error))


def _configuration(
    options: Options,
    console: Console,
    found: Found,
    pin: str | None,
    country: int,
    text: str,
    operators: list[str],
    target: str,
) -> str:
    """Return the configuration's text: the example with the answers, checked by the loader."""
    from antirelou.config import ConfigError, loads
    from antirelou.config.example import generate

    answer = found.probe
    header = (
        f"# Écrit par / written by « antirelou setup{_line_option(options)} » : "
        f"{answer.manufacturer} {answer.model}, IMEI {answer.imei or '?'}.\n"
        f"# Ce fichier / this file: {target}\n\n"
    )
    body = header + fill(
        generate(),
        {
            "modem.port": yaml_string(found.path),
            "modem.pin": "null" if pin is None else yaml_string(pin),
            "database": yaml_string(lines.database_path(options.line, options.state_dir)),
            "numbers.default_country": str(country),
            "replies.text": yaml_string(text),
            "alerts.numbers": yaml_list(operators),
        },
    )
    try:
        loads(body, target)
    except ConfigError as error:
        # The answers were checked one by one; the country code and the text are the loader's.
        console.say(f"antirelou setup: {error}")
        raise Stop(exits.DATAERR) from None
    return body


def _check(target: str, console: Console) -> int:
    from antirelou.checks import check_modem, describe_costs
    from antirelou.config import load

    console.say("Vérification / check (antirelou check):")
    config = load(target)
    for line in describe_costs(config):
        console.say(f"  {line}")
    status = check_modem(config, lambda line: console.say(f"  {line}"))
    if status:
        console.say(
            "La vérification a trouvé un problème (ci-dessus) / check found a problem (above)."
        )
    return status


def _start(options: Options, console: Console) -> None:
    unit = lines.unit_name(options.line)
    units = [unit] if options.line is None else ["antirelou.target", unit]
    command = f"sudo systemctl enable --now {' '.join(units)}"
    if not options.start:
        console.say(f"Service pas démarré / not started. Pour le démarrer / to start it: {command}")
    elif not system.systemd_running():
        console.say(
            "systemd ne tourne pas sur cette machine : service ni activé ni démarré / systemd "
            "is not running on this machine: service neither enabled nor started. À la main / "
            f"by hand: antirelou{_line_option(options)} run"
        )
    elif console.confirm("Activer et démarrer le service ? / enable and start the service?", True):
        done, output = system.systemctl("enable", "--now", "--no-block", *units)
        if output:
            console.say(output)
        if not done:
            console.say(f"systemctl a échoué / failed: {command}")
            raise Stop(exits.UNAVAILABLE)
        console.say(f"Service {unit} activé et démarré / enabled and started.")
    else:
        console.say(f"Pour le démarrer plus tard / to start it later: {command}")
    console.say(
        f"Ensuite / next: sudo antirelou{_line_option(options)} status ; journalctl -u {unit} -f ; "
        "envoyez un SMS au numéro / send the number an SMS."
    )
