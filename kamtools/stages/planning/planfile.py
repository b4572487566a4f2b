"""The plan file: the key account plans of one period, saved in the client's workspace.

``<workspace>/plans/plan_<period>.yml`` holds every key account's plan in plain YAML, so that a
consultant can read and, if need be, edit it by hand, and the review stage reads it back a
year later. Every save first copies the file it replaces into ``plans/history/``: no version
is ever lost. A file edited by hand is checked field by field on reading; each problem names
the file, the account and the field (``plan_2027.yml, account C00012, field goals.sales.plan:
must be a number, got 'abc'``).

Schema ``kamtools-plan/1`` (top level, then one entry per account)::

    schema: kamtools-plan/1
    client: Northwind Building Supplies
    currency: EUR
    period: 2027                  # the plan period (calendar year in which the fiscal year ends)
    period_start: '2026-04-01'
    period_end: '2027-03-31'
    baseline_period: 2026         # "last period", the baseline of every goal
    revision: 3                   # 1 on the first save, +1 on every save
    saved_at: '2026-12-01T08:15:00+00:00'
    stages:                       # ordered; quarters Q1..Q4 of the fiscal year by default
    - {stage: Q1, start: '2026-04-01', end: '2026-06-30'}
    accounts:
    - customer_id: C00012
      name: ...
      tier: key                   # key | growth
      account_manager: ...        # the dealer's one point of contact ('' = not yet named)
      counterpart: ...            # the account's person (a name or a role)
      seasonal_profile: {Q1: 0.27, Q2: 0.28, Q3: 0.24, Q4: 0.21}
      goals:                      # sales and gross_profit in money, share_of_wallet as 0..1
        sales: {baseline: ..., plan: ..., stretch: ...,
                stages: {Q1: {baseline: ..., plan: ..., stretch: ...}, ...}}
        gross_profit: {...}
        share_of_wallet: {...}    # null values without a wallet estimate
      contacts: {visit: 3, call: 6, review: 1}   # planned contacts per quarter
      actions:
      - {action_id: C00012-A01, title: ..., support: ..., owner: ..., counterpart: ...,
         start: '2026-04-01', due: '2026-06-30', expected_effect: ..., status: planned}
      swot: {strength: [...], weakness: [...], opportunity: [...], threat: [...]}
      market: {wallet: ..., share_of_wallet: ..., headroom: ..., competitors: [...], white_space: [...]}

Rules checked on reading: goals are numbers (or null), ``stretch >= plan``, money stages add up
to the year to the cent (delete ``stages:`` to have a changed goal re-split along the seasonal
profile), stage names are the file's stages, share of wallet within 0..1, actions have unique
ids, a known status and ISO dates with due on or after start inside the plan period, contacts
are whole numbers >= 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kamtools.io import InputFileError, keep_version, read_yaml, write_text_atomic
from kamtools.stages.planning.actions import ACTION_COLUMNS, action_problems, as_date
from kamtools.stages.planning.contacts import CONTACT_COLUMNS
from kamtools.stages.planning.goals import METRICS, MONEY_METRICS, PLAN_GOAL_COLUMNS, split_exact, to_cents
from kamtools.stages.planning.settings import CONTACT_TYPES, PlanningProblems
from kamtools.stages.planning.swot import QUADRANTS

__all__ = [
    "SCHEMA",
    "AccountPlan",
    "GoalFigures",
    "MetricGoal",
    "Plan",
    "PlanAction",
    "PlanFileError",
    "PlanProblem",
    "PlanStage",
    "normalised",
    "plan_from_mapping",
    "plan_path",
    "plan_tables",
    "plan_to_mapping",
    "plan_yaml",
    "read_plan",
    "save_plan",
]

SCHEMA = "kamtools-plan/1"
"""Schema id of the plan file; a reader refuses files of another major version."""
PLANS_DIR = "plans"
HISTORY_DIR = "history"
TIERS = ("key", "growth")
FIGURES = ("baseline", "plan", "stretch")


@dataclass(frozen=True)
class PlanStage:
    """One stage of the plan period: label and inclusive first and last day."""

    stage: str
    start: date
    end: date


@dataclass(frozen=True)
class GoalFigures:
    """Baseline (last period), plan goal and stretch goal of one metric, for a year or a stage."""

    baseline: float | None
    plan: float | None
    stretch: float | None


@dataclass(frozen=True)
class MetricGoal:
    """A metric's goals for the year and per stage (stage label → figures)."""

    year: GoalFigures
    stages: Mapping[str, GoalFigures]


