"""The client data contract: which tables kamtools reads and what each column means.

Every other module speaks these canonical names. A client's own export is mapped onto them
in ``client.yml`` (see :mod:`kamtools.workspace`), read by :mod:`kamtools.io` and checked by
:mod:`kamtools.validation`; analysis functions only ever see frames with these columns.

The contract is data, not code: a :class:`Table` lists its columns with their kind and whether
they are required, so the blank input templates, the validation and the README table are all
generated from the same place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

ColumnKind = Literal["id", "text", "number", "integer", "date", "score"]


@dataclass(frozen=True)
class Column:
    """One canonical column of an input table or of a stage output table."""

    name: str
    kind: ColumnKind
    required: bool = False
    description: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    """For text: the only values allowed (compared without case and surrounding spaces)."""


@dataclass(frozen=True)
class Table:
    """One canonical table (an input, or a stage output) and the columns it may hold.

    ``unique_key`` says what one row is ("one row per customer": ``("customer_id",)``).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    unique_key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


# The five labels of the satisfaction scale, best first; 5 = highly satisfied.
SATISFACTION_LABELS: dict[str, int] = {
    "highly satisfied": 5,
    "generally satisfied": 4,
    "no opinion": 3,
    "somewhat dissatisfied": 2,
    "extremely dissatisfied": 1,
}

# The two columns nearly every table shares, declared once.
CUSTOMER_ID = Column("customer_id", "id", True, "The dealer's customer number.", "C0001")
CUSTOMER_NAME = Column("name", "text", True, "Customer name.", "Alpha Building Supplies")


CUSTOMERS = Table(
    name="customers",
    description="The customer master: one row per customer.",
    required=True,
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        Column(
            "name", "text", True, "Customer name as it should appear in reports.", "Alpha Building Supplies"
        ),
        Column("region", "text", False, "Sales region or territory.", "North"),
        Column("segment", "text", False, "Segment or channel (retailer, installer, ...).", "Retail"),
        Column("customer_since", "date", False, "Date of the first business relationship.", "2019-03-01"),
        Column("credit_limit", "number", False, "Credit limit in the client's currency.", "50000"),
        Column("payment_terms_days", "integer", False, "Agreed payment terms in days.", "30"),
    ),
)

SALES = Table(
    name="sales",
    description="Invoice lines; a negative net_sales is a credit note or a return.",
    required=True,
    columns=(
        Column("invoice_date", "date", True, "Date of the invoice.", "2025-01-15"),
        Column("customer_id", "id", True, "Customer number, as in the customer master.", "C0001"),
        Column(
            "net_sales",
            "number",
            True,
            "Net sales amount of the line (after discounts, before VAT).",
            "1250.00",
        ),
        Column(
            "cost",
            "number",
            False,
            "Cost of goods sold for the line; without it margins are 'not available'.",
            "980.00",
        ),
        Column("quantity", "number", False, "Quantity sold.", "10"),
        Column("product", "text", False, "Product code or name.", "P-1001"),
        Column("category", "text", False, "Product category.", "Tools"),
        Column("invoice_id", "id", False, "Invoice number.", "INV-000001"),
    ),
)

RECEIVABLES = Table(
    name="receivables",
    description="Invoices with due and paid dates, for payment behaviour (financial reputation).",
    columns=(
        CUSTOMER_ID,
        Column("invoice_id", "id", False, "Invoice number.", "INV-000001"),
        Column("invoice_date", "date", False, "Invoice date.", "2025-01-15"),
        Column("due_date", "date", True, "Date payment was due.", "2025-02-14"),
        Column("paid_date", "date", False, "Date paid; empty while the invoice is open.", "2025-02-20"),
        Column("amount", "number", True, "Invoice amount.", "1250.00"),
    ),
)

