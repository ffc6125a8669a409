"""The one error type of the configuration: every problem found, each at its line and column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the configuration file; line and column are 1-based.

    line and column are None when the problem is the file itself (missing, unreadable).
    """

    file: str
    line: int | None
    column: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        # The GNU "file:line:column: message" form, which editors and grep users recognise.
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        what = f"{self.key_path}: {self.message}" if self.key_path else self.message
        # One issue, one line: a value quoted in the message may hold a line break.
        return f"{where}: {what}".replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(Exception):
    """The configuration cannot be used; `errors` lists every problem found, in file order."""

    def __init__(self, errors: Sequence[ConfigIssue]) -> None:
        self.errors = sorted(errors, key=lambda issue: (issue.line or 0, issue.column or 0))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.errors)
