"""The set-up's questions on the terminal. With --yes none is asked: each takes its default,
and a question without one is the wizard's to refuse (it says which option answers it)."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO


class NoAnswer(Exception):
    """Standard input ended before the question was answered."""


class Console:
    def __init__(
        self, assume_yes: bool, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.assume_yes = assume_yes
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def ask(self, question: str, default: str = "") -> str:
        """Ask a question; return the answer, stripped, or the default for an empty one."""
        if self.assume_yes:
            return default
        shown = f" [{default}]" if default else ""
        answer = self._read_line(f"{question}{shown} : ").strip()
        return answer or default

    def ask_secret(self, question: str) -> str:
        """Ask for a secret (the SIM's PIN) without echoing it on a terminal."""
        if self.stdin.isatty():
            return getpass.getpass(f"{question} : ", stream=self.stdout).strip()
        return self._read_line(f"{question} : ").strip()

    def confirm(self, question: str, default: bool) -> bool:
        """Ask a yes/no question (oui/non, yes/no); return the default for an empty answer."""
        if self.assume_yes:
            return default
        choices = "O/n" if default else "o/N"
        while True:
            answer = self._read_line(f"{question} [{choices}] : ").strip().lower()
            if not answer:
                return default
            if answer in ("o", "oui", "y", "yes"):
                return True
            if answer in ("n", "non", "no"):
                return False
            self.say("Répondez o (oui) ou n (non) / answer y (yes) or n (no).")

    def _read_line(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise NoAnswer(prompt.strip(" :"))
        if not self.stdin.isatty():
            self.stdout.write("\n")  # piped answers: keep each question on its own line
        return line