COST_TO_SERVE = Table(
    name="cost_to_serve",
    description="Cost to serve per customer and fiscal year, as amounts or drivers.",
    unique_key=("customer_id", "period"),
    columns=(
        CUSTOMER_ID,
        Column("period", "integer", True, "Fiscal year (the calendar year in which it ends).", "2025"),
        Column("cost_amount", "number", False, "Total cost to serve, if known directly.", "4200"),
        Column("orders", "number", False, "Number of orders handled.", "48"),
        Column("deliveries", "number", False, "Number of deliveries.", "52"),
        Column("visits", "number", False, "Sales visits.", "12"),
        Column("returns", "number", False, "Returns handled.", "3"),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    description="Workshop scores (1 to 5) of a customer on a qualitative indicator.",
    columns=(
        CUSTOMER_ID,
        Column(
            "indicator", "text", True, "Indicator assessed (e.g. management_maturity).", "management_maturity"
        ),
        Column("score", "score", True, "Score from 1 (weak) to 5 (strong).", "4"),
        Column("assessor", "text", False, "Who gave the score.", "J. Smith"),
        Column("date", "date", False, "When it was given.", "2025-11-20"),
        Column("note", "text", False, "Why.", "Second-generation owner, uses ERP"),
    ),
)

SURVEYS = Table(
    name="surveys",
    description="Satisfaction survey answers on the 5-point scale (a label or 1 to 5).",
    columns=(
        CUSTOMER_ID,
        Column("date", "date", True, "Date of the answer.", "2025-06-30"),
        Column("dimension", "text", True, "Question or dimension.", "delivery"),
        Column(
            "answer", "score", True, "1 to 5, or one of the five satisfaction labels.", "generally satisfied"
        ),
    ),
)

MARKET = Table(
    name="market",
    description="Estimated wallet (total purchases in our categories) and main competitors.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        Column(
            "wallet", "number", True, "Estimated yearly purchases in our categories, all suppliers.", "400000"
        ),
        Column(
            "main_competitors",
            "text",
            False,
            "Main competing suppliers, separated by ';'.",
            "Beta Trade; Gamma",
        ),
    ),
)

TEAM = Table(
    name="team",
    description="The service team: who serves which accounts.",
    unique_key=("member",),
    columns=(
        Column("member", "text", True, "Team member name.", "J. Smith"),
        Column(
            "role", "text", True, "Role (account manager, inside sales, logistics, ...).", "account manager"
        ),
        Column("function", "text", False, "Department or function.", "Sales"),
        Column("accounts", "text", False, "Customer numbers served, separated by ';'.", "C0001"),
    ),
)

# Why a customer left or cut back, as the post-period review groups it.
DEFECTION_REASONS = ("price", "service", "product", "relationship", "moved to competitor", "business closed")

