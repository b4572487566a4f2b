"""Settings of the plan development stage: every rule as data, each with a default.

Read them from the ``planning:`` section of ``client.yml`` with
:meth:`PlanningSettings.from_mapping`; an unknown key is refused with its name and the list of
allowed keys, so a typo never silently keeps a default. Fractions are written as fractions
(0.1 = 10 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from kamtools.stages.registry import check_settings_rules, settings_values

__all__ = [
    "CONTACT_TYPES",
    "DEFAULT_CADENCE",
    "DEFAULT_COUNTERPART_ROLES",
    "DEFAULT_OFFERING_FUNCTIONS",
    "PlanningError",
    "PlanningInputError",
    "PlanningProblems",
    "PlanningSettings",
    "PlanningSettingsError",
]

CONTACT_TYPES: tuple[str, ...] = ("visit", "call", "review")
"""Kinds of planned contact with an account, in the order reports list them."""

DEFAULT_CADENCE: Mapping[str, Mapping[str, int]] = {
    "key": {"visit": 3, "call": 6, "review": 1},
    "growth": {"visit": 2, "call": 3, "review": 1},
}
"""Contacts per quarter by tier: a key account is visited monthly, called every other week and
reviewed once a quarter; a growth account a little less often."""

DEFAULT_OFFERING_FUNCTIONS: Mapping[str, str] = {
    "sales training": "sales",
    "store image and display": "marketing",
    "staff training": "service",
    "outlet management": "sales",
    "logistics support": "logistics",
    "credit terms": "finance",
    "joint marketing": "marketing",
    "management coaching": "sales",
}
"""The dealer's function that owns each support offering (the owner is that function's member
of the account's service team, else the account manager)."""

DEFAULT_COUNTERPART_ROLES: Mapping[str, str] = {
    "sales training": "Sales manager",
    "store image and display": "Store manager",
    "staff training": "Operations manager",
    "outlet management": "Store manager",
    "logistics support": "Warehouse manager",
    "credit terms": "Finance manager",
    "joint marketing": "Marketing manager",
    "management coaching": "Owner or managing director",
}
"""Who at the account an action of each offering is agreed with, until the workshop names them."""


class PlanningError(ValueError):
    """Base class of the errors raised by the plan development functions."""


class PlanningInputError(PlanningError):
    """An input frame lacks a column the plan needs; the message names table and column."""


class PlanningProblems(PlanningError):
    """A file of the stage (plan file, tracker) has problems; ``problems`` lists them all.

    Each problem prints as a sentence that says where it is (file, account or sheet and row,
    field or column); the message shows the first 20.
    """

    def __init__(self, problems: list[object]) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"... and {len(self.problems) - 20} more")
        super().__init__("\n".join(lines))


class PlanningSettingsError(PlanningError):
    """A planning setting is unknown or out of range; the message names it."""


def _default_cadence() -> dict[str, dict[str, int]]:
    return {tier: dict(counts) for tier, counts in DEFAULT_CADENCE.items()}


def _default_offering_functions() -> dict[str, str]:
    return dict(DEFAULT_OFFERING_FUNCTIONS)


def _default_counterpart_roles() -> dict[str, str]:
    return dict(DEFAULT_COUNTERPART_ROLES)


