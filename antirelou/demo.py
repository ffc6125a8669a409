"""`make demo`: the service against a simulated dongle, with a short scene.

Everything real but the dongle: the daemon, gsmmodem, pyserial over a
pseudo-terminal, and the SQLite log left behind in the data folder.
"""

from __future__ import annotations

import os
import threading
import time

from antirelou import exits
from antirelou.clock import local_day_start, wait_until
from antirelou.config import load
from antirelou.daemon import Daemon
from antirelou.intake import Logged
from antirelou.simulator import SimulatedDongle
from antirelou.store import Store, queries
from antirelou.systemd import configure_logging

DEMO_CONFIG = """\
# Configuration de la démonstration / demo configuration (see etc/antirelou.yaml)
modem:
  port: {port}
  poll_interval: 5s
  reassembly_timeout: 1m
database: {database}
replies:
  text: "Si une femme dit non, inutile d'insister."
  cooldown: 24h
logging:
  level: warning
"""

LONG_MESSAGE = (
    "Je sais que tu m'as donné un faux numéro mais je m'en fiche, je vais t'écrire quand même "
    "parce que tu me dois au moins une explication. Je t'ai vue tous les matins à la station "
    "depuis deux semaines et tu fais semblant de ne pas me voir. Franchement ce n'est pas "
    "correct, je suis quelqu'un de bien et tu devrais me laisser une chance au lieu de "
    "partir en courant. Réponds-moi."
)

SCENE: list[tuple[str, str, str]] = [
    ("+33612345678", "Salut c'est Karim du métro, on se voit ce soir ?", "a one-off sender"),
    ("+33698765432", "T'es charmante, tu m'as donné ton vrai numéro j'espère", "another one"),
    ("+33655555555", "Pourquoi tu réponds pas ?", "the insistent one, 1st message"),
    ("+33655555555", "Allez, sois pas comme ça", "the insistent one, 2nd message"),
    ("+33655555555", "Réponds !!! 😡", "the insistent one, 3rd message (emoji)"),
    ("+33644444444", LONG_MESSAGE, "a long message (several SMS)"),
    (
        "Orange",
        "Votre facture de 2,00 EUR est disponible dans votre Espace Client.",
        "an operator notice (alphanumeric sender)",
    ),
    ("36179", "Jeu concours ! Envoyez GAGNE au 36179 (0,80 EUR/SMS)", "a premium short code"),
    ("0611223344", "Bonsoir, on s'est croisés au bar", "a national-format number"),
]


def _say(text: str = "") -> None:
    print(text, flush=True)


def _describe(logged: Logged) -> None:
    text = (logged.text or "").replace("\n", " ")
    if len(text) > 70:
        text = text[:69] + "…"
    parts = f" ({logged.parts} SMS)" if logged.parts_expected > 1 else ""
    _say(f"  ← logged #{logged.message_id} from {logged.sender.display}{parts}: « {text} »")
    if logged.decision.reply:
        _say("    → reply queued")
    else:
        _say(f"    → no reply: {logged.decision.reason}")


def run_demo(data: str, *, fast: bool = False) -> int:
    """Play the scene in folder `data`; return an exit status."""
    os.makedirs(data, mode=0o700, exist_ok=True)
    data = os.path.abspath(data)
    config_path = os.path.join(data, "antirelou.yaml")
    link = os.path.join(data, "modem")
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write(DEMO_CONFIG.format(port=link, database=os.path.join(data, "antirelou.db")))
    config = load(config_path)
    configure_logging(config.logging.level)
    pause = 0.0 if fast else 0.6

    _say(
        "antirelou demo: a simulated USB dongle (20 ms per AT command, 115200 baud, "
        "0.5-1.5 s per sent SMS) and the real service."
    )
    dongle = SimulatedDongle(
        link, command_latency=0.02, send_latency=(0.5, 1.5), baudrate=115200, seed=2017
    )
    with dongle:
        daemon = Daemon(config, on_logged=_describe)
        runner = threading.Thread(target=daemon.run, name="antirelou-daemon", daemon=True)
        runner.start()
        if not daemon.ready.wait(30):
            _say("the service did not become ready; see the messages above")
            daemon.request_stop()
            return exits.SOFTWARE
        _say(f"service ready: {daemon.registration.describe()}\n")
        printed = 0

        def show_sent() -> None:
            nonlocal printed
            for sent in dongle.sent[printed:]:
                _say(f"  ✉ sent to {sent.number}: « {sent.text} »")
            printed = len(dongle.sent)

        for sender, text, what in SCENE:
            _say(f"SMS from {sender} ({what})")
            dongle.inject(sender, text)
            time.sleep(pause)
            show_sent()

        def settled() -> bool:
            with Store(config.database, readonly=True) as store:
                waiting = queries.waiting_replies(store).total
                count = queries.message_count(store)
            return waiting == 0 and count >= len(SCENE) and not dongle.stored()

        wait_until(settled, 60)
        show_sent()
        daemon.request_stop()
        runner.join(15)

    with Store(config.database, readonly=True) as store:
        counts = queries.counts_since(store, local_day_start(daemon.clock.now()))
    _say("\nSummary / bilan:")
    _say(f"  {counts['messages']} messages logged from {counts['senders']} senders")
    _say(
        f"  {counts['replies_sent']} replies sent ({counts['segments_sent']} SMS), "
        f"{counts['replies_skipped']} messages not answered, "
        f"{counts['replies_failed'] + counts['replies_unknown']} failed"
    )
    _say(f"  storage left on the dongle: {len(dongle.stored())} messages")
    _say("\nNow try / essayez maintenant:")
    _say(f"  .venv/bin/antirelou -c {os.path.relpath(config_path)} log")
    _say(f"  .venv/bin/antirelou -c {os.path.relpath(config_path)} status")
    return exits.OK if counts["messages"] >= len(SCENE) else exits.SOFTWARE
