"""The needs report in words and tables: findings with the money first, one section per account.

Every sentence and table here is built from a :class:`~kamtools.stages.needs.analysis.NeedsAnalysis`;
numbers are written by :mod:`kamtools.formatting`, so a figure reads the same everywhere. Texts
are plain (the notebook escapes them when it shows them as HTML).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from kamtools.formatting import and_joined, count_text, money_text, number_text, percent_text
from kamtools.stages.needs.analysis import NeedsAnalysis
from kamtools.stages.needs.profit import COMPONENT_LABELS
from kamtools.stages.needs.settings import indicator_label
from kamtools.tables import readable_columns

MAX_FINDINGS = 5
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Key account", "A customer the screening chose for dedicated management (stage 1 of this engagement)."),
    ("Strength indicators", "What the account has: financial strength, network (outlets, "
     "coverage), logistics capability, relationships and people."),
    ("Capability indicators", "How the account is run: business ideas, management, marketing approach and "
     "management maturity."),
    ("Hard indicators", "What the data say: sales, gross margin, cost to serve and contribution."),
    ("Workshop score", "1 (weak) to 5 (strong), given by the people who know the account; with several "
     "assessors, each one's latest score counts and the report shows how far apart they are."),
    ("Best quarter", "The score the best quarter of the key accounts reach (the 75th "
     "percentile; for cost to serve, the lowest quarter)."),
    ("Gap", "How far an account falls short of the best quarter on an indicator."),
    ("Cost to serve", "What it costs to run an account: order handling, deliveries, sales "
     "visits, returns, the credit it takes and its account manager's time."),
    ("Contribution", "Gross profit minus cost to serve: what the account leaves for overheads "
     "and profit."),
    ("Order rhythm", "The usual number of days between an account's orders (the median gap); an account is "
     "overdue when its last order is several rhythms ago."),
)  # fmt: skip


def _names(frame: pd.DataFrame, *, limit: int = 3) -> str:
    names = list(frame["name"].astype(str))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def totals(analysis: NeedsAnalysis) -> dict[str, float]:
    """Sales, gross profit, cost to serve and contribution of all key accounts, computed once."""
    profit = analysis.profit
    known = profit["cost_to_serve"].notna()
    return {
        "accounts": float(len(profit)),
        "sales": float(profit["sales"].sum()),
        "gross_profit": float(profit["gross_profit"].sum(min_count=1)),
        "cost_to_serve": float(profit.loc[known, "cost_to_serve"].sum()) if known.any() else float("nan"),
        "gross_profit_costed": float(profit.loc[known, "gross_profit"].sum())
        if known.any()
        else float("nan"),
        "contribution": float(profit.loc[known, "contribution"].sum()) if known.any() else float("nan"),
        "costed_accounts": float(known.sum()),
    }


def _manager_of(analysis: NeedsAnalysis, customer_id: str) -> str:
    rows = analysis.team[
        (analysis.team["customer_id"] == customer_id) & (analysis.team["function"] == "sales")
    ]
    return rows["member"].iloc[0].split("; ")[0] if len(rows) and rows["member"].iloc[0] else ""


def _money_finding(analysis: NeedsAnalysis) -> str:
    t, c = totals(analysis), analysis.currency
    n = count_text(int(t["accounts"]), "key account", "key accounts")
    if not t["costed_accounts"]:
        return (
            f"Your {n} bought {money_text(t['sales'], c)} this year with"
            f" {money_text(t['gross_profit'], c)} gross profit;"
            " no cost-to-serve data was provided, so their contribution is not computed: ask your controller"
            " for each account's orders, deliveries, visits and returns."
        )
    share = t["cost_to_serve"] / t["gross_profit_costed"] if t["gross_profit_costed"] > 0 else float("nan")
    partly = (
        ""
        if t["costed_accounts"] == t["accounts"]
        else f" (for the {int(t['costed_accounts'])} with cost data)"
    )
    return (
        f"Your {n} bought {money_text(t['sales'], c)} and left"
        f" {money_text(t['contribution'], c)} contribution{partly}"
        f" after {money_text(t['cost_to_serve'], c)} cost to serve:"
        f" serving them eats {percent_text(share)} of"
        " their gross profit. Agree each account's support with its account manager (account pages below)."
    )


def _negative_finding(analysis: NeedsAnalysis) -> str | None:
    profit, c = analysis.profit, analysis.currency
    if profit["contribution"].isna().all():
        return None
    negative = profit[profit["negative_contribution"]].sort_values("contribution")
    if negative.empty:
        thinnest = profit.dropna(subset=["contribution"]).sort_values("contribution_margin").iloc[0]
        return (
            "Every key account earns more than it costs to serve; the thinnest is"
            f" {thinnest['name']} with {money_text(thinnest['contribution'], c)}"
            f" ({percent_text(thinnest['contribution_margin'])} of its sales): review its terms first."
        )
    listed = ", ".join(
        f"{r['name']} ({money_text(r['contribution'], c)})" for _, r in negative.head(3).iterrows()
    )
    managers = sorted({m for m in (_manager_of(analysis, cid) for cid in negative["customer_id"]) if m})
    who = f" with {', '.join(managers)}" if managers else ""
    return (
        f"{count_text(len(negative), 'key account costs', 'key accounts cost')} more to serve than"
        f" {'it earns' if len(negative) == 1 else 'they earn'},"
        f" {money_text(negative['contribution'].sum(), c)}"
        f" in all: {listed}. Review their terms and service model{who} before the next order season."
    )


def _needs_finding(analysis: NeedsAnalysis) -> str | None:
    if analysis.support.empty:
        return None
    counts = (
        analysis.support.groupby("offering")["customer_id"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    top = [f"{o.lower()} ({count_text(int(n), 'account', 'accounts')})" for o, n in counts.head(3).items()]
    first = counts.index[0]
    return (
        f"The biggest needs are {and_joined(top)}:"
        f" plan {first.lower()} for the year with the people who deliver it (see each account's team)."
    )


def _reorder_finding(analysis: NeedsAnalysis) -> str | None:
    overdue = analysis.reorder[analysis.reorder["overdue"]]
    if overdue.empty:
        return None
    rows = overdue.merge(analysis.accounts[["customer_id", "name", "sales"]], on="customer_id")
    first = rows.sort_values("reorder_ratio", ascending=False).iloc[0]
    managers = sorted({m for m in (_manager_of(analysis, cid) for cid in rows["customer_id"]) if m})
    return (
        f"{count_text(len(rows), 'key account is', 'key accounts are')} overdue by their own order rhythm,"
        f" {money_text(rows['sales'].sum(), analysis.currency)} of sales this year:"
        f" {first['name']} last ordered"
        f" {first['days_since_last_order']:.0f} days ago and usually orders every"
        f" {first['median_gap_days']:.0f}."
        f" Call them this week{' (' + ', '.join(managers) + ')' if managers else ''}."
    )


def _missing_finding(analysis: NeedsAnalysis) -> str | None:
    missing = analysis.missing
    if missing.empty:
        return None
    none = missing[missing["assessed"] == 0]
    sales = analysis.accounts.set_index("customer_id").loc[missing["customer_id"], "sales"].sum()
    n, total = len(missing), len(analysis.accounts)
    what = "have no workshop scores" if len(none) == n else "miss some or all workshop scores"
    return (
        f"{n} of {total} key accounts {what} ({money_text(sales, analysis.currency)} of sales):"
        " their needs rest on"
        " the data alone. Hold the needs workshop for them with their account managers."
    )


def _load_finding(analysis: NeedsAnalysis) -> str | None:
    over = analysis.load[analysis.load["over_ceiling"]]
    if over.empty:
        return None
    first = over.iloc[0]
    spare = analysis.load[~analysis.load["over_ceiling"]].sort_values("key_accounts")
    move = int(first["key_accounts"] - first["ceiling"])
    to = f" to {spare.iloc[0]['member']} ({int(spare.iloc[0]['key_accounts'])})" if len(spare) else ""
    return (
        f"{first['member']} serves {int(first['key_accounts'])} key accounts,"
        f" above the {int(first['ceiling'])}"
        f" one account manager can serve well: hand {count_text(move, 'account', 'accounts')} over{to}."
    )


def findings(analysis: NeedsAnalysis) -> list[str]:
    """The executive summary: at most :data:`MAX_FINDINGS` sentences, the money first."""
    candidates = [
        _money_finding(analysis),
        _negative_finding(analysis),
        _needs_finding(analysis),
        _reorder_finding(analysis),
        _missing_finding(analysis),
        _load_finding(analysis),
    ]
    return [c for c in candidates if c][:MAX_FINDINGS]


def summary(analysis: NeedsAnalysis) -> str:
    """One line for the report pack's cover."""
    t = totals(analysis)
    n = count_text(int(t["accounts"]), "key account", "key accounts")
    money = (
        f"{money_text(t['contribution'], analysis.currency)} contribution after"
        f" {money_text(t['cost_to_serve'], analysis.currency)} cost to serve"
        if t["costed_accounts"]
        else "contribution not computed (no cost-to-serve data)"
    )
    negative = int(analysis.profit["negative_contribution"].sum())
    return f"{n}: {money}; {negative} with negative contribution; {len(analysis.support)} support proposals"