@dataclass(frozen=True)
class PlanAction:
    """One action of an account plan (the ``plan_actions`` columns less ``customer_id``)."""

    action_id: str
    title: str
    support: str
    owner: str
    counterpart: str
    start: date
    due: date
    expected_effect: str
    status: str = "planned"


@dataclass(frozen=True)
class AccountPlan:
    """The plan of one key or growth account."""

    customer_id: str
    name: str
    tier: str
    account_manager: str
    counterpart: str
    seasonal_profile: Mapping[str, float]
    goals: Mapping[str, MetricGoal]
    contacts: Mapping[str, int]
    actions: tuple[PlanAction, ...] = ()
    swot: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    market: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """All key account plans of one period: what the plan file holds."""

    client: str
    currency: str
    period: int
    period_start: date
    period_end: date
    baseline_period: int
    stages: tuple[PlanStage, ...]
    accounts: tuple[AccountPlan, ...]
    revision: int = 0
    saved_at: str = ""

    def account(self, customer_id: str) -> AccountPlan:
        """The plan of one account; KeyError naming it when the plan has none."""
        for account in self.accounts:
            if account.customer_id == str(customer_id):
                return account
        raise KeyError(f"the plan for {self.period} has no account {customer_id!r}")

    @property
    def stage_labels(self) -> list[str]:
        return [s.stage for s in self.stages]


@dataclass(frozen=True)
class PlanProblem:
    """One thing wrong in a plan file: where (file, account, field) and what."""

    file: str
    account: str
    field: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.account:
            where.append(f"account {self.account}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.message}"


class PlanFileError(PlanningProblems):
    """A plan file cannot be used as it is; ``problems`` lists every problem found."""


def plan_path(workspace: Path, period: int) -> Path:
    """``<workspace>/plans/plan_<period>.yml``."""
    return Path(workspace) / PLANS_DIR / f"plan_{int(period)}.yml"


# --- Plan -> plain data ------------------------------------------------------------------------


def _number(value: float | None, *, share: bool = False) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6) if share else to_cents(value) / 100


def _figures(figures: GoalFigures, share: bool) -> dict[str, float | None]:
    return {name: _number(getattr(figures, name), share=share) for name in FIGURES}


def plan_to_mapping(plan: Plan) -> dict[str, Any]:
    """The plan as plain YAML-ready data in the documented schema order."""
    accounts = []
    for account in plan.accounts:
        goals = {}
        for metric, goal in account.goals.items():
            share = metric not in MONEY_METRICS
            goals[metric] = {
                **_figures(goal.year, share),
                "stages": {label: _figures(f, share) for label, f in goal.stages.items()},
            }
        accounts.append(
            {
                "customer_id": account.customer_id,
                "name": account.name,
                "tier": account.tier,
                "account_manager": account.account_manager,
                "counterpart": account.counterpart,
                "seasonal_profile": {k: round(float(v), 6) for k, v in account.seasonal_profile.items()},
                "goals": goals,
                "contacts": {k: int(v) for k, v in account.contacts.items()},
                "actions": [
                    {
                        "action_id": a.action_id,
                        "title": a.title,
                        "support": a.support,
                        "owner": a.owner,
                        "counterpart": a.counterpart,
                        "start": a.start.isoformat(),
                        "due": a.due.isoformat(),
                        "expected_effect": a.expected_effect,
                        "status": a.status,
                    }
                    for a in account.actions
                ],
                "swot": {q: list(account.swot.get(q, ())) for q in QUADRANTS},
                "market": _plain(account.market),
            }
        )
    return {
        "schema": SCHEMA,
        "client": plan.client,
        "currency": plan.currency,
        "period": int(plan.period),
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "baseline_period": int(plan.baseline_period),
        "revision": int(plan.revision),
        "saved_at": plan.saved_at,
        "stages": [
            {"stage": s.stage, "start": s.start.isoformat(), "end": s.end.isoformat()} for s in plan.stages
        ],
        "accounts": accounts,
    }