LOST_CUSTOMERS = Table(
    name="lost_customers",
    description="Customers lost or cutting back, and why (for the post-period review).",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        Column("lost_date", "date", False, "When the loss was noticed.", "2025-11-30"),
        Column(
            "reason",
            "text",
            True,
            "Main reason: " + ", ".join(DEFECTION_REASONS) + ".",
            "price",
            choices=DEFECTION_REASONS,
        ),
        Column(
            "competitor", "text", False, "Supplier the business went to, if known.", "Apex Trade Supplies"
        ),
        Column("note", "text", False, "What the customer said.", "Offered 4% lower prices on cement"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CUSTOMERS,
        SALES,
        RECEIVABLES,
        COST_TO_SERVE,
        ASSESSMENTS,
        SURVEYS,
        MARKET,
        TEAM,
        LOST_CUSTOMERS,
    )
}
"""Every table of the contract, by name, in the order a client fills them in."""


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], table: str, *, error: type[Exception] = ValueError
) -> None:
    """Raise ``error`` naming the columns of ``columns`` that ``frame`` lacks, and what it has.

    The check analysis functions make on the frames they are given (an input table, or the output
    of an earlier function), so that a missing column reads as a sentence, not a ``KeyError``.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise error(
            f"{table}: missing column(s) {', '.join(repr(c) for c in missing)};"
            f" it has {', '.join(repr(c) for c in frame.columns) or 'no columns'}"
        )


# --------------------------------------------------------------------------------------------
# Stage outputs: what one stage hands the next (written and read through kamtools.io, which
# checks them against these declarations). Columns beyond the declared ones may follow.

KEY_ACCOUNTS = Table(
    name="key_accounts",
    description="Screening: the key and growth accounts, key accounts first, best first.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column("tier", "text", True, "Key account or growth account.", "key", choices=("key", "growth")),
        Column(
            "rank", "integer", True, "Rank by screening score among the buying customers (1 = best).", "1"
        ),
        Column("score", "number", True, "Composite screening score, 0 to 100.", "87.5"),
        Column("sales", "number", True, "Net sales of the screened period.", "250000"),
        Column("gross_profit", "number", False, "Gross profit of the screened period.", "60000"),
        Column("margin", "number", False, "Gross margin as a fraction of sales.", "0.24"),
        Column(
            "account_manager",
            "text",
            False,
            "Account manager(s) serving it, from the team table.",
            "J. Smith",
        ),
        Column(
            "reason", "text", True, "Why the screening put it in its tier.", "top 1% of sales, 24% margin"
        ),
    ),
)

CUSTOMER_TIERS = Table(
    name="customer_tiers",
    description="Screening: every customer with its tier, score and reason.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column(
            "tier",
            "text",
            True,
            "Screening tier.",
            "maintain",
            choices=("key", "growth", "at_risk", "maintain", "review", "inactive"),
        ),
        Column("score", "number", False, "Composite screening score, 0 to 100 (buying customers).", "55.0"),
        Column("sales", "number", True, "Net sales of the screened period.", "12000"),
        Column("reason", "text", True, "Why the screening put it in its tier.", "rank 120 by score"),
    ),
)

NEEDS_SCORECARD = Table(
    name="needs_scorecard",
    description="Needs analysis: every key account on every indicator, against the key-account average.",
    unique_key=("customer_id", "indicator"),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column(
            "family",
            "text",
            True,
            "Indicator family.",
            "strength",
            choices=("strength", "capability", "hard"),
        ),
        Column(
            "indicator",
            "text",
            True,
            "Indicator (workshop indicators, then sales, margin, ...).",
            "logistics",
        ),
        Column("score", "number", False, "1 to 5 for workshop indicators; the value for hard ones.", "3.5"),
        Column("portfolio_average", "number", False, "Average over the key accounts with a score.", "3.2"),
        Column("best_quartile", "number", False, "What the best quarter of key accounts reach.", "4.0"),
        Column(
            "gap", "number", False, "How far the score falls short of the best quartile (0: none).", "0.5"
        ),
        Column(
            "assessors",
            "text",
            False,
            "Who scored it (assessors; 'payment record', 'order pattern').",
            "J. Smith",
        ),
        Column("spread", "number", False, "Highest minus lowest assessor's score.", "1"),
    ),
)

NEEDS_SUPPORT = Table(
    name="needs_support",
    description="Needs analysis: the support proposed to each key account, first things first, with why.",
    unique_key=("customer_id", "priority"),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column("offering", "text", True, "Support offering (from the catalogue).", "Logistics support"),
        Column("indicator", "text", True, "The weak indicator it addresses.", "logistics"),
        Column("reason", "text", True, "Why it was proposed.", "Logistics 2.0 of 5 (average 3.2)"),
        Column("priority", "integer", True, "1 = first.", "1"),
    ),
)

NEEDS_TEAM = Table(
    name="needs_team",
    description="Needs analysis: the service team of each key account, one row per function.",
    unique_key=("customer_id", "function"),
    columns=(
        CUSTOMER_ID,
        Column("function", "text", True, "sales, logistics, finance, marketing or service.", "sales"),
        Column("member", "text", False, "Who serves it (empty: nobody in the team).", "J. Smith"),
        Column("role", "text", False, "Their role.", "account manager"),
    ),
)

ACCOUNT_PROFIT = Table(
    name="account_profit",
    description="Needs analysis: each key account from sales to contribution; *_cost columns per component.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column("sales", "number", True, "Net sales of the period.", "250000"),
        Column("gross_profit", "number", False, "Gross profit of the period.", "60000"),
        Column(
            "cost_to_serve", "number", False, "All cost components (empty: no cost-to-serve data).", "8000"
        ),
        Column("contribution", "number", False, "Gross profit minus cost to serve.", "52000"),
    ),
)

REVIEW_ATTAINMENT = Table(
    name="review_attainment",
    description="Review: each planned account's whole-period figures against its plan, per metric.",
    unique_key=("customer_id", "metric"),
    columns=(
        CUSTOMER_ID,
        Column(
            "metric",
            "text",
            True,
            "What the goal is set on.",
            "sales",
            choices=("sales", "gross_profit", "share_of_wallet"),
        ),
        Column("baseline", "number", False, "Last period's figure (the plan's baseline).", "240000"),
        Column("plan", "number", True, "The plan goal for the period (sum of the stages).", "260000"),
        Column("stretch", "number", False, "The stretch goal.", "280000"),
        Column("actual", "number", False, "The period's actual figure.", "251000"),
        Column("variance", "number", False, "Actual minus plan.", "-9000"),
        Column("attainment", "number", False, "Actual over plan (1 = plan met).", "0.965"),
        Column(
            "status",
            "text",
            True,
            "Where the actual stands against the goals.",
            "behind",
            choices=("stretch reached", "ahead", "on plan", "behind", "no data"),
        ),
    ),
)

REVIEW_AT_RISK = Table(
    name="review_at_risk",
    description="Review: planned accounts still buying that show a warning sign, with the reasons.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        Column("current_sales", "number", True, "Net sales of the reviewed period.", "251000"),
        Column(
            "value_at_risk", "number", True, "Gross profit expected over the horizon if it stays.", "180000"
        ),
        Column("signs", "integer", True, "How many warning signs.", "2"),
        Column("reasons", "text", True, "The signs in words.", "purchases down 21%"),
    ),
)

TIER_PROPOSALS = Table(
    name="tier_proposals",
    description="Review: tier changes proposed to the next screening, with their reasons.",
    unique_key=("customer_id",),
    columns=(
        CUSTOMER_ID,
        CUSTOMER_NAME,
        Column("current_tier", "text", True, "Tier in the reviewed plan.", "key", choices=("key", "growth")),
        Column(
            "proposal",
            "text",
            True,
            "What the review proposes.",
            "review",
            choices=("promote", "demote", "review"),
        ),
        Column("proposed_tier", "text", True, "The tier proposed.", "key"),
        Column("reason", "text", True, "Why.", "reached 68% of the sales plan"),
    ),
)

PLAN_GOALS = Table(
    name="plan_goals",
    description="Plan development: each account's goals by stage of the plan period (money stages add up).",
    unique_key=("customer_id", "stage", "metric"),
    columns=(
        CUSTOMER_ID,
        Column("stage", "text", True, "Stage of the plan period (Q1..Q4 by default).", "Q1"),
        Column(
            "metric",
            "text",
            True,
            "What the goal measures.",
            "sales",
            choices=("sales", "gross_profit", "share_of_wallet"),
        ),
        Column("baseline", "number", False, "The last period's figure in that stage.", "120000"),
        Column("plan", "number", False, "The plan goal (a share of wallet as a fraction).", "132000"),
        Column("stretch", "number", False, "The stretch goal.", "140000"),
    ),
)

PLAN_ACTIONS = Table(
    name="plan_actions",
    description="Plan development: who does what with each account, by when, for what effect.",
    unique_key=("action_id",),
    columns=(
        Column("action_id", "id", True, "Action number, unique in the plan.", "C0001-A01"),
        CUSTOMER_ID,
        Column("title", "text", True, "What is done.", "Sales training"),
        Column(
            "support", "text", False, "The support offering it delivers (needs analysis).", "Sales training"
        ),
        Column("owner", "text", False, "Team member responsible.", "J. Smith"),
        Column("counterpart", "text", False, "The account's person it is agreed with.", "Sales manager"),
        Column("start", "date", True, "Planned start.", "2026-04-01"),
        Column("due", "date", True, "Planned end.", "2026-06-30"),
        Column("expected_effect", "text", False, "What it should change.", "Raise marketing from 2.0 to 3.1"),
        Column(
            "status",
            "text",
            True,
            "Where it stands.",
            "planned",
            choices=("planned", "in progress", "done", "dropped"),
        ),
    ),
)

PLAN_CONTACTS = Table(
    name="plan_contacts",
    description="Plan development: the contact cadence per account (contacts per quarter).",
    unique_key=("customer_id", "contact_type"),
    columns=(
        CUSTOMER_ID,
        Column(
            "contact_type", "text", True, "Kind of contact.", "visit", choices=("visit", "call", "review")
        ),
        Column("per_quarter", "integer", True, "Planned contacts per quarter.", "3"),
        Column("account_manager", "text", False, "The dealer's one point of contact.", "J. Smith"),
        Column("counterpart", "text", False, "The account's person.", "Owner"),
    ),
)

OUTPUTS: dict[str, Table] = {
    t.name: t
    for t in (
        KEY_ACCOUNTS,
        CUSTOMER_TIERS,
        NEEDS_SCORECARD,
        NEEDS_SUPPORT,
        NEEDS_TEAM,
        ACCOUNT_PROFIT,
        PLAN_GOALS,
        PLAN_ACTIONS,
        PLAN_CONTACTS,
        REVIEW_ATTAINMENT,
        REVIEW_AT_RISK,
        TIER_PROPOSALS,
    )
}
"""Every stage output table, by name (the file stem in a run folder)."""
