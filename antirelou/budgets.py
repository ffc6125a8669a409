"""The budgets, in one place: what each one counts, its limit, what is used and what is left.

`policy` refuses or defers a reply with them, `alerts` an alert SMS, and `status`, `stats` and
`check` show them; all of them take the list from `budget_list`. Pure: the store measures
`Spending`, the config gives the limits.

Replies and alerts never spend each other's budgets: the operators hear that a raid started
or a budget is spent even when the raid has spent the replies' budgets (`alerts.reserve`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from antirelou.config import Config
from antirelou.reasons import Reason


@dataclass(frozen=True)
class Spending:
    """What replies and alerts have committed (being sent, sent or of unknown outcome, and
    replies queued outside flood mode, which reserve their cost), as the store measures it at
    one moment. A reply counts from the moment it reserved its cost: when it was queued, or
    for a reply decided in flood mode, when it left."""

    segments_hour: int = 0
    segments_day: int = 0
    segments_month: int = 0  # rolling 30 days
    numbers_month: int = 0  # distinct numbers answered over 30 days
    number_answered_this_month: bool = False  # the recipient asked about is one of them
    flood_segments_hour: int = 0  # replies decided in flood mode, last hour
    flood_segments_month: int = 0  # the same over 30 days
    flood_numbers_month: int = 0  # distinct numbers they answered over 30 days
    alert_segments_day: int = 0  # alert SMS to the operators over 24 hours


class Scope(Enum):
    """What a budget counts and limits."""

    REPLIES = "every reply"
    FLOOD = "replies decided in flood mode, while it lasts"
    RAID = "replies decided in flood mode, over 30 days"
    ALERTS = "alerts to the operators"


@dataclass(frozen=True)
class Budget:
    """One budget: its name, its configuration key, the sentence name, what it counts, its
    state."""

    name: str  # unique, e.g. "budgets.segments_per_hour", "flood.share_of_month.numbers"
    key: str  # the setting that sets its limit, e.g. "budgets.segments_per_hour"
    label: str  # e.g. "hourly budget", as sentences say "hourly budget spent"
    unit: str  # what it counts: "SMS" or "numbers"
    used: int
    limit: int | None  # None: unlimited
    code: Reason  # the reason a refusal by this budget carries
    scope: Scope = Scope.REPLIES

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

    def limits_reply(self, *, in_flood: bool, flood_on: bool) -> bool:
        """Return whether this budget limits a reply decided in flood mode or not (`in_flood`),
        while a flood is on or not (`flood_on`)."""
        if self.scope is Scope.REPLIES:
            return True
        if self.scope is Scope.FLOOD:
            return in_flood and flood_on
        return in_flood and self.scope is Scope.RAID


def budget_list(spending: Spending, config: Config) -> list[Budget]:
    """Given what is spent and the config, return every budget: the replies' (hour, day, 30
    days, numbers), then flood mode's (hourly, and its share of the 30-day ones) when flood
    detection is enabled, then the alerts' reserve."""
    budgets, flood = config.budgets, config.flood
    result = [
        Budget(
            "budgets.segments_per_hour",
            "budgets.segments_per_hour",
            "hourly budget",
            "SMS",
            spending.segments_hour,
            budgets.segments_per_hour,
            Reason.BUDGET_HOUR,
        ),
        Budget(
            "budgets.segments_per_day",
            "budgets.segments_per_day",
            "daily budget",
            "SMS",
            spending.segments_day,
            budgets.segments_per_day,
            Reason.BUDGET_DAY,
        ),
        Budget(
            "budgets.segments_per_month",
            "budgets.segments_per_month",
            "monthly budget",
            "SMS",
            spending.segments_month,
            budgets.segments_per_month,
            Reason.BUDGET_MONTH,
        ),
        Budget(
            "budgets.numbers_per_month",
            "budgets.numbers_per_month",
            "monthly budget of numbers",
            "numbers",
            spending.numbers_month,
            budgets.numbers_per_month,
            Reason.BUDGET_NUMBERS,
        ),
    ]
    if flood.enabled:
        result += [
            Budget(
                "flood.segments_per_hour",
                "flood.segments_per_hour",
                "flood-mode hourly budget",
                "SMS",
                spending.flood_segments_hour,
                flood.segments_per_hour,
                Reason.BUDGET_FLOOD_HOUR,
                Scope.FLOOD,
            ),
            Budget(
                "flood.share_of_month.segments",
                "flood.share_of_month",
                "raids' share of the monthly budget",
                "SMS",
                spending.flood_segments_month,
                flood.share(budgets.segments_per_month),
                Reason.BUDGET_FLOOD_SHARE,
                Scope.RAID,
            ),
            Budget(
                "flood.share_of_month.numbers",
                "flood.share_of_month",
                "raids' share of the monthly budget of numbers",
                "numbers",
                spending.flood_numbers_month,
                flood.share(budgets.numbers_per_month),
                Reason.BUDGET_FLOOD_SHARE,
                Scope.RAID,
            ),
        ]
    result.append(alert_reserve(spending, config))
    return result


def alert_reserve(spending: Spending, config: Config) -> Budget:
    """Return the alerts' own budget: SMS to the operators over 24 hours."""
    return Budget(
        "alerts.reserve",
        "alerts.reserve",
        "alerts' reserve",
        "SMS",
        spending.alert_segments_day,
        config.alerts.reserve,
        Reason.ALERT_RESERVE,
        Scope.ALERTS,
    )


def reply_refusing(
    spending: Spending, segments: int, config: Config, *, in_flood: bool, flood_on: bool
) -> Budget | None:
    """Given what is spent and what a reply would cost, return the first budget that forbids
    it, or None. The numbers budgets count only a number not yet answered in 30 days."""
    # Numbers last: a reply refused by both an SMS budget and a numbers one says "SMS".
    for budget in sorted(
        budget_list(spending, config), key=lambda budget: budget.unit == "numbers"
    ):
        if budget.scope is Scope.ALERTS or not budget.limits_reply(
            in_flood=in_flood, flood_on=flood_on
        ):
            continue
        if budget.unit == "numbers":
            cost = 0 if spending.number_answered_this_month else 1
        else:
            cost = segments
        if budget.refuses(cost):
            return budget
    return None
