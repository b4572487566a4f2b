"""The plan development report in words and tables: totals first, then one page per account.

Everything a reader sees is computed here once from the :class:`~.planfile.Plan` (and the team
load), so the same figure reads the same in the executive summary, the portfolio table and the
account page. Sentences carry the money (house formatter, compact), tables carry raw numbers
that :func:`kamtools.tables.format_table` formats; every client string that goes into HTML is
escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamtools.formatting import and_joined, count_text, money_text, percent_text
from kamtools.stages.planning.planfile import AccountPlan, GoalFigures, Plan
from kamtools.stages.planning.settings import CONTACT_TYPES, PlanningSettings
from kamtools.stages.planning.swot import QUADRANTS

__all__ = [
    "PortfolioTotals",
    "account_actions_table",
    "account_contacts_table",
    "account_goals_table",
    "account_heading_html",
    "account_intro_html",
    "account_market_table",
    "account_sentences",
    "findings",
    "goals_overview_table",
    "growth_carriers",
    "heading_html",
    "portfolio_totals",
    "records_table",
    "section_titles",
    "settings_table",
    "summary",
    "swot_html",
]

QUADRANT_TITLES = {
    "strength": "Strengths",
    "weakness": "Weaknesses",
    "opportunity": "Opportunities",
    "threat": "Threats",
}


def _year(account: AccountPlan, metric: str) -> GoalFigures:
    goal = account.goals.get(metric)
    return goal.year if goal is not None else GoalFigures(None, None, None)


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(sum(known)) if known else None


@dataclass(frozen=True)
class PortfolioTotals:
    """The plan's totals over all accounts (money in the plan's currency)."""

    accounts: int
    baseline_sales: float
    plan_sales: float
    stretch_sales: float
    baseline_profit: float | None
    plan_profit: float | None
    stretch_profit: float | None
    wallet: float | None
    covered_sales: float | None  # baseline sales of the accounts with a wallet estimate

    @property
    def growth(self) -> float:
        return self.plan_sales - self.baseline_sales

    @property
    def growth_rate(self) -> float | None:
        return self.growth / self.baseline_sales if self.baseline_sales else None

    @property
    def share_of_wallet(self) -> float | None:
        return self.covered_sales / self.wallet if self.wallet else None


def portfolio_totals(plan: Plan) -> PortfolioTotals:
    """Sum the accounts' goals; share of wallet over the accounts that have a wallet estimate."""
    sales = [_year(a, "sales") for a in plan.accounts]
    profit = [_year(a, "gross_profit") for a in plan.accounts]
    with_wallet = [(a, s) for a, s in zip(plan.accounts, sales, strict=True) if a.market.get("wallet")]
    return PortfolioTotals(
        accounts=len(plan.accounts),
        baseline_sales=_sum([s.baseline for s in sales]) or 0.0,
        plan_sales=_sum([s.plan for s in sales]) or 0.0,
        stretch_sales=_sum([s.stretch for s in sales]) or 0.0,
        baseline_profit=_sum([p.baseline for p in profit]),
        plan_profit=_sum([p.plan for p in profit]),
        stretch_profit=_sum([p.stretch for p in profit]),
        wallet=_sum([float(a.market["wallet"]) for a, _ in with_wallet]),
        covered_sales=_sum([s.baseline for _, s in with_wallet]),
    )


