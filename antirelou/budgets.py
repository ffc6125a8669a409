"""The budgets, in one place: what each one counts, its limit, what is used and what is left.

`policy` refuses a reply with them, `alerts` an alert SMS, and `status`, `stats` and `check`
show them; all of them take the list from `budget_list`. Pure: the store measures `Spending`,
the config gives the limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from antirelou.config import Config
from antirelou.reasons import Reason


@dataclass(frozen=True)
class Spending:
    """What replies and alerts have committed (queued, being sent, sent or of unknown outcome),
    as the store measures it at one moment."""

    segments_hour: int = 0
    segments_day: int = 0
    segments_month: int = 0  # rolling 30 days
    flood_segments_hour: int = 0  # replies decided in flood mode, last hour
    numbers_month: int = 0  # distinct numbers answered over 30 days
    number_answered_this_month: bool = False  # the recipient asked about is one of them


@dataclass(frozen=True)
class Budget:
    """One budget: its configuration key, the sentence name, what it counts and its state."""

    key: str  # e.g. "budgets.segments_per_hour"
    label: str  # e.g. "hourly budget", as sentences say "hourly budget spent"
    unit: str  # what it counts: "SMS" or "numbers"
    used: int
    limit: int | None  # None: unlimited
    code: Reason  # the reason a refusal by this budget carries
    flood_only: bool = False  # counts only replies decided in flood mode

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    def refuses(self, cost: int) -> bool:
        """Return whether spending `cost` more (SMS, or 1 for a number not yet answered) would
        go over the limit."""
        return self.limit is not None and self.used + cost > self.limit

    def refusal(self) -> str:
        """The sentence logged when this budget refuses."""
        counted = "different numbers answered in 30 days" if self.unit == "numbers" else "SMS"
        return f"{self.label} spent ({self.used} of {self.limit} {counted})"


def budget_list(spending: Spending, config: Config) -> list[Budget]:
    """Given what is spent and the config, return every budget, segments first, then numbers,
    then the flood-mode one (only when flood detection is enabled)."""
    budgets, flood = config.budgets, config.flood
    result = [
        Budget(
            "budgets.segments_per_hour",
            "hourly budget",
            "SMS",
            spending.segments_hour,
            budgets.segments_per_hour,
            Reason.BUDGET_HOUR,
        ),
        Budget(
            "budgets.segments_per_day",
            "daily budget",
            "SMS",
            spending.segments_day,
            budgets.segments_per_day,
            Reason.BUDGET_DAY,
        ),
        Budget(
            "budgets.segments_per_month",
            "monthly budget",
            "SMS",
            spending.segments_month,
            budgets.segments_per_month,
            Reason.BUDGET_MONTH,
        ),
        Budget(
            "budgets.numbers_per_month",
            "monthly budget of numbers",
            "numbers",
            spending.numbers_month,
            budgets.numbers_per_month,
            Reason.BUDGET_NUMBERS,
        ),
    ]
    if flood.enabled:
        result.append(
            Budget(
                "flood.segments_per_hour",
                "flood-mode hourly budget",
                "SMS",
                spending.flood_segments_hour,
                flood.segments_per_hour,
                Reason.BUDGET_FLOOD_HOUR,
                flood_only=True,
            )
        )
    return result


def segment_budgets(spending: Spending, config: Config) -> list[Budget]:
    """Return the budgets counted in SMS segments for every SMS we send (hour, day, month):
    the ones an alert to the operators also spends."""
    return [
        budget
        for budget in budget_list(spending, config)
        if budget.unit == "SMS" and not budget.flood_only
    ]
