"""The executive summary of the screening: the money first, then findings with next steps.

Everything here reads a :class:`~kamtools.stages.screening.narrative.ScreeningResult` and
returns sentences or small tables for the first screen of the report (and the pack's cover):
totals and the change from last period, how much of it the largest movers made, the money in
each tier, the accounts to review by cause, the accounts at risk, and three to five findings,
each with a title that says what it means and a next step. Every figure is computed once here
and reused, so a number never has two values in one report. Without cost data no sentence
mentions gross profit or margin.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamtools.analytics import is_buying
from kamtools.analytics.concentration import pareto_share
from kamtools.formatting import and_joined, count_text, money_text, percent_text
from kamtools.stages.screening.movement import account_managers
from kamtools.stages.screening.settings import TIER_LABELS

if TYPE_CHECKING:
    from kamtools.stages.screening.narrative import ScreeningResult

__all__ = [
    "GLOSSARY",
    "REVIEW_CAUSES",
    "Finding",
    "at_risk_table",
    "concentration_intro",
    "cost_note",
    "executive_summary",
    "findings",
    "findings_html",
    "glossary_table",
    "headline",
    "largest_movers",
    "method_text",
    "review_by_cause",
    "tier_money_table",
]

REVIEW_CAUSES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "loss-making": ("sold below cost", ("margin",)),
    "price-pressed": ("margin under half that of customers their size", ("price_pressed",)),
    "late payers": ("paying late or over their credit limit", ("days_late", "late_share", "credit_use")),
    "cost to serve": ("costing more to serve than they earn", ("contribution",)),
    "no net sales": ("credit notes only, no positive net sales", ("sales",)),
}
"""The causes a customer is kept off the key list for, in the order a customer failing several
is counted under (so the counts and amounts add up): label to (description, gate keys)."""

GLOSSARY: Mapping[str, str] = {
    "key account": "A customer that makes a large share of your sales and gross profit and passes the"
    " qualitative screens; it gets an account manager and a plan.",
    "growth account": "A customer that is not key yet, whose sales did not fall, and that grows on a"
    " meaningful base, buys most of its needs elsewhere, or scored strongly in the workshop.",
    "at risk": "A key account of last period whose sales fell sharply or stopped: it needs a retention"
    " call before any growth plan.",
    "gross profit": "Net sales minus the cost of the goods sold; margin is gross profit as a share of sales.",
    "price-pressed": "A customer earning less than half the margin that customers of its size earn.",
    "contribution": "Gross profit minus the cost of serving the customer (orders, deliveries, visits,"
    " returns).",
    "cost to serve": "What orders, deliveries, visits and returns for a customer cost the dealer.",
    "score": "0 to 100: sales and gross profit in money weigh 65%, margin against similar-sized"
    " customers, payment, growth, purchase history and workshop scores the rest.",
    "sales rank": "A customer's position among all buying customers by sales (1 = largest).",
    "Pareto curve": "Customers ranked by sales against the share of sales they make together (the 80/20"
    " rule).",
    "Gini coefficient": "0 when every customer buys the same, close to 1 when one customer buys everything.",
    "whale curve": "Cumulative profit of customers ranked from most to least profitable: the hump above"
    " 100% is what the unprofitable customers cost.",
    "computed ABC": "A, B and C classes cut where your own sales curve bends (Ultsch and Lötsch),"
    " instead of at a fixed 80/15/5.",
    "share of wallet": "Your sales to a customer as a share of what it buys from all suppliers in your"
    " categories.",
    "headroom": "The share of a customer's wallet still bought from competitors.",
    "retention band": "Last period's key accounts stay on the list while they rank just below it, so the"
    " list does not swap accounts over a point of score.",
    "robustness": "Whether an account stays key when each weight is moved 20% up or down.",
}
"""One line for every technical term the screening report uses."""


@dataclass(frozen=True)
class Finding:
    """One finding of the executive summary.

    Attributes
    ----------
    title : str
        What it means, with the money ("Seven former key accounts are at risk: €2.1m less").
    text : str
        The evidence in one or two sentences.
    next_step : str
        What to do, and with whom.
    """

    title: str
    text: str
    next_step: str


def _buying(result: ScreeningResult) -> pd.DataFrame:
    scored = result.current.scored
    return scored[is_buying(scored)]


def _margin_known(result: ScreeningResult) -> bool:
    return bool(result.current.scored["gross_profit"].notna().any())


def _names(
    frame: pd.DataFrame, n: int, currency: str, column: str, *, managers: pd.Series | None = None
) -> str:
    """ "A (€1.2m), B (€0.9m) and C (€0.5m)": the first ``n`` rows with their amount."""
    parts = []
    for _, row in frame.head(n).iterrows():
        manager = ""
        if managers is not None and row["customer_id"] in managers.index:
            manager = f", {managers[row['customer_id']]}"
        parts.append(f"{row['name']} ({money_text(row[column], currency)}{manager})")
    return and_joined(parts)


def _change(now: float, before: float, currency: str) -> str:
    """ "€3.2m (4.2%) less than" / "more than"."""
    diff = now - before
    word = "more" if diff >= 0 else "less"
    share = f" ({percent_text(abs(diff) / before, 1)})" if before > 0 else ""
    return f"{money_text(abs(diff), currency)}{share} {word} than"


def largest_movers(result: ScreeningResult, *, n: int = 5) -> pd.DataFrame:
    """The customers whose sales changed most in money since last period.

    Returns
    -------
    pandas.DataFrame
        customer_id, name, previous_sales, sales, change (sales − previous), share_of_change
        (change / the total change of all customers, same sign: how much of the decline or
        growth this customer made), tier; the ``n`` largest absolute changes in the direction
        of the total change, largest first. Empty without a previous period.
    """
    columns = ["customer_id", "name", "previous_sales", "sales", "change", "share_of_change", "tier"]
    if result.previous is None:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    scored = result.current.scored
    frame = scored[(scored["sales"] != 0) | (scored["previous_sales"] != 0)]
    change = frame["sales"] - frame["previous_sales"]
    total = float(change.sum())
    direction = -1.0 if total < 0 else 1.0
    out = frame.assign(change=change, share_of_change=change / total if total else np.nan)
    out = out[out["change"] * direction > 0].sort_values("change", ascending=direction < 0).head(n)
    return out[columns].reset_index(drop=True)


def tier_money_table(result: ScreeningResult) -> pd.DataFrame:
    """Customers and money in each tier: tier, customers, sales, share of sales, gross profit.

    Buying customers only (the lost ones bought nothing this period); gross profit is left out
    without cost data. A total row closes the table.
    """
    buying = _buying(result)
    total = float(buying["sales"].sum())
    rows = []
    for tier in ("key", "growth", "at_risk", "maintain", "review"):
        members = buying[buying["tier"] == tier]
        rows.append(
            {
                "tier": TIER_LABELS[tier],
                "customers": len(members),
                "sales": float(members["sales"].sum()),
                "share of sales": float(members["sales"].sum()) / total if total else np.nan,
                "gross profit": float(members["gross_profit"].sum(min_count=1)),
            }
        )
    rows.append(
        {
            "tier": "all buying customers",
            "customers": len(buying),
            "sales": total,
            "share of sales": 1.0 if total else np.nan,
            "gross profit": float(buying["gross_profit"].sum(min_count=1)),
        }
    )
    out = pd.DataFrame(rows).astype({"tier": "str", "customers": "int64"})
    return out if _margin_known(result) else out.drop(columns=["gross profit"])


def review_by_cause(result: ScreeningResult) -> pd.DataFrame:
    """The customers kept off the key list, by cause, sized in money.

    A customer failing several rules is counted once, under the first cause of
    :data:`REVIEW_CAUSES`, so the rows add up to the review tier.

    Returns
    -------
    pandas.DataFrame
        cause, description, customers, sales, at stake (the money of the cause: the loss for
        loss-making customers, the gross profit they would earn at their peers' margin for
        price-pressed ones, the overdue amount of late payers, the contribution shortfall of
        customers costing more to serve than they earn), largest (the largest customer of the
        cause with its sales). Causes without customers are left out.
    """
    review = _buying(result)
    review = review[review["tier"] == "review"]
    failed = review["failed_gates"].fillna("").astype("str").str.split(";")
    remaining = pd.Series(True, index=review.index)
    rows = []
    for cause, (description, gates) in REVIEW_CAUSES.items():
        members = remaining & failed.map(lambda keys, gates=gates: any(k in gates for k in keys))
        group = review[members]
        remaining &= ~members
        if group.empty:
            continue
        if cause == "loss-making":
            stake = -group["gross_profit"].clip(upper=0).sum()
        elif cause == "price-pressed":
            stake = ((group["peer_margin"] - group["margin_pct"]) * group["sales"]).sum()
        elif cause == "late payers":
            stake = group["open_overdue_amount"].sum(min_count=1)
        elif cause == "cost to serve":
            stake = -group["contribution"].clip(upper=0).sum()
        else:
            stake = np.nan
        largest = group.sort_values("sales", ascending=False).iloc[0]
        rows.append(
            {
                "cause": cause,
                "description": description,
                "customers": len(group),
                "sales": float(group["sales"].sum()),
                "at stake": float(stake) if pd.notna(stake) else np.nan,
                "largest": str(largest["name"]),
                "largest sales": float(largest["sales"]),
            }
        )
    columns = ["cause", "description", "customers", "sales", "at stake", "largest", "largest sales"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"cause": "str", "description": "str", "customers": "int64", "largest": "str"})


def at_risk_table(result: ScreeningResult) -> pd.DataFrame:
    """Last period's key accounts whose sales fell sharply or stopped, with the sales lost.

    Returns
    -------
    pandas.DataFrame
        customer, name, previous sales, sales, sales lost, now (tier this period, "lost" when it
        bought nothing), account manager; largest loss first.
    """
    scored = result.current.scored
    risk = scored[scored["at_risk"]] if "at_risk" in scored else scored.iloc[0:0]
    risk = risk.sort_values("sales_lost", ascending=False)
    managers = account_managers(result.team)
    now = np.where(is_buying(risk), risk["tier"].map(TIER_LABELS).fillna(risk["tier"]), "lost")
    return pd.DataFrame(
        {
            "customer": risk["customer_id"].astype("str"),
            "name": risk["name"].astype("str"),
            "previous sales": risk["previous_sales"].astype("float64"),
            "sales": risk["sales"].astype("float64"),
            "sales lost": risk["sales_lost"].astype("float64"),
            "now": pd.Series(now, index=risk.index, dtype="str"),
            "account manager": risk["customer_id"].astype("str").map(managers).fillna("").astype("str"),
        }
    ).reset_index(drop=True)


def cost_note(result: ScreeningResult) -> str | None:
    """The one sentence that says what cannot be shown without cost data (None with costs)."""
    if _margin_known(result):
        return None
    rests = ["sales", "purchase history"]
    if "payment" in result.current.weights:
        rests.append("payment")
    if "growth" in result.current.weights:
        rests.append("growth")
    return (
        "Costs were not provided, so gross profit and margins cannot be shown: there is no whale"
        " curve and no sales-and-margin chart, and the key list rests on " + and_joined(rests) + "."
    )


def headline(result: ScreeningResult, *, currency: str) -> str:
    """One sentence with the money: the report's first line and the pack's cover line."""
    buying = _buying(result)
    window = result.current.window
    total = float(result.current.scored["sales"].sum())
    text = f"Sales {money_text(total, currency)} in {window.current}"
    if result.previous is not None:
        before = float(result.current.scored["previous_sales"].sum())
        text += f", {_change(total, before, currency)} in {window.previous}"
    sales = float(buying["sales"].sum())
    key = buying[buying["tier"] == "key"]
    text += (
        f"; {count_text(len(key), 'key account makes', 'key accounts make')}"
        f" {percent_text(key['sales'].sum() / sales if sales else np.nan)}"
        f" ({money_text(key['sales'].sum(), currency)})"
    )
    risk = result.current.scored.get("at_risk")
    if risk is not None and risk.any():
        lost = float(result.current.scored.loc[risk, "sales_lost"].sum())
        text += f", {int(risk.sum())} at risk ({money_text(lost, currency)} less)"
    growth = int((buying["tier"] == "growth").sum())
    return text + f", {count_text(growth, 'growth account', 'growth accounts')}."


def executive_summary(result: ScreeningResult, *, currency: str) -> list[str]:
    """The opening paragraph: totals, change, the largest movers, lost customers, money by tier."""
    scored = result.current.scored
    window = result.current.window
    sales = float(scored["sales"].sum())
    out = []
    known = _margin_known(result)
    profit = float(scored["gross_profit"].sum(min_count=1)) if known else np.nan
    first = f"Sales were {money_text(sales, currency)} in {window.current}"
    if result.previous is not None:
        before = float(scored["previous_sales"].sum())
        first += f", {_change(sales, before, currency)} in {window.previous}"
    if known:
        first += f"; gross profit {money_text(profit, currency)} ({percent_text(profit / sales)} of sales)"
        if result.previous is not None:
            before_profit = float(scored["previous_gross_profit"].sum(min_count=1))
            first += f", {_change(profit, before_profit, currency)} in {window.previous}"
    out.append(first + ".")
    movers = largest_movers(result, n=3)
    if len(movers):
        total = float((scored["sales"] - scored["previous_sales"]).sum())
        word = "decline" if total < 0 else "growth"
        top = movers.iloc[0]
        how = "less" if top["change"] < 0 else "more"
        sentence = (
            f"{top['name']} bought {money_text(abs(top['change']), currency)} {how}:"
            f" {percent_text(top['share_of_change'])} of this year's {word}"
        )
        share = movers["share_of_change"].sum()
        if len(movers) > 1 and share <= 1:
            sentence += f"; the {len(movers)} largest movers together made {percent_text(share)} of it"
        out.append(sentence + ".")
    lost = scored[scored["status"] == "lost"]
    if len(lost):
        out.append(
            f"{count_text(len(lost), 'customer', 'customers')} who bought"
            f" {money_text(lost['previous_sales'].sum(), currency)} in {window.previous} bought nothing in"
            f" {window.current}."
        )
    tiers = tier_money_table(result).set_index("tier")
    parts = []
    for tier in ("key", "growth", "at_risk", "review"):
        label = TIER_LABELS[tier]
        row = tiers.loc[label]
        if row["customers"]:
            name = {
                "key": "key accounts",
                "growth": "growth accounts",
                "at_risk": "at risk",
                "review": "to review",
            }
            parts.append(f"{money_text(row['sales'], currency)} with {int(row['customers']):,} {name[tier]}")
    if parts:
        out.append("Of this year's sales, " + "; ".join(parts) + ".")
    return out


def findings(result: ScreeningResult, *, currency: str, limit: int = 5) -> list[Finding]:
    """Three to five findings, most important first, each with a next step.

    In order: the key accounts, the former key accounts at risk, the largest single decline
    (when it is not already among those at risk), the customers failing a rule, the growth
    accounts; concentration and missing-data findings fill up to three.
    """
    buying = _buying(result)
    managers = account_managers(result.team)
    risk_table = at_risk_table(result)
    found = [
        _key_account_finding(result, buying, currency=currency),
        _at_risk_finding(risk_table, managers, currency=currency),
        _largest_decline_finding(result, risk_table, managers, currency=currency),
        _review_finding(result, currency=currency),
        _growth_finding(result, buying, currency=currency),
    ]
    out = [f for f in found if f is not None]
    if len(out) < 3:
        out += _context_findings(result, currency=currency)
    return out[:limit]


def _key_account_finding(result: ScreeningResult, buying: pd.DataFrame, *, currency: str) -> Finding | None:
    """The share of sales (and gross profit) the key accounts make, with the largest named."""
    key = buying[buying["tier"] == "key"].sort_values("sales", ascending=False)
    if not len(key):
        return None
    share = key["sales"].sum() / float(buying["sales"].sum())
    makes = count_text(len(key), "key account makes", "key accounts make")
    title = f"{makes} {percent_text(share)} of your sales"
    if _margin_known(result):
        total_profit = buying["gross_profit"].sum()
        title += f" and {percent_text(key['gross_profit'].sum() / total_profit)} of gross profit"
    text = f"The largest are {_names(key, 3, currency, 'sales')}."
    capacity = (
        f" The account managers can serve about {result.capacity:,}." if result.capacity is not None else ""
    )
    return Finding(
        title=title,
        text=text + capacity,
        next_step="Take the key accounts into the needs analysis (stage 2) with their account managers.",
    )


def _at_risk_finding(risk_table: pd.DataFrame, managers: pd.Series, *, currency: str) -> Finding | None:
    """The former key accounts at risk (``risk_table`` from :func:`at_risk_table`) and the sales lost."""
    if not len(risk_table):
        return None
    lost = risk_table["sales lost"].sum()
    title = (
        f"{count_text(len(risk_table), 'former key account is', 'former key accounts are')} at risk:"
        f" {money_text(lost, currency)} less than last period"
    )
    named = risk_table.rename(columns={"customer": "customer_id", "sales lost": "lost"})
    return Finding(
        title=title,
        text=f"The largest losses: {_names(named, 3, currency, 'lost', managers=managers)}.",
        next_step="Book a retention call with each before the next order season, led by its account"
        " manager; ask why they buy less and what would win the volume back.",
    )


def _largest_decline_finding(
    result: ScreeningResult, risk_table: pd.DataFrame, managers: pd.Series, *, currency: str
) -> Finding | None:
    """The customer that bought most less, unless it is already among the accounts at risk."""
    movers = largest_movers(result, n=1)
    if not (len(movers) and movers.iloc[0]["change"] < 0):
        return None
    top = movers.iloc[0]
    if len(risk_table) and top["customer_id"] in set(risk_table["customer"]):
        return None
    manager = managers.get(top["customer_id"], "")
    who = f" with {manager}" if manager else ""
    return Finding(
        title=f"{top['name']} bought {money_text(-top['change'], currency)} less:"
        f" {percent_text(top['share_of_change'])} of the decline",
        text=f"It bought {money_text(top['previous_sales'], currency)} last period and"
        f" {money_text(top['sales'], currency)} this period.",
        next_step=f"Book a review meeting{who} before the next orders: what changed, and what it"
        " needs from you.",
    )


_CAUSE_STAKES: Mapping[str, str] = {
    "loss-making": "lost",
    "price-pressed": "below their peers' margin",
    "late payers": "overdue",
    "cost to serve": "more cost than they earn",
}
"""What the money "at stake" of a review cause is, in the findings' words."""