def profit_table(analysis: NeedsAnalysis) -> pd.DataFrame:
    """Every key account's profit, most contribution first (readable column names)."""
    p = analysis.profit.merge(analysis.accounts[["customer_id", "priority"]], on="customer_id")
    p = p.sort_values(["contribution", "sales"], ascending=False, na_position="last")
    return pd.DataFrame(
        {
            "account": p["name"],
            "sales": p["sales"],
            "gross profit": p["gross_profit"],
            "cost to serve": p["cost_to_serve"],
            "contribution": p["contribution"],
            "contribution (% of sales)": p["contribution_margin"],
        }
    )


def _unit_text(value: float, unit: str, currency: str) -> str:
    if pd.isna(value):
        return "not scored" if unit == "points" else "n/a"
    if unit == "share":
        return percent_text(value, 1)
    if unit == "money":
        return money_text(value, currency)
    return number_text(value, 1)


def missing_table(analysis: NeedsAnalysis) -> pd.DataFrame:
    """The key accounts whose workshop scores are missing, and what is missing."""
    rows = analysis.missing.merge(analysis.accounts[["customer_id", "priority", "sales"]], on="customer_id")
    data = analysis.scores[analysis.scores["source"] == "data"]
    text = []
    for record in rows.to_dict("records"):
        indicators = record["indicators"].split(", ")
        named = (
            f"all {len(indicators)} workshop indicators"
            if record["assessed"] == 0
            else ", ".join(indicator_label(i).lower() for i in indicators)
        )
        from_data = sorted(
            set(data.loc[data["customer_id"] == record["customer_id"], "indicator"]) & set(indicators)
        )
        if from_data:
            named += "; " + " and ".join(indicator_label(i).lower() for i in from_data) + " from data only"
        text.append(named)
    return pd.DataFrame({"account": rows["name"], "sales": rows["sales"], "missing": text})