def _plain(value: Any) -> Any:
    """Nested mappings, sequences and numpy scalars as plain YAML types (NaN as null)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- Plain data -> Plan, with every problem named ----------------------------------------------


class _Checker:
    """Collects the problems of one file while it is read."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[PlanProblem] = []

    def add(self, account: str, where: str, message: str) -> None:
        self.problems.append(PlanProblem(self.file, account, where, message))

    def text(
        self, data: Mapping[str, Any], key: str, account: str, where: str, *, required: bool = False
    ) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(account, where, f"must be text, got {value!r}")
            return ""
        value = str(value)
        if required and not value.strip():
            self.add(account, where, "must not be empty")
        return value

    def number(self, value: Any, account: str, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            self.add(account, where, f"must be a number (no thousands separators or currency), got {value!r}")
            return None
        return float(value)

    def day(self, value: Any, account: str, where: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.add(account, where, f"must be a date as YYYY-MM-DD, got {value!r}")
            return None

    def mapping(self, value: Any, account: str, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(account, where, f"must be a mapping of names to values, got {type(value).__name__}")
            return {}
        return value


def _read_figures(check: _Checker, data: Any, account: str, where: str, share: bool) -> GoalFigures:
    data = check.mapping(data, account, where)
    values = {}
    for name in FIGURES:
        value = check.number(data.get(name), account, f"{where}.{name}")
        if value is not None and share and not 0 <= value <= 1:
            check.add(account, f"{where}.{name}", f"a share of wallet must be from 0 to 1, got {value!r}")
        if value is not None and where.startswith("goals.sales") and name != "baseline" and value < 0:
            check.add(account, f"{where}.{name}", f"a goal must not be negative, got {value!r}")
        values[name] = value
    if (
        values["plan"] is not None
        and values["stretch"] is not None
        and values["stretch"] < values["plan"] - 1e-9
    ):
        check.add(
            account,
            f"{where}.stretch",
            f"the stretch goal {values['stretch']!r} is below the plan {values['plan']!r}",
        )
    return GoalFigures(**values)


def _read_goal(
    check: _Checker, data: Any, account: str, metric: str, labels: list[str], profile: Mapping[str, float]
) -> MetricGoal:
    where = f"goals.{metric}"
    data = check.mapping(data, account, where)
    share = metric not in MONEY_METRICS
    year = _read_figures(check, data, account, where, share)
    raw_stages = data.get("stages")
    if raw_stages is None:
        return MetricGoal(year, resplit(year, labels, profile, share=share))
    raw_stages = check.mapping(raw_stages, account, f"{where}.stages")
    names = [str(k) for k in raw_stages]
    if names != labels:
        check.add(
            account,
            f"{where}.stages",
            f"must name the plan's stages {', '.join(labels)}; got {', '.join(names)}",
        )
    stages = {
        str(k): _read_figures(check, v, account, f"{where}.stages.{k}", share) for k, v in raw_stages.items()
    }
    if not share and names == labels:
        for name in FIGURES:
            total = getattr(year, name)
            parts = [getattr(f, name) for f in stages.values()]
            if total is None or any(p is None for p in parts):
                continue
            if sum(to_cents(p) for p in parts) != to_cents(total):
                check.add(
                    account,
                    f"{where}.stages",
                    f"the stages' {name} add up to {sum(parts):,.2f}, not the year's {total:,.2f};"
                    " correct a stage, or delete 'stages:' to split the year's goal again",
                )
    return MetricGoal(year, stages)


def resplit(
    year: GoalFigures, labels: list[str], profile: Mapping[str, float], *, share: bool
) -> dict[str, GoalFigures]:
    """Stage figures for a year's goals along a seasonal profile (money: exact to the cent).

    A share of wallet keeps the year's level in every stage.
    """
    weights = [float(profile.get(label, 0.0)) for label in labels]
    if share:
        return {label: year for label in labels}
    parts = {
        name: (split_exact(value, weights) if value is not None else [None] * len(labels))
        for name, value in ((n, getattr(year, n)) for n in FIGURES)
    }
    return {label: GoalFigures(*(parts[n][i] for n in FIGURES)) for i, label in enumerate(labels)}


def _read_actions(
    check: _Checker, data: Any, account: str, period: tuple[date, date] | None
) -> list[PlanAction]:
    if data is None:
        return []
    if not isinstance(data, list):
        check.add(account, "actions", f"must be a list of actions, got {type(data).__name__}")
        return []
    out = []
    for i, raw in enumerate(data, start=1):
        where = f"actions[{i}]"
        if not isinstance(raw, Mapping):
            check.add(account, where, "must be a mapping (action_id, title, owner, ...)")
            continue
        label = f"{where} ({raw.get('action_id')})" if raw.get("action_id") else where
        unknown = sorted(str(k) for k in raw if k not in PlanAction.__dataclass_fields__)
        if unknown:
            check.add(account, f"{label}", f"unknown field(s) {', '.join(unknown)}")
        for name, message in action_problems(raw, period=period):
            check.add(account, f"{label}.{name}", message)
        start, due = as_date(raw.get("start")), as_date(raw.get("due"))
        if start is None or due is None:
            continue
        out.append(
            PlanAction(
                action_id=str(raw.get("action_id", "")),
                title=str(raw.get("title", "")),
                support=str(raw.get("support") or ""),
                owner=str(raw.get("owner") or ""),
                counterpart=str(raw.get("counterpart") or ""),
                start=start,
                due=due,
                expected_effect=str(raw.get("expected_effect") or ""),
                status=str(raw.get("status", "")),
            )
        )
    return out


def _read_account(
    check: _Checker, raw: Any, index: int, labels: list[str], period: tuple[date, date] | None
) -> AccountPlan | None:
    if not isinstance(raw, Mapping):
        check.add("", f"accounts[{index}]", "must be a mapping (customer_id, name, goals, ...)")
        return None
    account = str(raw.get("customer_id") or f"#{index}")
    if not str(raw.get("customer_id") or "").strip():
        check.add(account, "customer_id", "must not be empty")
    tier = raw.get("tier", "key")
    if tier not in TIERS:
        check.add(account, "tier", f"must be one of {', '.join(TIERS)}; got {tier!r}")
    profile_raw = check.mapping(raw.get("seasonal_profile"), account, "seasonal_profile")
    profile = {}
    for label, value in profile_raw.items():
        number = check.number(value, account, f"seasonal_profile.{label}")
        profile[str(label)] = 0.0 if number is None else number
    if profile and list(profile) != labels:
        check.add(account, "seasonal_profile", f"must name the plan's stages {', '.join(labels)}")
    goals_raw = check.mapping(raw.get("goals"), account, "goals")
    unknown = sorted(str(k) for k in goals_raw if k not in METRICS)
    if unknown:
        check.add(account, "goals", f"unknown metric(s) {', '.join(unknown)}; allowed: {', '.join(METRICS)}")
    goals = {
        m: _read_goal(check, goals_raw[m], account, m, labels, profile) for m in METRICS if m in goals_raw
    }
    contacts_raw = check.mapping(raw.get("contacts"), account, "contacts")
    contacts = {}
    for kind, value in contacts_raw.items():
        if kind not in CONTACT_TYPES:
            check.add(
                account, f"contacts.{kind}", f"unknown contact type; allowed: {', '.join(CONTACT_TYPES)}"
            )
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            check.add(
                account,
                f"contacts.{kind}",
                f"must be a whole number of contacts per quarter >= 0, got {value!r}",
            )
        else:
            contacts[kind] = value
    swot_raw = check.mapping(raw.get("swot"), account, "swot")
    swot = {}
    for quadrant, items in swot_raw.items():
        if quadrant not in QUADRANTS:
            check.add(account, f"swot.{quadrant}", f"unknown quadrant; allowed: {', '.join(QUADRANTS)}")
        elif items is not None and (
            not isinstance(items, list) or not all(isinstance(i, str) for i in items)
        ):
            check.add(account, f"swot.{quadrant}", "must be a list of sentences")
        else:
            swot[quadrant] = tuple(items or ())
    return AccountPlan(
        customer_id=account,
        name=check.text(raw, "name", account, "name", required=True),
        tier=str(tier),
        account_manager=check.text(raw, "account_manager", account, "account_manager"),
        counterpart=check.text(raw, "counterpart", account, "counterpart"),
        seasonal_profile=profile,
        goals=goals,
        contacts=contacts,
        actions=tuple(_read_actions(check, raw.get("actions"), account, period)),
        swot=swot,
        market=dict(check.mapping(raw.get("market"), account, "market")),
    )


def _read_stages(check: _Checker, raw_stages: Any) -> list[PlanStage]:
    if not isinstance(raw_stages, list) or not raw_stages:
        check.add("", "stages", "must list the plan's stages (stage, start, end)")
        return []
    stages = []
    for i, raw in enumerate(raw_stages, start=1):
        raw = check.mapping(raw, "", f"stages[{i}]")
        first = check.day(raw.get("start"), "", f"stages[{i}].start")
        last = check.day(raw.get("end"), "", f"stages[{i}].end")
        if raw.get("stage") and first and last:
            stages.append(PlanStage(str(raw["stage"]), first, last))
    return stages


def plan_from_mapping(data: Mapping[str, Any], *, file: str = "plan file") -> Plan:
    """A :class:`Plan` from plain data (a parsed plan file), checked field by field.

    Raises
    ------
    PlanFileError
        Listing every problem found, each with ``file``, ``account`` and ``field``.
    """
    check = _Checker(file)
    schema = data.get("schema")
    if schema != SCHEMA:
        check.add(
            "", "schema", f"must be {SCHEMA!r} (this kamtools reads version 1 plan files), got {schema!r}"
        )
        raise PlanFileError(check.problems)
    period = data.get("period")
    if isinstance(period, bool) or not isinstance(period, int):
        check.add("", "period", f"must be a fiscal year such as 2027, got {period!r}")
    baseline = data.get("baseline_period")
    if isinstance(baseline, bool) or not isinstance(baseline, int):
        check.add("", "baseline_period", f"must be a fiscal year such as 2026, got {baseline!r}")
    start, end = (
        check.day(data.get("period_start"), "", "period_start"),
        check.day(data.get("period_end"), "", "period_end"),
    )
    stages = _read_stages(check, data.get("stages"))
    labels = [s.stage for s in stages]
    if len(set(labels)) != len(labels):
        check.add("", "stages", f"stage names must be unique, got {', '.join(labels)}")
    raw_accounts = data.get("accounts") or []
    if not isinstance(raw_accounts, list):
        check.add("", "accounts", "must be a list of account plans")
        raw_accounts = []
    bounds = (start, end) if start and end else None
    accounts = [
        a
        for i, raw in enumerate(raw_accounts, start=1)
        if (a := _read_account(check, raw, i, labels, bounds))
    ]
    seen: set[str] = set()
    action_ids: set[str] = set()
    for account in accounts:
        if account.customer_id in seen:
            check.add(account.customer_id, "customer_id", "appears more than once in the plan")
        seen.add(account.customer_id)
        for action in account.actions:
            if action.action_id in action_ids:
                check.add(
                    account.customer_id, f"actions ({action.action_id})", "action_id is used more than once"
                )
            action_ids.add(action.action_id)
    revision = data.get("revision", 0)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        check.add("", "revision", f"must be a whole number >= 0, got {revision!r}")
        revision = 0
    if check.problems:
        raise PlanFileError(check.problems)
    return Plan(
        client=str(data.get("client") or ""),
        currency=str(data.get("currency") or ""),
        period=int(period),
        period_start=start,
        period_end=end,
        baseline_period=int(baseline),
        stages=tuple(stages),
        accounts=tuple(accounts),
        revision=revision,
        saved_at=str(data.get("saved_at") or ""),
    )


def normalised(plan: Plan, *, file: str = "plan") -> Plan:
    """The plan exactly as a save and a read give it back (money in cents, plain types).

    Raises
    ------
    PlanFileError
        The plan breaks a rule of the schema (e.g. a stretch goal below the plan).
    """
    return plan_from_mapping(plan_to_mapping(plan), file=file)


def read_plan(path: Path) -> Plan:
    """Read and check a plan file.

    Raises
    ------
    kamtools.io.InputFileError
        The file is missing or not valid YAML (the message names the file).
    PlanFileError
        The file does not follow the schema; every problem names file, account and field.
    """
    data = read_yaml(Path(path))
    return plan_from_mapping(data, file=Path(path).name)


_FAST_SAFE_DUMPER = getattr(yaml, "CSafeDumper", None)
"""libyaml's emitter behind PyYAML's safe representer, when PyYAML was built with it."""
_NOT_FOR_LIBYAML = re.compile("[\x85\ud800-\udfff\U00010000-\U0010ffff]")
"""Characters libyaml writes differently from PyYAML's own emitter: it escapes NEL and every
character beyond the Basic Multilingual Plane (emoji, rare scripts) where PyYAML writes them as
they are (tests/test_planning_fast_paths.py compares the two emitters on every other one)."""


def _texts(value: Any) -> Iterator[str]:
    """Every text in a plan mapping: keys and values, through nested mappings and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def plan_yaml(data: Mapping[str, Any]) -> str:
    """The YAML text of a plan mapping, exactly as ``yaml.safe_dump`` writes it.

    Why: PyYAML's pure-Python emitter took most of a save (about 0.3 s for the demo's 45
    accounts); libyaml's emitter writes the same text several times faster. It is used only
    when no text holds a character it writes differently (:data:`_NOT_FOR_LIBYAML`), otherwise
    the pure emitter writes the file, so the text never depends on how PyYAML was built.
    """
    options: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 1000}
    if _FAST_SAFE_DUMPER is not None and not any(_NOT_FOR_LIBYAML.search(t) for t in _texts(data)):
        return yaml.dump(dict(data), Dumper=_FAST_SAFE_DUMPER, **options)
    return yaml.safe_dump(dict(data), **options)


_READ_FROM_DISK: Any = object()
"""``save_plan``'s default for ``on_disk``: read the plan file being replaced."""


def save_plan(
    workspace: Path, plan: Plan, *, now: datetime | None = None, on_disk: Plan | None = _READ_FROM_DISK
) -> tuple[Plan, Path]:
    """Save a plan as ``plans/plan_<period>.yml``, keeping the file it replaces in ``plans/history/``.

    The saved plan gets the next revision number (one more than the file on disk, or than the
    plan given) and the time of saving. Saving a plan identical to the file on disk (revision and
    time aside) writes nothing.

    Parameters
    ----------
    on_disk : Plan or None, optional
        The plan file as the caller has just read it (:func:`read_plan`), None when there is
        none: it is not read a second time (a tenth of a second for the demo's 45 accounts, at
        the end of a run's chain). By default the file is read here.

    Returns
    -------
    tuple of (Plan, Path)
        The plan as saved and the path of the plan file.
    """
    path = plan_path(workspace, plan.period)
    current: Plan | None = None if on_disk is _READ_FROM_DISK else on_disk
    if on_disk is _READ_FROM_DISK and path.exists():
        try:
            current = read_plan(path)
        except (InputFileError, PlanFileError):
            current = None  # a broken file is kept in history below and replaced
    plan = normalised(plan)  # as it will read back: rounded to cents, plain types; checked
    if current is not None and replace(current, revision=0, saved_at="") == replace(
        plan, revision=0, saved_at=""
    ):
        return current, path
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    revision = max(plan.revision, current.revision if current else 0) + 1
    saved = replace(plan, revision=revision, saved_at=stamp.isoformat(timespec="seconds"))
    old_revision = current.revision if current else "broken"
    keep_version(path, path.parent / HISTORY_DIR, label=f"r{old_revision}.{stamp:%Y%m%dT%H%M%SZ}")
    text = plan_yaml(plan_to_mapping(saved))
    write_text_atomic(
        path,
        f"# Key account plans {saved.period} of {saved.client}: kamtools plan file, schema"
        f" {SCHEMA}.\n# Edit with care; every save keeps the previous file in plans/history/.\n{text}",
    )
    return saved, path


# --- Plan -> the stage's output tables -----------------------------------------------------------


def plan_tables(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The plan as the stage's three output tables: ``plan_goals``, ``plan_actions``, ``plan_contacts``.

    Returns
    -------
    tuple of pandas.DataFrame
        * ``plan_goals``: customer_id, stage, metric, baseline, plan, stretch; one row per
          account, metric and stage (money stages add up to the year);
        * ``plan_actions``: action_id, customer_id, title, support, owner, counterpart, start,
          due (dates), expected_effect, status;
        * ``plan_contacts``: customer_id, contact_type, per_quarter, account_manager, counterpart.
    """
    goals, actions, contacts = [], [], []
    for account in plan.accounts:
        for metric in METRICS:
            goal = account.goals.get(metric)
            if goal is None:
                continue
            for label in plan.stage_labels:
                f = goal.stages.get(label, GoalFigures(None, None, None))
                goals.append((account.customer_id, label, metric, f.baseline, f.plan, f.stretch))
        actions += [
            (
                a.action_id,
                account.customer_id,
                a.title,
                a.support,
                a.owner,
                a.counterpart,
                a.start,
                a.due,
                a.expected_effect,
                a.status,
            )
            for a in account.actions
        ]
        contacts += [
            (
                account.customer_id,
                kind,
                int(account.contacts.get(kind, 0)),
                account.account_manager,
                account.counterpart,
            )
            for kind in CONTACT_TYPES
        ]
    plan_goals = pd.DataFrame(goals, columns=list(PLAN_GOAL_COLUMNS))
    for column in FIGURES:
        plan_goals[column] = pd.to_numeric(plan_goals[column], errors="coerce").astype("float64")
    plan_actions = pd.DataFrame(actions, columns=list(ACTION_COLUMNS))
    for column in ("start", "due"):
        plan_actions[column] = pd.to_datetime(plan_actions[column])
    plan_contacts = pd.DataFrame(contacts, columns=list(CONTACT_COLUMNS)).astype({"per_quarter": "int64"})
    return plan_goals, plan_actions, plan_contacts