def _review_finding(result: ScreeningResult, *, currency: str) -> Finding | None:
    """The customers failing a hard rule, by cause, with the sales (and money) at stake."""
    causes = review_by_cause(result)
    causes = causes[causes["cause"] != "no net sales"]  # credit notes only: no money to act on
    if not len(causes):
        return None
    known = _margin_known(result)
    parts = []
    for _, row in causes.iterrows():
        stake = ""
        if pd.notna(row["at stake"]) and row["at stake"] > 0 and (known or row["cause"] == "late payers"):
            stake = f", {money_text(row['at stake'], currency)} {_CAUSE_STAKES.get(row['cause'], '')}"
        singular, plural = _CAUSE_NOUNS.get(row["cause"], (row["cause"], row["cause"]))
        who = count_text(int(row["customers"]), singular, plural)
        parts.append(f"{who} ({money_text(row['sales'], currency)} of sales{stake})")
    total = int(causes["customers"].sum())
    return Finding(
        title=f"{count_text(total, 'customer fails', 'customers fail')} a rule:"
        f" {money_text(causes['sales'].sum(), currency)} of sales to review",
        text="By cause: " + "; ".join(parts) + ".",
        next_step=_review_steps(causes),
    )


def _growth_finding(result: ScreeningResult, buying: pd.DataFrame, *, currency: str) -> Finding | None:
    """The growth accounts that could become key accounts, and how many more show a signal."""
    growth = buying[buying["tier"] == "growth"].sort_values("composite", ascending=False)
    if not len(growth):
        return None
    signals = int(result.current.scored.get("growth_signal", pd.Series(dtype=bool)).sum())
    more = signals - len(growth)
    rest = f"; {more:,} more customers show a growth signal (all in the workbook)" if more > 0 else ""
    return Finding(
        title=f"{count_text(len(growth), 'growth account', 'growth accounts')}"
        f" ({money_text(growth['sales'].sum(), currency)} of sales) could become key accounts",
        text=f"First on the list: {_names(growth, 3, currency, 'sales')}{rest}.",
        next_step="Give each an account manager and include the first ones in the needs analysis.",
    )