def account_heading(analysis: NeedsAnalysis, customer_id: str) -> str:
    """The so-what title of one account's section: priority, name and its message."""
    page = analysis.pages[customer_id]
    account, p, r, first = page.account, page.profit, page.reorder, page.support
    c = analysis.currency
    if bool(p["negative_contribution"]):
        message = f"costs {money_text(-p['contribution'], c)} more to serve than it earns"
    elif bool(r["overdue"]):
        message = f"overdue: last order {r['days_since_last_order']:.0f} days ago"
    elif pd.notna(p["contribution"]):
        message = f"{money_text(p['contribution'], c)} contribution"
    else:
        message = f"{money_text(p['sales'], c)} sales, contribution not computed"
    if len(first):
        message += f"; needs {first.iloc[0]['offering'].lower()} first"
    return f"{int(account['priority'])}. {account['name']}: {message}"


def account_facts(analysis: NeedsAnalysis, customer_id: str) -> list[str]:
    """Plain sentences on one account: order rhythm, what data is missing, disagreements."""
    page = analysis.pages[customer_id]
    r, p = page.reorder, page.profit
    facts = [f"Orders: {r['status']}."]
    if p["cost_note"]:
        facts.append(f"{str(p['cost_note']).capitalize()}.")
    row = page.missing
    if row is not None:
        facts.append(
            "Not yet scored in a workshop."
            if row["assessed"] == 0
            else "Not scored yet on: "
            + ", ".join(indicator_label(i).lower() for i in row["indicators"].split(", "))
            + "."
        )
    card = page.scorecard[page.scorecard["disagree"]]
    for record in card.to_dict("records"):
        facts.append(
            f"The assessors disagree on {indicator_label(record['indicator']).lower()}"
            f" ({record['assessors']}: {number_text(record['spread'], 0)} points apart);"
            " settle it in the workshop."
        )
    return facts