def growth_carriers(plan: Plan, *, share: float = 0.5) -> pd.DataFrame:
    """The accounts that together carry ``share`` of the planned sales growth, largest first.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``name``, ``account_manager``, ``baseline``, ``plan``, ``growth`` and
        ``cumulative_share`` (of the total planned growth), every account with planned growth,
        plus ``carries`` True for the first accounts up to ``share``.
    """
    rows = []
    for account in plan.accounts:
        year = _year(account, "sales")
        if year.baseline is None or year.plan is None:
            continue
        rows.append(
            (
                account.customer_id,
                account.name,
                account.account_manager,
                year.baseline,
                year.plan,
                year.plan - year.baseline,
            )
        )
    frame = pd.DataFrame(
        rows, columns=["customer_id", "name", "account_manager", "baseline", "plan", "growth"]
    )
    frame = (
        frame.loc[frame["growth"] > 0]
        .sort_values("growth", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    total = frame["growth"].sum()
    frame["cumulative_share"] = frame["growth"].cumsum() / total if total > 0 else 0.0
    before = frame["cumulative_share"].shift(fill_value=0.0)
    frame["carries"] = before < share
    return frame


def _load_sentence(load_summary: pd.DataFrame, plan: Plan, settings: PlanningSettings) -> str:
    if load_summary.empty:
        return "No team member has an account or an action in the plan yet: name the account managers first."
    over = load_summary.loc[load_summary["months_overloaded"] > 0]
    if over.empty:
        return (
            "No team member is overloaded: nobody carries more than"
            f" {settings.max_accounts_per_member} accounts or runs more than"
            f" {settings.max_actions_per_member_month} actions at once in any month."
        )
    worst = over.iloc[0]
    managers = {a.account_manager for a in plan.accounts if a.account_manager}
    spare = load_summary.loc[
        load_summary["member"].isin(managers)
        & (load_summary["peak_accounts"] < settings.max_accounts_per_member)
    ].sort_values("peak_accounts", kind="stable")
    if len(spare):
        helper = spare.iloc[0]
        offer = f"; move accounts to {helper['member']}, who carries {int(helper['peak_accounts'])}"
    else:
        offer = "; stagger the actions or add a person to the team"
    ceilings = f"ceilings {settings.max_accounts_per_member} and {settings.max_actions_per_member_month}"
    return (
        f"{count_text(len(over), 'team member is', 'team members are')} overloaded under this plan:"
        f" {worst['member']} carries {int(worst['peak_accounts'])} accounts and runs up to"
        f" {int(worst['peak_actions'])} actions at once ({ceilings}){offer}."
    )


def findings(
    plan: Plan, load_summary: pd.DataFrame, *, settings: PlanningSettings | None = None
) -> list[str]:
    """The executive summary: total plan against last period, stretch, who carries the growth, load.

    Parameters
    ----------
    plan : Plan
        The plan (as saved).
    load_summary : pandas.DataFrame
        :func:`~kamtools.stages.planning.load.load_summary` of the plan's team load.
    settings : PlanningSettings, optional
        The load ceilings named in the sentences.
    """
    settings = settings or PlanningSettings()
    currency = plan.currency
    totals = portfolio_totals(plan)
    if not plan.accounts:
        return ["The plan has no accounts: the screening found no key or growth account to plan for."]
    out = [
        f"The plan for {plan.period} commits to {money_text(totals.plan_sales, currency)} of sales with your"
        f" {count_text(totals.accounts, 'key and growth account', 'key and growth accounts')},"
        f" {money_text(totals.growth, currency)} ({percent_text(totals.growth_rate)}) more than the"
        f" {money_text(totals.baseline_sales, currency)} they bought in {plan.baseline_period};"
        f" the stretch goal is {money_text(totals.stretch_sales, currency)}."
    ]
    carriers = growth_carriers(plan)
    lead = carriers.loc[carriers["carries"]]
    if len(lead):
        managers = sorted({m for m in lead["account_manager"] if m})
        who = f" with {and_joined(managers)}" if managers else ""
        named = [f"{r.name} ({money_text(r.growth, currency)})" for r in lead.head(5).itertuples(index=False)]
        if len(lead) > 5:
            named.append(count_text(len(lead) - 5, "other", "others"))
        out.append(
            f"{count_text(len(lead), 'account carries', 'accounts carry')} half of the planned growth:"
            f" {and_joined(named)}. Agree these plans first{who}, before the first quarter starts."
        )
    if totals.plan_profit is not None and totals.baseline_profit is not None:
        out.append(
            f"At each account's current margin the plan earns {money_text(totals.plan_profit, currency)}"
            f" gross profit, {money_text(totals.plan_profit - totals.baseline_profit, currency)} more than"
            f" in {plan.baseline_period}."
        )
    if totals.share_of_wallet is not None and totals.wallet:
        out.append(
            f"You hold {percent_text(totals.share_of_wallet)} of these accounts' estimated purchases in"
            f" your categories ({money_text(totals.wallet, currency)} a year):"
            f" {money_text(totals.wallet - totals.covered_sales, currency)} still goes to competitors,"
            " the headroom the plan draws on."
        )
    out.append(_load_sentence(load_summary, plan, settings))
    return out


def summary(plan: Plan) -> str:
    """One line for the report pack's cover."""
    totals = portfolio_totals(plan)
    if not plan.accounts:
        return "No key accounts to plan for."
    return (
        f"Plan {plan.period}: {money_text(totals.plan_sales, plan.currency)} of sales"
        f" ({'+' if totals.growth >= 0 else ''}{percent_text(totals.growth_rate)} on {plan.baseline_period}),"
        f" stretch {money_text(totals.stretch_sales, plan.currency)},"
        f" {count_text(totals.accounts, 'account', 'accounts')}."
    )


def goals_overview_table(plan: Plan) -> pd.DataFrame:
    """One row per account: last period, plan, growth, stretch, share of wallet now and planned."""
    rows = []
    for account in plan.accounts:
        sales, share = _year(account, "sales"), _year(account, "share_of_wallet")
        base, goal = sales.baseline, sales.plan
        rows.append(
            {
                "account": account.name,
                "tier": account.tier,
                "account manager": account.account_manager or "not named",
                "last period": base,
                "plan": goal,
                "growth": (goal / base - 1) if base and goal is not None else None,
                "stretch": sales.stretch,
                "share of wallet": share.baseline,
                "planned share": share.plan,
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("last period", "plan", "growth", "stretch", "share of wallet", "planned share"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def account_heading_html(account: AccountPlan, *, currency: str) -> str:
    """The account page's title, with its message: the planned change in money (escaped).

    An ``h4.kam-account``: each account starts a new printed page, and the 45 account titles stay
    out of the report's table of contents so the executive summary keeps the first screen.
    """
    sales = _year(account, "sales")
    if sales.baseline is not None and sales.plan is not None:
        change = sales.plan - sales.baseline
        verb = "grow by" if change >= 0 else "shrink by"
        text = (
            f"{account.name}: {verb} {money_text(abs(change), currency)}"
            f" to {money_text(sales.plan, currency)}, stretch {money_text(sales.stretch, currency)}"
        )
    else:
        text = account.name
    # h4.kam-account: a new page in print, kept out of the table of contents (report.css).
    return f'<h4 class="kam-account">{html.escape(text)}</h4>'


def account_intro_html(account: AccountPlan, *, currency: str, baseline_period: int) -> str:
    """The account page's opening paragraph (escaped)."""
    text = " ".join(account_sentences(account, currency=currency, baseline_period=baseline_period))
    return f"<p>{html.escape(text)}</p>"


def account_sentences(account: AccountPlan, *, currency: str, baseline_period: int) -> list[str]:
    """The account page's opening: who serves whom, last period, wallet and share, the plan's ask."""
    sales, profit = _year(account, "sales"), _year(account, "gross_profit")
    manager = account.account_manager or "no account manager yet (name one)"
    counterpart = account.counterpart or "a counterpart still to be named"
    out = [
        f"{'Key' if account.tier == 'key' else 'Growth'} account, served by {manager}; at the account:"
        f" {counterpart}."
    ]
    if sales.baseline is not None:
        text = f"It bought {money_text(sales.baseline, currency)} in {baseline_period}"
        if profit.baseline is not None and sales.baseline:
            text += f" at a gross margin of {percent_text(profit.baseline / sales.baseline)}"
        wallet = account.market.get("wallet")
        if wallet:
            text += (
                f"; of its estimated {money_text(wallet, currency)} a year in our categories we hold"
                f" {percent_text(account.market.get('share_of_wallet'))}"
            )
        out.append(text + ".")
    return out


def account_goals_table(
    account: AccountPlan,
    stages: list[str],
    *,
    metrics: tuple[str, ...] = ("sales", "gross_profit", "share_of_wallet"),
    known_year: bool = False,
) -> pd.DataFrame:
    """Goals by stage: rows "Sales, last period", "Sales, plan", ..., columns the stages and "year".

    ``metrics`` picks the rows, so that money and shares go to tables formatted apart;
    ``known_year`` keeps only the rows with a year figure (the rows ``dropna(subset=["year"])``
    keeps, with their index, at a fraction of its cost: the report asks for it per account).
    """
    rows = []
    labels = {"sales": "Sales", "gross_profit": "Gross profit", "share_of_wallet": "Share of wallet"}
    for metric, label in labels.items():
        goal = account.goals.get(metric) if metric in metrics else None
        if goal is None:
            continue
        for figure, name in (("baseline", "last period"), ("plan", "plan"), ("stretch", "stretch")):
            row = {"goal": f"{label}, {name}"}
            for stage in stages:
                values = goal.stages.get(stage)
                row[stage] = getattr(values, figure) if values is not None else None
            row["year"] = getattr(goal.year, figure)
            rows.append(row)
    frame = records_table(rows, ["goal", *stages, "year"], numeric=[*stages, "year"])
    return frame.loc[frame["year"].notna()] if known_year else frame


def account_actions_table(account: AccountPlan) -> pd.DataFrame:
    """The account's actions as the report shows them (dates as dates, no internal ids)."""
    return records_table(
        [
            {
                "action": a.title,
                "owner": a.owner or "not assigned",
                "with": a.counterpart,
                "start": pd.Timestamp(a.start),
                "due": pd.Timestamp(a.due),
                "expected effect": a.expected_effect,
                "status": a.status,
            }
            for a in account.actions
        ],
        ["action", "owner", "with", "start", "due", "expected effect", "status"],
    )


def account_contacts_table(account: AccountPlan) -> pd.DataFrame:
    """The contact plan: per contact type, per quarter and per year, with whom."""
    rows = [
        {
            "contact": kind,
            "per quarter": int(account.contacts.get(kind, 0)),
            "per year": 4 * int(account.contacts.get(kind, 0)),
            "by": account.account_manager or "not named",
            "with": account.counterpart or "not named",
        }
        for kind in CONTACT_TYPES
    ]
    return records_table(rows, ["contact", "per quarter", "per year", "by", "with"])


def account_market_table(account: AccountPlan) -> pd.DataFrame:
    """The account's category gaps (white space and under-bought categories) with their worth."""
    gaps = account.market.get("white_space") or []
    return records_table(
        [
            {
                "category": g.get("category"),
                "gap": g.get("gap"),
                "peers buying it": g.get("peer_penetration"),
                "worth at peers' mix": g.get("opportunity"),
            }
            for g in gaps
        ],
        ["category", "gap", "peers buying it", "worth at peers' mix"],
        numeric=["peers buying it", "worth at peers' mix"],
    )


def records_table(
    rows: list[dict[str, Any]], columns: list[str], *, numeric: Sequence[str] = ()
) -> pd.DataFrame:
    """The frame ``pd.DataFrame(rows, columns=columns)`` with ``numeric`` columns ``pd.to_numeric``.

    Why: the report builds five small tables per account; pandas' inference over a list of
    dicts and a ``to_numeric`` per column cost more than the tables. Columns of one plain type
    each (text, whole numbers, timestamps; numbers or None for ``numeric``) are built as typed
    columns, which gives the same frame (tests/test_planning_fast_paths.py); anything else,
    and a table without rows, takes the plain route.
    """
    values = {c: [r.get(c) for r in rows] for c in columns}
    if not rows or not all(_typed(values[c], c in numeric) for c in columns):
        frame = pd.DataFrame(rows, columns=columns)
        for column in numeric:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame
    data = {
        c: np.array([np.nan if v is None else v for v in values[c]], dtype="float64")
        if c in numeric
        else values[c]
        for c in columns
    }
    return pd.DataFrame(data, columns=columns)


def _typed(values: list[Any], numeric: bool) -> bool:
    """Whether a column's values are of one plain type the typed route builds like pandas' inference."""
    if numeric:
        return all(v is None or type(v) is float for v in values) and any(v is not None for v in values)
    kind = type(values[0])
    return kind in (str, int, pd.Timestamp) and all(type(v) is kind for v in values)


def swot_html(account: AccountPlan) -> str:
    """The SWOT as a table of four short lists (one row per quadrant, wrapping); every item escaped."""
    rows = []
    for quadrant in QUADRANTS:
        items = account.swot.get(quadrant, ())
        empty = (
            "Not assessed: the needs analysis scores the key accounts."
            if quadrant in ("strength", "weakness") and account.tier != "key"
            else "None recorded yet."
        )
        body = "".join(f"<li>{html.escape(i)}</li>" for i in items) or f"<li>{empty}</li>"
        rows.append(
            f'<tr><th>{QUADRANT_TITLES[quadrant]}</th><td class="kam-prose"><ul>{body}</ul></td></tr>'
        )
    return (
        f'<table class="kam-table kam-swot"><caption>SWOT: {html.escape(account.name)}</caption>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def heading_html(text: str, *, level: int = 2) -> str:
    """A section heading whose text says the message (escaped; it may name clients)."""
    return f"<h{level}>{html.escape(text)}</h{level}>"


def section_titles(
    plan: Plan, load_summary: pd.DataFrame, *, settings: PlanningSettings | None = None
) -> dict[str, str]:
    """Message titles of the portfolio sections: stages, growth, load, timeline.

    Returns
    -------
    dict of str to str
        ``stages`` (the plan against last period by stage), ``growth`` (who carries it),
        ``load`` (who is overloaded), ``timeline`` (when the actions run).
    """
    settings = settings or PlanningSettings()
    currency = plan.currency
    totals = portfolio_totals(plan)
    by_stage = {}
    for account in plan.accounts:
        goal = account.goals.get("sales")
        for label, figures in goal.stages.items() if goal else ():
            by_stage[label] = by_stage.get(label, 0.0) + (figures.plan or 0.0)
    busiest = max(by_stage, key=lambda k: by_stage[k]) if by_stage else ""
    titles = {
        "stages": (
            f"The plan asks {money_text(totals.plan_sales, currency)} of sales,"
            f" {money_text(totals.growth, currency)} more than {plan.baseline_period}"
            + (f"; {busiest} is the largest quarter" if busiest else "")
        )
    }
    carriers = growth_carriers(plan)
    lead = carriers.loc[carriers["carries"]]
    titles["growth"] = (
        f"{count_text(len(lead), 'account carries', 'accounts carry')} half of the planned growth"
        if len(lead)
        else "No account is planned to grow"
    )
    over = load_summary.loc[load_summary["months_overloaded"] > 0] if not load_summary.empty else load_summary
    titles["load"] = (
        f"{count_text(len(over), 'team member is', 'team members are')} over the ceiling of"
        f" {settings.max_accounts_per_member} accounts or"
        f" {settings.max_actions_per_member_month} actions at once"
        if len(over)
        else "Nobody in the team is overloaded by the plan"
    )
    n_actions = sum(len(a.actions) for a in plan.accounts)
    titles["timeline"] = (
        f"{count_text(n_actions, 'action runs', 'actions run')} through the year,"
        " staggered so that no owner runs too many at once"
        if n_actions
        else "No actions are planned yet"
    )
    return titles


def settings_table(settings: PlanningSettings) -> pd.DataFrame:
    """The planning rules in words, for the report's assumptions."""
    rows = [
        ("Stage length", f"{settings.stage_months} months"),
        ("Plan goal: share of the headroom won", percent_text(settings.plan_headroom_capture)),
        ("Plan goal: share of the account's own growth kept", percent_text(settings.momentum_weight)),
        (
            "Plan goal: growth at least / at most",
            f"{percent_text(settings.min_plan_growth)} / {percent_text(settings.max_plan_growth)}",
        ),
        ("Stretch goal: share of the headroom won", percent_text(settings.stretch_headroom_capture)),
        (
            "Stretch goal: at least above plan / growth at most",
            f"{percent_text(settings.min_stretch_uplift)} / {percent_text(settings.max_stretch_growth)}",
        ),
        (
            "White space: share of segment peers buying a category",
            f"at least {percent_text(settings.white_space_min_peer_share)}",
        ),
        (
            "White space: the account's own share of it",
            f"at most {percent_text(settings.white_space_max_own_share)}",
        ),
        ("Own seasonal profile from", f"{settings.seasonal_min_months} months with purchases"),
        ("Actions proposed per account", str(settings.max_actions_per_account)),
        ("Length of an action", f"{settings.action_months} months"),
        ("Ceiling: accounts per team member", str(settings.max_accounts_per_member)),
        ("Ceiling: actions at once per team member", str(settings.max_actions_per_member_month)),
    ]
    rows += [
        (f"Contacts per quarter, {tier} accounts", ", ".join(f"{n} {kind}s" for kind, n in cadence.items()))
        for tier, cadence in settings.cadence.items()
    ]
    return pd.DataFrame(rows, columns=["rule", "value"])