def _context_findings(result: ScreeningResult, *, currency: str) -> list[Finding]:
    """Findings on concentration and on what the data lack, when the lists give fewer than three."""
    out = []
    sentence = result.concentration_sentence()
    if sentence:
        base = result.concentration_base
        makers = round(float(pareto_share(base)) * len(base))
        out.append(
            Finding(
                title=f"{makers:,} customers make 80% of your sales",
                text=sentence,
                next_step=f"Give each of the {makers:,} a named contact at your company; the key accounts"
                " among them get an account manager.",
            )
        )
    if result.previous is None:
        out.append(
            Finding(
                title="Last year's sales are missing, so growth and accounts at risk cannot be shown",
                text="Without the previous period no customer can be called growing or shrinking, and last"
                " year's key accounts are unknown.",
                next_step="Ask for the export of the previous year and run the screening again.",
            )
        )
    return out


_CAUSE_NOUNS: Mapping[str, tuple[str, str]] = {
    "loss-making": ("loss-making account", "loss-making accounts"),
    "price-pressed": ("price-pressed account", "price-pressed accounts"),
    "late payers": ("late payer", "late payers"),
    "cost to serve": ("account costing more to serve", "accounts costing more to serve"),
}


def _review_steps(causes: pd.DataFrame) -> str:
    steps = {
        "loss-making": "reprice or stop the loss-making lines",
        "price-pressed": "renegotiate prices and terms with the price-pressed accounts",
        "late payers": "hand the late payers to credit control",
        "cost to serve": "serve the small accounts that cost more than they earn through inside sales or a"
        " minimum order",
    }
    chosen = [steps[c] for c in causes["cause"] if c in steps]
    if not chosen:
        return "Check these customers with sales and credit control."
    text = "; ".join(chosen)
    return text[0].upper() + text[1:] + "."