def account_scorecard_table(analysis: NeedsAnalysis, customer_id: str) -> pd.DataFrame:
    """One account's scorecard as the reader sees it: values in their units, as text."""
    rows = analysis.pages[customer_id].scorecard
    c = analysis.currency
    return pd.DataFrame(
        {
            "indicator": [indicator_label(i) for i in rows["indicator"]],
            "score": [_unit_text(v, u, c) for v, u in zip(rows["score"], rows["unit"], strict=True)],
            "key-account average": [
                _unit_text(v, u, c) for v, u in zip(rows["portfolio_average"], rows["unit"], strict=True)
            ],
            "best quarter": [
                _unit_text(v, u, c) for v, u in zip(rows["best_quartile"], rows["unit"], strict=True)
            ],
            "gap": [
                "" if pd.isna(v) or v == 0 else _unit_text(v, u, c)
                for v, u in zip(rows["gap"], rows["unit"], strict=True)
            ],
            "scored by": rows["assessors"].to_numpy(),
        }
    )


def account_support_table(analysis: NeedsAnalysis, customer_id: str) -> pd.DataFrame:
    """One account's proposed support, first things first, each with why."""
    rows = analysis.pages[customer_id].support
    return pd.DataFrame(
        {
            "priority": rows["priority"].to_numpy(),
            "support": rows["offering"].to_numpy(),
            "why": rows["reason"].to_numpy(),
            "delivered by": rows["function"].to_numpy(),
        }
    )


def account_team_line(analysis: NeedsAnalysis, customer_id: str) -> str:
    """One account's service team by function, in one sentence (who serves it, who could)."""
    parts = []
    for record in analysis.pages[customer_id].team.to_dict("records"):
        function = str(record["function"])
        if not record["member"]:
            parts.append(f"nobody yet for {function}")
        elif record["status"] == "proposed":
            parts.append(f"{record['member']} ({record['role']}, proposed) for {function}")
        else:
            people = [
                f"{member} ({role})"
                for member, role in zip(
                    record["member"].split("; "), record["role"].split("; "), strict=False
                )
            ]
            parts.append(f"{' and '.join(people)} for {function}")
    return (
        "Service team: " + "; ".join(parts) + "." if parts else "Service team: the team table names nobody."
    )


def load_table(analysis: NeedsAnalysis) -> pd.DataFrame:
    """Each account manager's key accounts against the ceiling."""
    load = analysis.load
    return readable_columns(
        load.assign(over_ceiling=load["over_ceiling"].map({True: "yes", False: ""})),
        {
            "member": "account manager",
            "key_accounts": "key accounts",
            "accounts": "all accounts served",
            "ceiling": "most key accounts",
            "over_ceiling": "over the limit",
        },
    )


def next_steps(analysis: NeedsAnalysis) -> list[str]:
    """What to do next, and who."""
    steps = []
    if not analysis.missing.empty:
        steps.append(
            f"Hold the needs workshop for the {len(analysis.missing)} key accounts that are not fully scored;"
            " each account manager scores their own accounts in the workshop form."
        )
    if not analysis.support.empty:
        first = analysis.support[analysis.support["priority"] == 1]
        steps.append(
            "Agree the first support offering with each of the"
            f" {first['customer_id'].nunique()} accounts that"
            " have one, and put it into the key account plan (stage 3) with an owner and a date."
        )
    if analysis.reorder["overdue"].any():
        steps.append("Account managers call the overdue accounts this week and note what they hear.")
    if analysis.load["over_ceiling"].any():
        steps.append(
            "The head of sales rebalances the account managers who serve more key accounts than the limit."
        )
    if not analysis.available.get("cost_to_serve"):
        steps.append(
            "Collect orders, deliveries, visits and returns per account so that contribution can be computed."
        )
    return steps