@dataclass(frozen=True)
class PlanningSettings:
    """Every rule of the plan development as data.

    Attributes
    ----------
    stage_months : int
        Length of one plan stage in months (3 = quarters Q1..Q4, 6 = halves H1, H2, 1 = months
        M01..M12); must divide 12.
    plan_headroom_capture : float
        Plan goal: share of the account's headroom (wallet not yet bought from us) to win ...
    momentum_weight : float
        ... plus this share of the account's own growth rate of the last period ...
    min_plan_growth, max_plan_growth : float
        ... with the plan's sales growth bounded to this range.
    stretch_headroom_capture : float
        Stretch goal: share of the headroom won (a goal that motivates, not a forecast) ...
    min_stretch_uplift : float
        ... at least this share of the baseline above the plan goal ...
    max_stretch_growth : float
        ... and at most this growth on the baseline. Plan and stretch never exceed the wallet.
    white_space_min_peer_share : float
        A category is white space when at least this share of the account's segment peers buy it
        from us ...
    white_space_max_own_share : float
        ... and it is at most this share of the account's own purchases from us ...
    white_space_min_peers : int
        ... among at least this many buying peers (fewer: no white-space analysis).
    seasonal_min_months : int
        Months of own history (with purchases) an account needs for its own seasonal profile;
        below it the portfolio's profile is used.
    cadence : mapping of str to mapping of str to int
        Planned contacts per quarter by tier and contact type (visit, call, review).
    max_actions_per_account : int
        Actions proposed per account from the needs stage's support, by priority.
    action_months, action_stagger_months : int
        Length of a proposed action, and the months between the starts of an account's actions.
    offering_functions, counterpart_roles : mapping of str to str
        The dealer's function owning each support offering; the account's role it is agreed with.
    default_counterpart : str
        The account's counterpart until the workshop names one.
    max_accounts_per_member : int
        Load ceiling: accounts one team member can carry in a month (the needs stage's default of
        9 key accounts per account manager).
    max_actions_per_member_month : int
        Load ceiling: actions one member can run at once in a month.
    swot_margin : float
        An indicator is a strength (weakness) when its score is at least this share above (below)
        the key-account average, or in the best quartile.
    """

    stage_months: int = 3
    plan_headroom_capture: float = 0.05
    momentum_weight: float = 0.5
    min_plan_growth: float = 0.02
    max_plan_growth: float = 0.20
    stretch_headroom_capture: float = 0.15
    min_stretch_uplift: float = 0.05
    max_stretch_growth: float = 0.35
    white_space_min_peer_share: float = 0.5
    white_space_max_own_share: float = 0.01
    white_space_min_peers: int = 5
    seasonal_min_months: int = 12
    cadence: Mapping[str, Mapping[str, int]] = field(default_factory=_default_cadence)
    max_actions_per_account: int = 3
    action_months: int = 3
    action_stagger_months: int = 2
    offering_functions: Mapping[str, str] = field(default_factory=_default_offering_functions)
    counterpart_roles: Mapping[str, str] = field(default_factory=_default_counterpart_roles)
    default_counterpart: str = "Owner or managing director"
    max_accounts_per_member: int = 9
    max_actions_per_member_month: int = 4
    swot_margin: float = 0.10

    def __post_init__(self) -> None:
        self._check_numbers()
        cadence: dict[str, dict[str, int]] = {}
        for tier, counts in dict(self.cadence).items():
            if not isinstance(counts, Mapping):
                raise PlanningSettingsError(
                    f"planning setting 'cadence' for tier {tier!r} must map contact types to numbers"
                )
            unknown = sorted(str(k) for k in counts if k not in CONTACT_TYPES)
            if unknown:
                raise PlanningSettingsError(
                    f"unknown contact type(s) {', '.join(map(repr, unknown))} in planning 'cadence'"
                    f" for tier {tier!r}; allowed: {', '.join(CONTACT_TYPES)}"
                )
            cadence[str(tier)] = {}
            for kind in CONTACT_TYPES:
                value = counts.get(kind, 0)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise PlanningSettingsError(
                        f"planning 'cadence' {tier}.{kind} must be a whole number >= 0, got {value!r}"
                    )
                cadence[str(tier)][kind] = value
        object.__setattr__(self, "cadence", cadence)
        for name in ("offering_functions", "counterpart_roles"):
            mapping = getattr(self, name)
            if not isinstance(mapping, Mapping):
                raise PlanningSettingsError(f"planning setting {name!r} must be a mapping, got {mapping!r}")
            object.__setattr__(self, name, {str(k).lower(): str(v) for k, v in mapping.items()})

    def _check_numbers(self) -> None:
        fractions = (
            "plan_headroom_capture",
            "momentum_weight",
            "stretch_headroom_capture",
            "white_space_min_peer_share",
            "white_space_max_own_share",
            "swot_margin",
        )
        for name in fractions:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
                raise PlanningSettingsError(f"planning setting {name!r} must be from 0 to 1, got {value!r}")
        growths = ("min_plan_growth", "max_plan_growth", "min_stretch_uplift", "max_stretch_growth")
        for name in growths:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or not -1 <= value <= 10:
                raise PlanningSettingsError(
                    f"planning setting {name!r} must be a growth rate from -1 to 10, got {value!r}"
                )
        checks = [
            ("stage_months", self.stage_months in (1, 2, 3, 4, 6, 12), "one of 1, 2, 3, 4, 6, 12"),
            ("max_plan_growth", self.max_plan_growth >= self.min_plan_growth, "at least min_plan_growth"),
            ("min_stretch_uplift", self.min_stretch_uplift >= 0, "at least 0"),
            ("white_space_min_peers", _whole(self.white_space_min_peers, 1), "a whole number >= 1"),
            ("seasonal_min_months", _whole(self.seasonal_min_months, 0), "a whole number >= 0"),
            ("max_actions_per_account", _whole(self.max_actions_per_account, 0), "a whole number >= 0"),
            ("action_months", _whole(self.action_months, 1), "a whole number >= 1"),
            ("action_stagger_months", _whole(self.action_stagger_months, 0), "a whole number >= 0"),
            ("max_accounts_per_member", _whole(self.max_accounts_per_member, 1), "a whole number >= 1"),
            (
                "max_actions_per_member_month",
                _whole(self.max_actions_per_member_month, 1),
                "a whole number >= 1",
            ),
        ]
        check_settings_rules(self, checks, section="planning", error=PlanningSettingsError)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> PlanningSettings:
        """Settings from a plain mapping (the ``planning:`` section of ``client.yml``).

        Missing keys keep their default; ``cadence``, ``offering_functions`` and
        ``counterpart_roles`` may name only the entries they change.

        Raises
        ------
        PlanningSettingsError
            A key is unknown (the message names it and lists the allowed ones) or a value is out
            of range.
        """
        values = settings_values(cls, mapping, section="planning", error=PlanningSettingsError)
        merged = {
            "cadence": _default_cadence(),
            "offering_functions": _default_offering_functions(),
            "counterpart_roles": _default_counterpart_roles(),
        }
        for name, defaults in merged.items():
            if name not in values:
                continue
            given = values[name] or {}
            if not isinstance(given, Mapping):
                raise PlanningSettingsError(f"planning setting {name!r} must be a mapping, got {given!r}")
            if name == "cadence":
                for tier, counts in given.items():
                    if not isinstance(counts, Mapping):
                        raise PlanningSettingsError(
                            f"planning 'cadence' for tier {tier!r} must map contact types to numbers"
                        )
                    defaults[str(tier)] = {**defaults.get(str(tier), {}), **counts}
                values[name] = defaults
            else:
                values[name] = {**defaults, **{str(k).lower(): v for k, v in given.items()}}
        try:
            return cls(**values)
        except TypeError as exc:  # a value of the wrong kind, e.g. a list where a number belongs
            raise PlanningSettingsError(f"planning settings: {exc}") from exc

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain data (YAML-friendly: dicts and numbers)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "cadence":
                value = {tier: dict(counts) for tier, counts in value.items()}
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @property
    def stages_per_year(self) -> int:
        """Number of plan stages in a fiscal year."""
        return 12 // self.stage_months


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