def glossary_table(terms: Mapping[str, str] = GLOSSARY) -> pd.DataFrame:
    """The glossary as a two-column table: term, meaning."""
    return pd.DataFrame({"term": list(terms), "meaning": list(terms.values())}).astype("str")


def findings_html(items: list[Finding]) -> str:
    """The findings as an ordered HTML list: title in bold, evidence, next step; all escaped."""
    rows = "".join(
        f"<li><strong>{html.escape(f.title)}.</strong> {html.escape(f.text)}"
        f" <em>Next step:</em> {html.escape(f.next_step)}</li>"
        for f in items
    )
    return f'<ol class="kam-findings">{rows}</ol>' if rows else ""


# --- "What we looked at": the method, in the words the data allow ---

SIZE_CRITERIA = ("sales", "gross_profit")


def method_text(result: ScreeningResult, *, currency: str) -> str:
    """The "What we looked at" paragraphs (Markdown) for this screening's criteria and data.

    Parameters
    ----------
    result : ScreeningResult
        The screening; its ``current.weights`` are the weights used (criteria the data lack
        are left out) and its ``current.scored`` tells whether gross profit is known.
    currency : str
        The client's currency (ISO code), for the worked example's amounts.

    Returns
    -------
    str
        Two Markdown paragraphs: the method, then a worked example of the size points.
    """
    weights = result.current.weights
    costs = _margin_known(result)
    size = sum(weights.get(c, 0.0) for c in SIZE_CRITERIA)
    size_words = "sales and gross profit in money" if costs else "sales in money"
    share = "sales and gross profit" if costs else "sales"
    others = []
    if costs and "margin" in weights:
        others.append(
            "the margin compared with the customers closest in size (large customers earn lower"
            " margins everywhere, so a large customer is never judged against the list-price"
            " margins of small ones)"
        )
    if "payment" in weights:
        others.append("payment behaviour")
    if "growth" in weights:
        others.append("growth (only on a meaningful base, so +3,000% from almost nothing does not count)")
    if "purchase_history" in weights:
        others.append("purchase history")
    if "management" in weights:
        others.append("management maturity, where the workshop scored it")
    rules = ["loss-making", "a margin under half that of customers their size"] if costs else []
    if "payment" in weights:
        rules.append("paying a month late")
    if costs:
        rules.append("costing more to serve than they earn")
    text = (
        f"Key accounts are the customers that make a large share of your {share} *and* pass the"
        f" qualitative screens. Size leads: {size_words} carry {percent_text(size)} of each"
        " customer's score. A customer as large as the last key-account place scores three"
        " quarters of the size points, your largest customer all of them, and a customer a"
        " quarter of that size none."
    )
    if others:
        text += f" The other {percent_text(1 - size)} order customers of similar size: {and_joined(others)}."
    if rules:
        text += (
            f" Customers who fail a hard rule ({', '.join(rules)}) cannot be key accounts whatever their"
            " size."
        )
    text += (
        " Last year's key accounts whose sales fell sharply go to a separate list of accounts at"
        " risk; customers whose sales fell are never growth accounts."
    )
    top, low, mid, small = (money_text(v, currency) for v in (282_000, 108_000, 190_000, 90_000))
    example = (
        f"*Worked example:* with 35 key places, suppose the 35th largest customer buys {top} and"
        f" the 140th (four times further down) {low}. A customer buying {mid} gets"
        f" 0.75 × log(190 / 108) / log(282 / 108) = 0.44 of the sales points; one buying {small}"
        " gets none."
    )
    if costs and "margin" in weights:
        example += (
            " If its margin is 24% where the 100 customers closest in size earn a median 22%, it"
            " scores above the middle on margin, however high small customers' margins are."
        )
    return text + "\n\n" + example


def concentration_intro(result: ScreeningResult) -> str:
    """The sentence above the concentration curve; gross profit only when it is known."""
    also = " (and of your gross profit)" if _margin_known(result) else ""
    return (
        "The curve ranks customers from the largest to the smallest and shows which share of your"
        f" sales{also} the largest customers make. The dotted line marks the 80/20 rule of thumb."
    )