def settings_table(analysis: NeedsAnalysis) -> pd.DataFrame:
    """The rules behind the analysis, as the reader should know them."""
    s, c = analysis.settings, analysis.currency
    rates = ", ".join(
        f"{k} {money_text(v, c, compact=False, places=2)}" for k, v in s.cost_driver_rates.items()
    )
    rows = [
        (
            "Cost per order, delivery, visit, return",
            rates or "not set: the cost-to-serve total is used as given",
        ),
        ("Cost of credit given", f"{percent_text(s.credit_interest_rate, 1)} a year"),
        (
            "Account manager cost, shared over their accounts",
            money_text(s.account_manager_cost, c)
            if s.account_manager_cost is not None
            else "not set: left out",
        ),
        ("Most key accounts per account manager", str(s.manager_load)),
        (
            "Overdue when the last order is more than",
            f"{number_text(s.reorder_risk_multiple, 1)} times the rhythm",
        ),
        ("Assessors disagree from", f"{number_text(s.disagreement_spread, 0)} points apart"),
        ("Weak workshop score", f"{number_text(s.weak_score, 1)} or less"),
        ("Support proposals per account", f"at most {s.max_proposals}"),
    ]
    return pd.DataFrame(rows, columns=["rule", "value"])


def component_labels(columns: Sequence[str]) -> list[str]:
    """The reader's names of the cost components present."""
    return [COMPONENT_LABELS[c] for c in columns if c in COMPONENT_LABELS]


def glossary_table() -> pd.DataFrame:
    """The closing glossary: every term the report uses, in one line each."""
    return pd.DataFrame(GLOSSARY, columns=["term", "meaning"])


def outputs(analysis: NeedsAnalysis) -> dict[str, pd.DataFrame]:
    """The stage's outputs for later stages, by name: scorecard, support, team, account profit."""
    card = analysis.scorecard
    names = analysis.accounts.set_index("customer_id")["name"]
    team = analysis.team.assign(name=analysis.team["customer_id"].map(names))
    profit = analysis.profit.drop(columns=["negative_contribution", "cost_note"])
    return {
        "needs_scorecard": card[
            ["customer_id", "name", "family", "indicator", "score", "portfolio_average", "best_quartile",
             "gap", "assessors", "spread", "unit", "disagree"]
        ],
        "needs_support": analysis.support[
            ["customer_id", "name", "offering", "indicator", "reason", "priority", "function"]
        ],
        "needs_team": team[["customer_id", "function", "member", "role", "name", "status"]],
        "account_profit": profit,
    }  # fmt: skip


def input_notes(analysis: NeedsAnalysis) -> list[str]:
    """What the analysis had to do without, said plainly (empty when every input was there)."""
    available, s = analysis.available, analysis.settings
    notes = []
    if not available.get("cost_to_serve"):
        notes.append("No cost-to-serve data was provided: contribution is not computed.")
    elif not s.cost_driver_rates:
        notes.append(
            "No cost per order, delivery, visit or return is set (needs: cost_driver_rates in client.yml):"
            " cost to serve is shown as one total, not by component."
        )
    if not available.get("receivables"):
        notes.append("No receivables were provided: credit cost and the payment record are left out.")
    if s.account_manager_cost is None:
        notes.append(
            "No account manager cost is set (needs: account_manager_cost in client.yml): management cost is"
            " left out of cost to serve."
        )
    if not available.get("team"):
        notes.append("No team table was provided: service teams and account manager loads cannot be shown.")
    if not available.get("assessments"):
        notes.append(
            "No workshop assessments were provided: strengths and capabilities rest on the data alone."
        )
    if not available.get("cost_of_goods"):
        notes.append("No cost of goods was provided: gross profit, margin and contribution are not computed.")
    return notes


def account_intro_html(analysis: NeedsAnalysis, customer_id: str) -> str:
    """The top of one account's page as one HTML block: so-what heading, facts, scorecard.

    One block instead of three outputs keeps the report light (35 accounts are a hundred
    outputs fewer to render); every text is escaped.
    """
    from kamtools import tables

    heading = f'<h4 class="kam-account">{html.escape(account_heading(analysis, customer_id))}</h4>'
    facts = tables.notes_html([" ".join(account_facts(analysis, customer_id))])
    card = tables.format_table(
        account_scorecard_table(analysis, customer_id), currency=analysis.currency, caption="Scorecard"
    )
    return heading + facts + card.to_html()


def account_support_html(analysis: NeedsAnalysis, customer_id: str) -> str:
    """The bottom of one account's page as one HTML block: proposed support, then its team."""
    from kamtools import tables

    support = tables.table_or_note(
        account_support_table(analysis, customer_id),
        empty_note="No indicator is weak enough to call for support now.",
        currency=analysis.currency,
        caption="Proposed support",
    )
    return support._repr_html_() + tables.notes_html([account_team_line(analysis, customer_id)])
