"""The whole screening stage for the report: :func:`screen_client` and :class:`ScreeningResult`.

:func:`screen_client` screens this period and the previous one, compares them, tests the
weights, applies the workshop's overrides and returns a :class:`ScreeningResult` with the
report's sentences and tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.analytics import is_buying
from kamtools.analytics.concentration import abc_classes, gini, pareto_share
from kamtools.formatting import count_text, percent_text
from kamtools.periods import completeness_sentence
from kamtools.stages.screening import movement
from kamtools.stages.screening.metrics import period_measures
from kamtools.stages.screening.overrides import apply_overrides
from kamtools.stages.screening.scoring import (
    PeriodScreening,
    period_window,
    screen_period,
    screening_sales,
)
from kamtools.stages.screening.selection import final_tiers, weight_sensitivity
from kamtools.stages.screening.settings import CRITERIA, ScreeningSettings
from kamtools.stages.screening.summary import headline
from kamtools.tables import readable_columns, typed_columns

# --------------------------------------------------------------------------------------------
# The whole stage for the report: this period, last period, movement, robustness, overrides

SETTING_LABELS: Mapping[str, tuple[str, str]] = {
    "min_margin_pct": ("Minimum gross margin for a key account", "percent"),
    "min_contribution": ("Minimum contribution after cost to serve", "money"),
    "max_avg_days_late": ("Most days paid late on average", "days"),
    "max_late_share": ("Largest share of invoices paid late", "percent"),
    "max_credit_use": ("Largest use of the credit limit", "percent"),
    "min_payment_invoices": ("Invoices needed before payment rules apply", "count"),
    "grace_days": ("Days after the due date still counted as on time", "days"),
    "growth_min_growth_pct": ("Growth account: sales growth of at least", "percent"),
    "growth_sales_floor_quantile": ("Growth account: sales above this quantile of customers", "percent"),
    "growth_min_headroom_share": ("Growth account: share of wallet still with competitors", "percent"),
    "growth_min_qualitative": ("Growth account: workshop score of at least (1 to 5)", "score"),
    "manager_load": ("Key accounts per account manager", "count"),
    "max_overrides": ("Most overrides of the screened tiers", "count"),
    "migration_warning_share": ("Warn when the key list changes by more than", "percent"),
    "key_retention_band": ("Last period's key accounts stay key within the key count plus", "percent"),
    "size_floor_multiple": ("Size scores reach zero at this multiple of the key count (by rank)", "score"),
    "margin_peers": ("Margin compared with this many customers closest in sales", "count"),
    "min_margin_vs_peers": ("Price-pressed below this share of the peers' median margin", "percent"),
    "at_risk_decline": ("Former key accounts at risk when sales fell by at least", "percent"),
    "growth_accounts": ("Places on the growth list (no rule: the team's spare capacity)", "count"),
}
"""Readable label and kind of each rule of :class:`ScreeningSettings`, for the report."""


@dataclass(frozen=True)
class ScreeningResult:
    """Everything the screening report shows (see :func:`screen_client`).

    Attributes
    ----------
    current : PeriodScreening
        This period; ``current.scored`` has the overrides applied (columns ``screened_tier``
        and ``overridden`` say which).
    previous : PeriodScreening or None
        Last period on the same months, None when the data do not cover it.
    settings : ScreeningSettings
    overrides : pandas.DataFrame
        The overrides applied (customer_id, tier, reason, decided_by).
    transitions : pandas.DataFrame or None
        :func:`tier_transitions` from last period to this one.
    sensitivity : pandas.DataFrame
        :func:`weight_sensitivity` of this period's screening.
    capacity : int or None
        Key accounts the team can serve (:func:`team_capacity`); None without a team table.
    team : pandas.DataFrame or None
        The team table (account managers of the key and growth accounts).
    """

    current: PeriodScreening
    previous: PeriodScreening | None
    settings: ScreeningSettings
    overrides: pd.DataFrame
    transitions: pd.DataFrame | None
    sensitivity: pd.DataFrame
    capacity: int | None
    team: pd.DataFrame | None = None

    # -- counts ------------------------------------------------------------------------------

    def _tier(self, tier: str) -> pd.DataFrame:
        scored = self.current.scored
        return scored[scored["tier"] == tier]

    def _buying(self) -> pd.DataFrame:
        return self.current.scored[is_buying(self.current.scored)]

    @property
    def abc_summary(self) -> pd.DataFrame:
        """Customers and sales per ABC class, with the fixed 80/15/5 cut and the computed cut.

        Columns: method, class, customers, share of customers, sales, share of sales; only
        customers with positive sales in the current window are counted.
        """
        buying = self.concentration_base
        rows = []
        for method, label in (("fixed", "fixed 80/15/5 cut"), ("computed", "computed cut")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                classes = abc_classes(buying, method=method)
            for name in ("A", "B", "C"):
                members = classes[classes["abc"] == name]
                rows.append(
                    {
                        "method": label,
                        "class": name,
                        "customers": len(members),
                        "share of customers": len(members) / len(classes) if len(classes) else np.nan,
                        "sales": float(members["sales"].sum()),
                        "share of sales": members["sales"].sum() / classes["sales"].sum()
                        if classes["sales"].sum() > 0
                        else np.nan,
                    }
                )
        return pd.DataFrame(rows).astype({"customers": "int64", "method": "str", "class": "str"})

    # -- sentences ---------------------------------------------------------------------------

    def concentration_sentence(self) -> str | None:
        """How many customers make 80% of sales (the count of the ABC table's fixed A class)."""
        base = self.concentration_base
        share = pareto_share(base)
        if not np.isfinite(share):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            concentration = gini(base["sales"])
        makers = round(share * len(base))
        return (
            f"{makers:,} of your {len(base):,} customers with sales ({percent_text(share)}) make 80% of"
            f" your sales, against 20% by the 80/20 rule of thumb (Gini coefficient {concentration:.2f})."
        )

    def data_notes(self) -> list[str]:
        """What the data allow: which completeness rule applied, whether customers can be new."""
        notes = [completeness_sentence(self.current.window)]
        if self.current.history is not None:
            notes.append(self.current.history.sentence())
        return notes

    def method_notes(self) -> list[str]:
        """Notes on how this screening was made: retention band, criteria left out, overrides."""
        scored = self.current.scored
        out = []
        if self.previous is not None:
            before = self.previous.scored
            retained = (
                movement.key_account_retention(before, scored) if (before["tier"] == "key").any() else np.nan
            )
            if np.isfinite(retained):
                entered = int((movement.movers(before, scored)["movement"] == "riser").sum())
                kept = int(scored["retained"].sum()) if "retained" in scored else 0
                band = ""
                if kept:
                    band = (
                        f" ({count_text(kept, 'was', 'were')} kept because they rank just below the list,"
                        f" within {percent_text(self.settings.key_retention_band)} of it)"
                    )
                out.append(
                    f"{percent_text(retained)} of last period's key accounts are key again{band};"
                    f" {count_text(entered, 'customer', 'customers')} entered the key list."
                )
        dropped = self.current.dropped
        if dropped:
            reasons = "; ".join(f"{c.replace('_', ' ')}: {why}" for c, why in dropped.items())
            out.append(f"Some criteria were left out because the data cannot support them ({reasons}).")
        overridden = int(scored["overridden"].sum()) if "overridden" in scored else 0
        if overridden:
            tiers = "tier was" if overridden == 1 else "tiers were"
            out.append(f"{overridden} {tiers} changed by the consultant's overrides (listed at the end).")
        return out

    def capacity_notes(self) -> list[str]:
        """Whether the team can serve the key accounts."""
        n_key = len(self._tier("key"))
        if self.capacity is None:
            return ["Without a team table the team's capacity to serve the key accounts was not checked."]
        warning = movement.capacity_warning(n_key, self.capacity)
        if warning:
            return [warning]
        return [
            f"The account managers can serve about {self.capacity:,} key accounts"
            f" ({self.settings.manager_load} each); the list has {n_key:,}."
        ]

    def movement_notes(self) -> list[str]:
        """How the key list moved since the previous period, with the churn warning."""
        if self.previous is None:
            return ["The data do not cover the previous period, so movement between years is not shown."]
        before = self.previous.scored
        notes = []
        if (before["tier"] == "key").any():
            retained = movement.key_account_retention(before, self.current.scored)
            notes.append(
                f"{retained:.0%} of the key accounts of {self.previous.window.current} are key accounts"
                f" again in {self.current.window.current}."
            )
        warning = movement.migration_warning(before, self.current.scored, settings=self.settings)
        if warning:
            notes.append(warning)
        return notes

    def summary(self, *, currency: str) -> str:
        """One line for the cover of the report pack: the same headline as the report."""
        return headline(self, currency=currency)

    @property
    def concentration_base(self) -> pd.DataFrame:
        """The customers concentration is measured on (buying, positive sales): one population
        for the Pareto sentence, the Pareto chart and the ABC table, so their counts agree."""
        buying = self._buying()
        return buying[buying["sales"] > 0]

    # -- tables for the report (readable column names) ---------------------------------------

    def key_account_table(self) -> pd.DataFrame:
        """The key accounts, best first, with the criteria behind each.

        Criteria the data do not have (gross profit and margin without costs, growth without last
        period, days late without receivables) are left out rather than shown as n/a.
        """
        key = self._tier("key").sort_values(["composite", "sales"], ascending=False)
        table = pd.DataFrame(
            {
                "#": np.arange(1, len(key) + 1),
                "sales rank": key["sales_rank"],
                "customer": key["customer_id"],
                "name": key["name"] if "name" in key else key["customer_id"],
                "sales": key["sales"],
                "share of sales": key["sales"] / self._buying()["sales"].sum(),
                "gross profit": key["gross_profit"],
                "margin": key["margin_pct"],
                "growth": key["growth_pct"],
                "days late": key["avg_days_late"],
                "score": key["composite"],
                "reason": key["reason"],
            }
        ).reset_index(drop=True)
        optional = ["gross profit", "margin", "growth", "days late"]
        empty = [c for c in optional if table[c].isna().all()] if len(table) else []
        return table.drop(columns=empty)

    def growth_account_table(self) -> pd.DataFrame:
        """The growth accounts, best score first, with their growth signals."""
        growth = self._tier("growth").sort_values(["composite", "sales"], ascending=False)
        return pd.DataFrame(
            {
                "#": np.arange(1, len(growth) + 1),
                "sales rank": growth["sales_rank"],
                "customer": growth["customer_id"],
                "name": growth["name"] if "name" in growth else growth["customer_id"],
                "sales": growth["sales"],
                "growth": growth["growth_pct"],
                "headroom": growth["headroom_share"],
                "reason": growth["reason"],
            }
        ).reset_index(drop=True)

    def review_table(self) -> pd.DataFrame:
        """Every customer to review, largest sales first, with the rules it fails (for the workbook)."""
        review = self._tier("review").sort_values("sales", ascending=False)
        return typed_columns(
            review,
            {
                "customer_id": ("customer_id", "str"),
                "name": ("name", "str"),
                "sales": ("sales", "float64"),
                "gross_profit": ("gross_profit", "float64"),
                "margin": ("margin_pct", "float64"),
                "avg_days_late": ("avg_days_late", "float64"),
                "open_overdue_amount": ("open_overdue_amount", "float64"),
                "contribution": ("contribution", "float64"),
                "rules_failed": ("exclusion", "str"),
            },
        )

    def growth_signal_table(self) -> pd.DataFrame:
        """Every eligible customer with a growth signal, best score first, listed or not (workbook)."""
        scored = self.current.scored
        signal = scored["growth_signal"] if "growth_signal" in scored else scored["tier"] == "growth"
        chosen = scored[signal.astype(bool)].sort_values(["composite", "sales"], ascending=False)
        return typed_columns(
            chosen.assign(on_growth_list=chosen["tier"].eq("growth")),
            {
                "customer_id": ("customer_id", "str"),
                "name": ("name", "str"),
                "on_growth_list": ("on_growth_list", "bool"),
                "score": ("composite", "float64"),
                "sales": ("sales", "float64"),
                "growth_pct": ("growth_pct", "float64"),
                "headroom_share": ("headroom_share", "float64"),
                "reason": ("reason", "str"),
            },
        )

    def movers_table(self) -> pd.DataFrame:
        """Customers that entered (risers) or left (fallers) the key list since last period."""
        columns = ["customer", "name", "movement", "previous tier", "current tier"]
        if self.previous is None:
            empty = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
            return empty.assign(
                **{c: pd.Series(dtype="float64") for c in ("previous sales", "sales", "growth")}
            )
        moved = movement.movers(self.previous.scored, self.current.scored)
        now = self.current.scored.set_index(self.current.scored["customer_id"].astype("str"))
        ids = moved["customer_id"]
        return pd.DataFrame(
            {
                "customer": ids,
                "name": moved["name"],
                "movement": moved["movement"],
                "previous tier": moved["previous_tier"],
                "current tier": moved["current_tier"],
                "previous sales": ids.map(now["previous_sales"]).astype("float64"),
                "sales": ids.map(now["sales"]).astype("float64"),
                "growth": ids.map(now["growth_pct"]).astype("float64"),
            }
        )

    def sensitivity_table(self) -> pd.DataFrame:
        """How many weight variants keep each customer key (see :func:`weight_sensitivity`)."""
        return readable_columns(
            self.sensitivity,
            {
                "customer_id": "customer",
                "name": "name",
                "composite": "score",
                "variants_key": "variants key",
                "variants": "variants",
                "share_key": "share key",
                "label": "label",
            },
        )

    def weights_table(self) -> pd.DataFrame:
        """Each criterion with the weight set, the weight used and why a criterion was left out."""
        asked = self.settings.normalised_weights
        used = self.current.weights
        dropped = self.current.dropped
        return pd.DataFrame(
            {
                "criterion": [c.replace("_", " ") for c in CRITERIA],
                "weight set": [asked.get(c, 0.0) for c in CRITERIA],
                "weight used": [used.get(c, 0.0) for c in CRITERIA],
                "note": [f"left out: {dropped[c]}" if c in dropped else "" for c in CRITERIA],
            }
        ).astype({"criterion": "str", "note": "str"})

    def settings_table(self) -> pd.DataFrame:
        """The screening rules in words (all text, so any table formatter shows them as they are)."""
        s = self.settings
        if s.key_accounts is not None:
            key_rule = f"{s.key_accounts}"
        else:
            key_rule = f"{s.key_share:.0%} of the buying customers, at least {s.key_min}, at most {s.key_max}"
        rows = [("Number of key accounts", key_rule)]
        for name, (label, kind) in SETTING_LABELS.items():
            value = getattr(s, name)
            if value is None:
                text = "no rule"
            elif kind == "percent":
                text = f"{value:.0%}"
            elif kind == "days":
                text = f"{value:g} days"
            elif kind == "money":
                text = f"{value:,.0f}"
            else:
                text = f"{value:g}"
            rows.append((label, text))
        return pd.DataFrame(rows, columns=["rule", "value"]).astype("str")

    def key_accounts_output(self) -> pd.DataFrame:
        """The key and growth accounts for the next stages (the ``key_accounts`` contract).

        One row per key or growth account, key accounts first: customer_id, name, tier ("key"
        or "growth"), rank (position within its tier by score, 1 = first), score (0 to 100),
        sales, gross_profit, margin (fraction), account_manager (from the team table, "" when
        none), reason; then screened_tier, overridden, sales_share, growth_pct, avg_days_late,
        late_share for reference.
        """
        scored = self.current.scored
        chosen = scored[scored["tier"].isin(["key", "growth"])].copy()
        chosen["tier_order"] = (chosen["tier"] != "key").astype("int64")
        chosen = chosen.sort_values(["tier_order", "composite", "sales"], ascending=[True, False, False])
        chosen["rank"] = chosen.groupby("tier").cumcount().add(1).astype("int64")
        managers = movement.account_managers(self.team)
        out = pd.DataFrame(
            {
                "customer_id": chosen["customer_id"].astype("str"),
                "name": chosen["name"].astype("str")
                if "name" in chosen
                else chosen["customer_id"].astype("str"),
                "tier": chosen["tier"].astype("str"),
                "rank": chosen["rank"],
                "score": chosen["composite"].astype("float64"),
                "sales": chosen["sales"].astype("float64"),
                "gross_profit": chosen["gross_profit"].astype("float64"),
                "margin": chosen["margin_pct"].astype("float64"),
                "account_manager": chosen["customer_id"].astype("str").map(managers).fillna("").astype("str"),
                "reason": chosen["reason"].astype("str"),
            }
        )
        extra = ["screened_tier", "overridden", "sales_share", "growth_pct", "avg_days_late", "late_share"]
        for column in extra:
            if column in chosen:
                out[column] = chosen[column].to_numpy()
        return out.reset_index(drop=True)

    def customer_tiers_output(self) -> pd.DataFrame:
        """Every customer with its tier (contract ``customer_tiers``), then all screening columns."""
        scored = self.current.scored
        front = pd.DataFrame(
            {
                "customer_id": scored["customer_id"].astype("str"),
                "name": scored["name"] if "name" in scored else scored["customer_id"],
                "tier": scored["tier"],
                "score": scored["composite"],
                "sales": scored["sales"],
                "reason": scored["reason"],
            }
        )
        rest = scored.drop(columns=[c for c in [*front.columns, "composite"] if c in scored.columns])
        return pd.concat([front, rest], axis=1).reset_index(drop=True)


def screen_client(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    start_month: int,
    period: int,
    settings: ScreeningSettings | None = None,
    overrides: pd.DataFrame | None = None,
    sensitivity_step: float = 0.2,
    data_end: pd.Timestamp | None = None,
) -> ScreeningResult:
    """The whole screening stage: this period, last period on the same months, and what moved.

    Screens ``period`` (:func:`screen_period`), then the previous period on the window shifted
    back a year when the data cover it, measures the sensitivity of the key list to the weights,
    sets last period's key accounts that fell sharply aside as at risk, keeps the others that
    stay close to the list and caps the growth list at the team's spare capacity
    (:func:`~kamtools.stages.screening.selection.final_tiers`), applies the workshop's
    overrides, and tests the final key list against ±``sensitivity_step`` weight changes.

    Parameters
    ----------
    tables : mapping
        Contract tables by name (see :func:`screen_period`; "team" is used for capacity).
    start_month : int
        First month of the fiscal year.
    period : int
        The period to screen.
    settings : ScreeningSettings, optional
        Rules; defaults when omitted.
    overrides : pandas.DataFrame, optional
        customer_id, tier, reason, decided_by (see :func:`apply_overrides`).
    sensitivity_step : float
        Relative change of each weight in :func:`weight_sensitivity`.
    data_end : pandas.Timestamp, optional
        Where the client's export ends (``periods.data_end`` of client.yml), for the
        completeness rule of :func:`~kamtools.periods.comparison_window`.

    Returns
    -------
    ScreeningResult
    """
    settings = settings or ScreeningSettings()
    sales = screening_sales(tables)
    window = period_window(sales, start_month=start_month, period=period, data_end=data_end)
    before_window = window.shifted(1)
    dates = pd.to_datetime(sales["invoice_date"])
    windows = [window]
    if dates.between(before_window.current_start, before_window.current_end).any():
        windows.append(before_window)
    # Both periods' metrics from one pass over the invoice lines, their payments beside it.
    measures = period_measures(tables, windows=windows, settings=settings)
    screened = [
        screen_period(
            tables, start_month=start_month, window=each, settings=settings, metrics=found, payments=paid
        )
        for each, (found, paid) in zip(windows, measures, strict=True)
    ]
    current = screened[0]
    previous = screened[1] if len(screened) > 1 else None
    team = tables.get("team")
    capacity = (
        movement.team_capacity(team, manager_load=settings.manager_load)
        if team is not None and len(team)
        else None
    )
    final = final_tiers(
        current.scored,
        previous.scored if previous is not None else None,
        settings=settings,
        capacity=capacity,
    )
    applied = apply_overrides(final, overrides, max_overrides=settings.max_overrides)
    applied.attrs = dict(final.attrs)
    sensitivity = weight_sensitivity(applied, settings=settings, step=sensitivity_step)
    current = PeriodScreening(
        window=current.window,
        metrics=current.metrics,
        payments=current.payments,
        qualitative=current.qualitative,
        scored=applied,
        weights=current.weights,
        dropped=current.dropped,
        history=current.history,
    )
    if overrides is None or len(overrides) == 0:
        overrides = pd.DataFrame(
            {c: pd.Series(dtype="str") for c in ("customer_id", "tier", "reason", "decided_by")}
        )
    return ScreeningResult(
        current=current,
        previous=previous,
        settings=settings,
        overrides=overrides,
        transitions=movement.tier_transitions(previous.scored, applied) if previous is not None else None,
        sensitivity=sensitivity,
        capacity=capacity,
        team=team,
    )
