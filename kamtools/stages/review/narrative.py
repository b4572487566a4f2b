"""The review's words: executive summary, findings, draft lessons and the report's tables.

Every sentence carries its money (formatted by :mod:`kamtools.formatting`) and, where there is a
next step, who takes it (the account manager of the plan). Tables get readable column names;
the report formats them with :func:`kamtools.tables.format_table`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kamtools.formatting import count_text, money_text, percent_text
from kamtools.stages.review import next_screening
from kamtools.stages.review.analysis import ReviewResult
from kamtools.stages.review.economics import REICHHELD_SASSER
from kamtools.stages.review.lessons import headline_lessons, lessons_frame
from kamtools.tables import readable_columns

__all__ = [
    "GLOSSARY",
    "accounts_table",
    "actions_table",
    "at_risk_table",
    "bridge_table",
    "cadence_table",
    "churn_table",
    "draft_lessons",
    "executive_summary",
    "lost_table",
    "proposals_table",
    "satisfaction_question_table",
    "summary_line",
]

GLOSSARY = {
    "Attainment": "Actual figure as a share of the plan goal (100% = plan met).",
    "Stretch goal": "A goal above the plan that motivates; reaching it is a success, missing it is not"
    " a failure.",
    "Share of wallet": "The part of an account's purchases in our categories that it buys from you.",
    "Volume, price, mix": "The sales variance split into more or fewer units, a different price for the same"
    " products, and a shift to dearer or cheaper products.",
    "Revenue bridge": "How sales got from last period to this one: new customers, lost customers, and growth"
    " and decline of the customers kept.",
    "Churn rate": "Share of last period's customers that stopped buying (no purchase in the period's last"
    " months).",
    "Retention curve": "For the customers who started in the same year (a cohort), the share still buying in"
    " each later year.",
    "Net satisfaction": "Share of satisfied answers minus share of dissatisfied answers, in points from -100"
    " to +100.",
    "Value at risk": "The gross profit an account is expected to bring over the coming years if it stays.",
}


def _names(result: ReviewResult, customer_ids: Iterable[str]) -> list[str]:
    """Each account's name (its id when the plan has none); the lookup is built once per table,
    not once per row (a table of 40 accounts spent ~0.1 s indexing the plan's accounts)."""
    names = result.names
    return [str(names.get(c, c)) for c in customer_ids]


def _managers(result: ReviewResult, customer_ids: Iterable[str]) -> list[str]:
    """Each account's manager ("the account manager" when the plan names none), as :func:`_names`."""
    managers = result.accounts.set_index("customer_id")["account_manager"]
    return [str(managers.get(c, "") or "the account manager") for c in customer_ids]


def _name(result: ReviewResult, customer_id: str) -> str:
    return _names(result, [customer_id])[0]


def _manager(result: ReviewResult, customer_id: str) -> str:
    return _managers(result, [customer_id])[0]


def _points(fraction: float) -> str:
    value = round(float(fraction) * 100)
    return f"{'+' if value > 0 else ''}{value}"


def _dealer_sentence(result: ReviewResult, currency: str) -> str:
    steps = result.dealer_bridge.set_index("step")["amount"]
    before, now = steps["previous"], steps["current"]
    change = f" ({percent_text(now / before - 1, 1)})" if before > 0 else ""
    return (
        f"No plan for {result.period} was found in the workspace, so the period cannot be set against a"
        " plan (save the plan of stage 3, plan development, for it)."
        f" Your sales were {money_text(now, currency)}"
        f" against {money_text(before, currency)} in {result.previous}{change}."
    )


def _attainment_sentence(result: ReviewResult, currency: str) -> str:
    if not result.has_plan:
        return _dealer_sentence(result, currency)
    sales = result.portfolio.set_index("metric").loc["sales"]
    short = sales["plan"] - sales["actual"]
    gap = f"{money_text(short, currency)} short" if short > 0 else f"{money_text(-short, currency)} above it"
    text = (
        f"Your {count_text(int(sales['accounts']), 'planned account', 'planned accounts')} bought"
        f" {money_text(sales['actual'], currency)}, {percent_text(sales['attainment'])} of the"
        f" {money_text(sales['plan'], currency)} plan: {gap}"
        f" (last period {money_text(sales['baseline'], currency)};"
        f" stretch goal {money_text(sales['stretch'], currency)})."
    )
    if "gross_profit" in set(result.portfolio["metric"]):
        profit = result.portfolio.set_index("metric").loc["gross_profit"]
        text += (
            f" Gross profit: {money_text(profit['actual'], currency)},"
            f" {percent_text(profit['attainment'])} of plan."
        )
    return text


def _behind_sentence(result: ReviewResult, currency: str) -> str:
    sales = result.per_account[result.per_account["metric"] == "sales"]
    behind = sales[sales["status"] == "behind"].sort_values("variance")
    if behind.empty:
        return "Every planned account met its sales plan."
    worst = behind.head(3)
    status = result.movement.set_index("customer_id")["status"]
    reason = (
        result.reasons.set_index("customer_id")["reason"] if len(result.reasons) else pd.Series(dtype=str)
    )
    named = []
    for row in worst.itertuples():
        detail = [d for d in (status.get(row.customer_id, "kept"), reason.get(row.customer_id, "")) if d]
        detail = [d for d in detail if d not in ("kept", "not recorded")]
        suffix = f" ({', '.join(detail)})" if detail else ""
        named.append(f"{_name(result, row.customer_id)} {money_text(row.variance, currency)}{suffix}")
    split = result.sales_split
    parts = ""
    if len(split) and split["split_available"].all():
        totals = {k: split[k].sum() for k in ("volume", "price", "mix")}
        parts = (
            f" Volume explains {money_text(totals['volume'], currency)} of the variance,"
            f" price {money_text(totals['price'], currency)}, mix {money_text(totals['mix'], currency)}."
        )
    first = worst.iloc[0]["customer_id"]
    return (
        f"{len(behind)} of {len(sales)} accounts are behind,"
        f" together {money_text(-behind['variance'].sum(), currency)}"
        f" below plan. Largest gaps: {'; '.join(named)}.{parts}"
        f" Next: {_manager(result, first)} books a review meeting with {_name(result, first)} first."
    )


def _churn_sentence(result: ReviewResult, currency: str) -> str:
    key = result.churn_key[result.churn_key["period"] == result.period]
    everyone = result.churn_all[result.churn_all["period"] == result.period]
    parts = []
    if len(key) and key.iloc[0]["customers_start"] > 0:
        k = key.iloc[0]
        parts.append(
            f"You lost {int(k['lost'])} of {int(k['customers_start'])} planned accounts"
            f" ({percent_text(k['churn_rate'])})"
        )
    if len(everyone):
        e = everyone.iloc[0]
        parts.append(
            f"{'' if parts else 'You lost '}{int(e['lost']):,} of {int(e['customers_start']):,}"
            " customers overall"
            f" ({percent_text(e['churn_rate'], 1)}), who had bought {money_text(e['lost_sales'], currency)}"
            " the year before"
        )
    text = " and ".join(parts) + "." if parts else ""
    if result.lost_margin > 0:
        text += f" The lost accounts had earned {money_text(result.lost_margin, currency)} gross profit."
    econ = result.economics_key
    if econ is not None and econ.extra_profit > 0:
        low, high = REICHHELD_SASSER
        text += (
            f" Churn {round((econ.churn_rate - econ.improved_churn_rate) * 100)} points lower would bring"
            f" {money_text(econ.extra_profit, currency)} more gross profit over {econ.horizon_years} years"
            f" (+{percent_text(econ.profit_lift)}; the often-quoted case examples: +{percent_text(low)} to"
            f" +{percent_text(high)})."
        )
    return text.strip()


def _satisfaction_sentence(result: ReviewResult) -> str:
    overall = result.satisfaction_overall
    if overall.empty:
        return "No satisfaction survey was provided, so satisfaction cannot be shown."
    row = overall.iloc[0]
    if row["caution"]:
        return f"Too few survey answers for a satisfaction percentage ({row['caution']})."
    text = f"Net satisfaction is {_points(row['net_now'])} points across {int(row['answers_now']):,} answers"
    if len(result.survey_waves) == 2 and pd.notna(row["net_change"]):
        moved = _points(row["net_change"])
        since = f"the survey of {result.survey_waves[0]}"
        text += f", unchanged since {since}" if moved == "0" else f", {moved} points since {since}"
    change = result.satisfaction_change.dropna(subset=["net_change"])
    if len(change):
        worst = change.sort_values("net_change").iloc[0]
        weakest = change.sort_values("net_now").iloc[0]
        text += (
            f"; {str(worst['dimension']).replace('_', ' ')} moved most"
            f" ({_points(worst['net_change'])} points)"
            f" and {str(weakest['dimension']).replace('_', ' ')} is the weakest question"
            f" ({_points(weakest['net_now'])})"
        )
    return text + "."


def draft_lessons(result: ReviewResult, *, currency: str) -> pd.DataFrame:
    """Lessons the analysis suggests, for the workshop to confirm, edit or drop.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`kamtools.stages.review.lessons.LESSON_COLUMNS`, one row per lesson.
    """
    rows = []
    groups = result.completion_groups.set_index("group")
    done, fewer = groups.loc["most actions done"], groups.loc["fewer actions done"]
    if (
        done["accounts"]
        and fewer["accounts"]
        and pd.notna(done["attainment"])
        and pd.notna(fewer["attainment"])
    ):
        better = done["attainment"] >= fewer["attainment"]
        rows.append(
            {
                "kind": "worked" if better else "did not work",
                "lesson": "Accounts that carried out most of their actions reached"
                f" {percent_text(done['attainment'])}"
                f" of plan, the others {percent_text(fewer['attainment'])}.",
            }
        )
    dropped = result.outcomes[result.outcomes["outcome"].isin(["dropped", "late"])]
    if len(dropped) and "support" in dropped.columns:
        support = dropped["support"].fillna("").replace("", np.nan).dropna()
        if len(support):
            accounts = dropped.loc[support.index].groupby(support)["customer_id"].nunique()
            top = accounts.sort_values(ascending=False, kind="stable").index[0]
            count = int(accounts[top])
            rows.append(
                {
                    "kind": "did not work",
                    "lesson": f"'{top}' was dropped or late in {count_text(count, 'account', 'accounts')}.",
                }
            )
    contact = result.cadence_groups.set_index("group")
    kept, fewer_contacts = contact.loc["contacts as planned"], contact.loc["fewer contacts than planned"]
    if kept["accounts"] and fewer_contacts["accounts"]:
        rows.append(
            {
                "kind": "change",
                "lesson": f"Keep the contact plan: {percent_text(kept['kept_share'])} of the accounts"
                " contacted as planned kept their business, against"
                f" {percent_text(fewer_contacts['kept_share'])} of the others.",
            }
        )
    split = result.sales_split
    if len(split) and split["split_available"].all():
        totals = {k: split[k].sum() for k in ("volume", "price", "mix")}
        worst = min(totals, key=totals.get)
        if totals[worst] < 0:
            rows.append(
                {
                    "kind": "change",
                    "lesson": f"Plan for {worst}: it cost {money_text(-totals[worst], currency)}"
                    " against plan.",
                }
            )
    return lessons_frame(rows)


def executive_summary(result: ReviewResult, *, currency: str) -> list[str]:
    """The first screen: attainment in money, accounts behind and why, churn and its cost,
    satisfaction change and the three lessons."""
    out = [_attainment_sentence(result, currency)]
    if result.has_plan:
        out.append(_behind_sentence(result, currency))
    churn = _churn_sentence(result, currency)
    if churn:
        out.append(churn)
    out.append(_satisfaction_sentence(result))
    lessons = result.lessons if len(result.lessons) else draft_lessons(result, currency=currency)
    source = (
        "from the workshop" if len(result.lessons) else "the analysis suggests (for the workshop to confirm)"
    )
    picked = headline_lessons(lessons, 3)
    if len(picked):
        heading = {"worked": "what worked", "did not work": "what did not work", "change": "what to change"}
        listed = "; ".join(
            f"({n}) {heading[row.kind]}: {row.lesson[:1].lower()}{row.lesson[1:].rstrip('.')}"
            for n, row in enumerate(picked.itertuples(), start=1)
        )
        out.append(f"Three lessons {source}: {listed}.")
    return out


def summary_line(result: ReviewResult, *, currency: str) -> str:
    """One line for the cover of the report pack."""
    if not result.has_plan:
        return f"No plan for {result.period} to review against"
    sales = result.portfolio.set_index("metric").loc["sales"]
    lost = int((result.movement["status"] == "lost").sum())
    return (
        f"{money_text(sales['actual'], currency)} of the {money_text(sales['plan'], currency)} plan"
        f" ({percent_text(sales['attainment'])}); {int(sales['behind'])} of {int(sales['accounts'])} accounts"
        f" behind, {lost} lost"
    )


# --- Tables for the report (readable column names) -------------------------------------------


def accounts_table(result: ReviewResult) -> pd.DataFrame:
    """Per account: sales against plan and stretch, status, the variance split and actions done."""
    sales = result.per_account[result.per_account["metric"] == "sales"].set_index("customer_id")
    split = result.sales_split.groupby("customer_id")[["volume", "price", "mix"]].sum(min_count=1)
    completion = result.completion.set_index("customer_id")["completion"]
    table = pd.DataFrame(
        {
            "account": _names(result, sales.index),
            "manager": _managers(result, sales.index),
            "plan": sales["plan"],
            "actual": sales["actual"],
            "attainment": sales["attainment"],
            "status": sales["status"],
            "volume": split["volume"].reindex(sales.index),
            "price": split["price"].reindex(sales.index),
            "mix": split["mix"].reindex(sales.index),
            "actions done": completion.reindex(sales.index),
        }
    )
    return table.sort_values("attainment", kind="stable").reset_index(drop=True)


def actions_table(result: ReviewResult) -> pd.DataFrame:
    """Actions by outcome: count per outcome and owner."""
    counts = pd.crosstab(result.outcomes["owner"].fillna(""), result.outcomes["outcome"])
    counts = counts.reindex(columns=["done", "done late", "late", "dropped", "open"], fill_value=0)
    counts.insert(0, "actions", counts.sum(axis=1))
    counts.index.name = "owner"
    return counts.reset_index().sort_values("actions", ascending=False, kind="stable").reset_index(drop=True)


def bridge_table(result: ReviewResult) -> pd.DataFrame:
    """The dealer's revenue bridge as a table (steps with amount and customers)."""
    labels = {
        "previous": f"sales {result.previous}",
        "new": "new customers",
        "lost": "lost customers",
        "growth": "growth of customers kept",
        "decline": "decline of customers kept",
        "other": "returns without purchases",
        "current": f"sales {result.period}",
    }
    steps = result.dealer_bridge
    steps = steps[(steps["step"].isin(["previous", "current"])) | (steps["amount"] != 0)]
    return pd.DataFrame(
        {"step": steps["step"].map(labels), "amount": steps["amount"], "customers": steps["count"]}
    )


def churn_table(result: ReviewResult) -> pd.DataFrame:
    """Churn by period for all customers and for the key accounts."""
    rows = []
    for label, frame in (("all customers", result.churn_all), ("key accounts", result.churn_key)):
        for row in frame[frame["customers_start"] > 0].itertuples():
            who = label
            if getattr(row, "accounts", "") == "largest customers":
                who = f"largest {int(row.customers_start)} customers of {row.period - 1}"
            rows.append(
                {
                    "period": str(row.period),
                    "customers": who,
                    "at start": int(row.customers_start),
                    "lost": int(row.lost),
                    "churn rate": row.churn_rate,
                    "sales of those lost": row.lost_sales,
                }
            )
    return pd.DataFrame(rows)


def lost_table(result: ReviewResult) -> pd.DataFrame:
    """Lost and declining planned accounts with the reason recorded (and the competitor named)."""
    reasons = result.reasons
    why = [f"{r} (to {c})" if c else r for r, c in zip(reasons["reason"], reasons["competitor"], strict=True)]
    return pd.DataFrame(
        {
            "account": _names(result, reasons["customer_id"]),
            "status": reasons["status"],
            "sales before": reasons["previous_sales"],
            "sales now": reasons["current_sales"],
            "days since purchase": reasons["days_since_purchase"],
            "reason": why,
            "what they said": reasons["note"],
        }
    )


def at_risk_table(result: ReviewResult) -> pd.DataFrame:
    """The at-risk list: account, manager, signs in words, sales and value at risk."""
    risky = result.at_risk
    return (
        pd.DataFrame(
            {
                "account": _names(result, risky["customer_id"]),
                "manager": _managers(result, risky["customer_id"]),
                "sales": risky["current_sales"],
                "value at risk": risky["value_at_risk"],
                "signs": risky["signs"],
                "why": risky["reasons"],
            }
        )
        .sort_values(["signs", "value at risk"], ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def cadence_table(result: ReviewResult) -> pd.DataFrame:
    """Contacts planned and made per account, days since the last one."""
    c = result.cadence
    table = pd.DataFrame(
        {
            "account": _names(result, c["customer_id"]),
            "manager": _managers(result, c["customer_id"]),
            "planned": c["planned"].round().astype("int64"),
            "made": c["made"].astype("int64"),
            "share made": c["made_share"],
            "days since last contact": c["days_since_contact"],
            "no recent contact": np.select(
                [c["days_since_contact"].isna(), c["no_contact"]], ["none recorded", "yes"], ""
            ),
        }
    )
    return table.sort_values("share made", kind="stable").reset_index(drop=True)


def satisfaction_question_table(result: ReviewResult) -> pd.DataFrame:
    """Per question: answers, net satisfaction before and now, change, mean score and any caution."""
    change = result.satisfaction_change
    if change.empty:
        return pd.DataFrame()
    return (
        pd.DataFrame(
            {
                "question": change["dimension"].str.replace("_", " "),
                "answers": change["answers_now"],
                "net before": change["net_before"],
                "net now": change["net_now"],
                "change (points)": change["net_change"] * 100,
                "mean score (1-5)": change["mean_now"],
                "caution": change["caution"],
            }
        )
        .sort_values("net now", kind="stable")
        .reset_index(drop=True)
    )


def proposals_table(result: ReviewResult) -> pd.DataFrame:
    """The tier changes proposed to the next screening."""
    return next_screening.proposals_table(result.proposals)


def portfolio_table(result: ReviewResult) -> pd.DataFrame:
    """Total plan against actual for sales and gross profit, with the count of accounts by status."""
    p = result.portfolio
    return pd.DataFrame(
        {
            "measure": p["metric"].str.replace("_", " "),
            f"last period ({result.previous})": p["baseline"],
            "plan": p["plan"],
            "stretch": p["stretch"],
            "actual": p["actual"],
            "attainment": p["attainment"],
            "ahead or on plan": p["stretch reached"] + p["ahead"] + p["on plan"],
            "behind": p["behind"],
        }
    )


def actions_sentence(result: ReviewResult) -> str:
    """What happened to the planned actions, and whether doing them went with better results."""
    counts = result.outcomes["outcome"].value_counts()
    total = int(counts.sum())
    if not total:
        return "The plan had no actions to follow up."
    done = int(counts.get("done", 0) + counts.get("done late", 0))
    text = (
        f"Of {count_text(total, 'planned action', 'planned actions')}, {done} were done"
        f" ({int(counts.get('done late', 0))} of them late), {int(counts.get('late', 0))} are overdue and"
        f" {int(counts.get('dropped', 0))} were dropped."
    )
    groups = result.completion_groups.set_index("group")
    most, fewer = groups.loc["most actions done"], groups.loc["fewer actions done"]
    if most["accounts"] and fewer["accounts"]:
        text += (
            f" Accounts that carried out at least three quarters of their due actions reached"
            f" {percent_text(most['attainment'])} of their sales plan,"
            f" the others {percent_text(fewer['attainment'])}"
        )
        if np.isfinite(result.completion_correlation):
            text += f" (rank correlation {result.completion_correlation:+.2f} across accounts)"
        text += "; this shows that they go together, not that one caused the other."
    return text


def cadence_sentence(result: ReviewResult) -> str:
    """Contacts made against plan, and how the accounts with more contact did."""
    c = result.cadence
    planned, made = float(c["planned"].sum()), int(c["made"].sum())
    if planned <= 0:
        return "The plan set no contact cadence."
    silent = int(c["no_contact"].sum())
    text = (
        f"Your team recorded {made:,} contacts against {round(planned):,} planned"
        f" ({percent_text(made / planned)});"
        f" {count_text(silent, 'account has', 'accounts have')} had no contact for more than"
        f" {result.settings.no_contact_days} days."
    )
    groups = result.cadence_groups.set_index("group")
    kept, fewer = groups.loc["contacts as planned"], groups.loc["fewer contacts than planned"]
    if kept["accounts"] and fewer["accounts"]:
        text += (
            f" Of the accounts contacted as planned, {percent_text(kept['kept_share'])} kept their business"
            f" (neither lost nor declining), against {percent_text(fewer['kept_share'])} of the others."
        )
    return text


def economics_table(result: ReviewResult) -> pd.DataFrame:
    """Retention economics for the key accounts and for all customers, side by side."""
    rows = []
    for label, econ in (("key accounts", result.economics_key), ("all customers", result.economics_all)):
        if econ is None:
            continue
        rows.append(
            {
                "customers": label,
                "churn now": econ.churn_rate,
                "churn 5 points lower": econ.improved_churn_rate,
                "yearly gross profit": econ.yearly_margin,
                f"gross profit over {econ.horizon_years} years": econ.base_value,
                "with lower churn": econ.improved_value,
                "extra gross profit": econ.extra_profit,
                "profit lift": econ.profit_lift,
            }
        )
    return pd.DataFrame(rows)


def reason_table(result: ReviewResult) -> pd.DataFrame:
    """The pattern across lost and declining accounts: accounts and sales change per reason."""
    return readable_columns(
        result.reason_pattern,
        {
            "reason": "reason",
            "accounts": "accounts",
            "lost": "lost",
            "declining": "declining",
            "sales_change": "sales change",
            "share_of_change": "share of the change",
        },
    )


def drivers_table(result: ReviewResult) -> pd.DataFrame:
    """Questions ranked by how closely they move with overall satisfaction."""
    d = result.drivers
    if d.empty:
        return d
    return readable_columns(
        d.assign(dimension=d["dimension"].str.replace("_", " ")),
        {
            "dimension": "question",
            "respondents": "respondents",
            "correlation": "correlation with overall",
            "net_satisfaction": "net satisfaction",
            "caution": "caution",
        },
    )


def account_satisfaction(result: ReviewResult) -> pd.DataFrame:
    """Per planned account in the latest survey: answers by label (counts: few answers each)."""
    from kamtools.stages.review.satisfaction import satisfaction_distribution

    answers = result.answers
    if answers.empty or not result.survey_waves:
        return pd.DataFrame()
    ids = set(result.accounts["customer_id"])
    latest = answers[(answers["wave"] == result.survey_waves[-1]) & answers["customer_id"].isin(ids)]
    if latest.empty:
        return pd.DataFrame()
    dist = satisfaction_distribution(latest, by="customer_id", min_answers=result.settings.min_answers)
    dist.insert(0, "account", _names(result, dist["customer_id"]))
    return dist.sort_values("mean_score", kind="stable").reset_index(drop=True)


def settings_table(result: ReviewResult) -> pd.DataFrame:
    """The review's rules as the report states them."""
    s = result.settings
    return pd.DataFrame(
        [
            ("Lost: no purchase for more than", f"{s.lost_after_days} days"),
            ("Declining: sales down by more than", percent_text(s.decline_threshold)),
            ("At risk: purchases down by more than", percent_text(s.purchase_drop)),
            ("At risk: mean satisfaction below", f"{s.low_satisfaction:g} of 5"),
            ("At risk: satisfaction down by at least", f"{s.satisfaction_drop:g} points"),
            ("At risk: paying later by at least", f"{s.late_payment_rise_days:g} days"),
            ("No recent contact: none for more than", f"{s.no_contact_days} days"),
            ("Fewest answers behind a percentage", f"{s.min_answers}"),
            ("Retention economics: horizon", f"{s.horizon_years} years"),
            ("Retention economics: churn lower by", f"{round(s.churn_reduction * 100)} points"),
            ("Retention economics: discount rate", percent_text(s.discount_rate)),
            ("On plan: within", percent_text(s.ahead_tolerance) + " of plan"),
        ],
        columns=["rule", "value"],
    )


def bridge_caption(result: ReviewResult, *, currency: str) -> str:
    """The message of the revenue-bridge chart."""
    steps = result.dealer_bridge.set_index("step")["amount"]
    change = steps["current"] - steps["previous"]
    direction = "fell" if change < 0 else "rose"
    biggest = min(("new", "lost", "growth", "decline"), key=lambda s: -abs(steps.get(s, 0.0)))
    words = {
        "new": "new customers",
        "lost": "lost customers",
        "growth": "growth of the customers kept",
        "decline": "decline of the customers kept",
    }
    return (
        f"Sales {direction} by {money_text(abs(change), currency)}; the largest step is the {words[biggest]}"
        f" ({money_text(steps[biggest], currency)})"
    )


def plan_source_note(plan: object | None, period: int) -> str:
    """Which plan the review compared against (or that there was none)."""
    if plan is None:
        return f"No plan for {period} was found in the workspace; the plan sections are empty."
    saved = str(getattr(plan, "saved_at", "") or "")[:10]
    when = f", saved on {saved}" if saved else ""
    return f"The plan reviewed is revision {getattr(plan, 'revision', 0)} of the plan for {period}{when}."


def account_bridge_table(result: ReviewResult, *, limit: int = 12) -> pd.DataFrame:
    """Per account, last period's sales to this period's over product categories, largest fall first.

    New and lost categories are those the account bought in one period only; growth and decline
    are those it bought in both. Each row adds up from last period to this period to the cent.
    """
    steps = result.account_bridges
    if steps.empty:
        return pd.DataFrame()
    wide = steps.pivot_table(index="customer_id", columns="step", values="amount", aggfunc="sum")
    wide = wide.reindex(
        columns=["previous", "new", "lost", "growth", "decline", "other", "current"], fill_value=0.0
    )
    wide["change"] = wide["current"] - wide["previous"]
    wide = wide.sort_values("change", kind="stable").head(limit)
    return pd.DataFrame(
        {
            "account": _names(result, wide.index),
            f"sales {result.previous}": wide["previous"].to_numpy(),
            "new categories": wide["new"].to_numpy(),
            "lost categories": wide["lost"].to_numpy(),
            "growth": wide["growth"].to_numpy(),
            "decline": (wide["decline"] + wide["other"]).to_numpy(),
            f"sales {result.period}": wide["current"].to_numpy(),
        }
    )
