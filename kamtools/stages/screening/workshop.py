"""Workshop mode: tune the screening live in JupyterLab and save the chosen settings.

The panel opens with everything the room needs, before anybody moves a control: the ranked
key and growth lists with the reason for each account, what entered or left the lists compared
with the saved settings, the sales and margin quadrant, and the count per tier. Weights show as
percentages with each criterion's share of the score (the shares always add up to 100%);
gates and the number of key accounts are sliders wide enough to use with a mouse.

A control acts when it is released (``continuous_update=False``): the customers are re-ranked
from a basis computed once when the panel opens (metrics, context and criterion scores:
:mod:`.rerank`), so a move only weighs, gates and tiers them and writes the reasons of the
listed accounts; the lists are rewritten, and the chart is drawn again only when the tiers
changed. "Save settings" writes only the settings the room changed, rounded as the panel shows
them, into ``client.yml`` (comments kept, the previous file dated in ``history/``:
:func:`kamtools.config.save_stage_settings`).

All logic is here and testable without a browser: the widgets are plain ipywidgets objects
whose values a test can set; the pure functions below build what the panel shows.
"""

from __future__ import annotations

import html
import io as bytes_io
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kamtools.config import ConfigError, save_stage_settings
from kamtools.formatting import money_text, percent_text
from kamtools.io import InputFileError
from kamtools.stages.screening import (
    CRITERIA,
    TIERS,
    PeriodScreening,
    ScreeningResult,
    ScreeningSettings,
)
from kamtools.stages.screening.rerank import LISTED_TIERS, RerankBasis, rerank, rerank_basis

CRITERION_LABELS: Mapping[str, str] = {
    "sales": "Sales",
    "gross_profit": "Gross profit",
    "margin": "Margin against peers",
    "payment": "Payment behaviour",
    "growth": "Growth",
    "purchase_history": "Purchase history",
    "management": "Management maturity",
}


@dataclass(frozen=True)
class GateControl:
    """A gate shown as a slider; the slider's far end means "no gate" (None in the settings)."""

    setting: str
    label: str
    low: float
    high: float
    step: float
    percent: bool
    open_at: float

    def shown(self, value: float | None) -> float | None:
        """The value as the slider shows it (rounded to its step); None for an open gate."""
        if value is None or value == self.open_at:
            return None
        decimals = 2 if self.percent else 0
        return round(float(value), decimals) if decimals else float(round(float(value)))


GATES: tuple[GateControl, ...] = (
    GateControl("min_margin_pct", "Lowest margin of a key account", -0.2, 0.4, 0.01, True, -0.2),
    GateControl("max_avg_days_late", "Most days paid late (average)", 0, 120, 1, False, 120),
    GateControl("max_late_share", "Largest share of invoices late", 0.0, 1.0, 0.05, True, 1.0),
)
"""The gates the panel controls; the left (or right) end of each slider switches it off."""

WEIGHT_DECIMALS = 2
"""Weights move in steps of 5% and are saved as shown: 0.35, never 0.35000000000000003."""

TIER_ORDER: tuple[str, ...] = ("key", "growth", "maintain", "review", "inactive")
"""Tiers always counted, even at zero (others, such as "at risk", when they occur)."""

LABEL_STYLE = {"description_width": "220px"}
SLIDER_LAYOUT = {"width": "470px", "flex": "0 0 auto"}
"""Labels in full and a track of about 180 px: wide enough to drag with a mouse."""


def weight_shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Each criterion's share of the score: the weights scaled to add up to 1 (all 0 when none is set)."""
    total = sum(max(float(w), 0.0) for w in weights.values())
    return {c: (max(float(w), 0.0) / total if total > 0 else 0.0) for c, w in weights.items()}


def weights_note(weights: Mapping[str, float], *, dropped: Mapping[str, str] | None = None) -> str:
    """One sentence on how the weights add up, saying plainly when they are scaled."""
    total = sum(max(float(w), 0.0) for w in weights.values())
    if total <= 0:
        return "All weights are 0%: the saved weights are used until one is set."
    if round(total, WEIGHT_DECIMALS) == 1:
        text = "The weights add up to 100%."
    else:
        text = (
            f"The weights add up to {percent_text(total, decimals=0)}: each counts by its share of the"
            " total (right), and the shares add up to 100%."
        )
    left_out = [CRITERION_LABELS.get(c, c) for c in (dropped or {}) if float(weights.get(c, 0)) > 0]
    if left_out:
        text += f" Left out for lack of data: {', '.join(left_out)}; the others are scaled up."
    return text


def tier_counts(scored: pd.DataFrame) -> dict[str, int]:
    """Customers per tier, in the order key, growth, maintain, review, inactive."""
    counts = scored["tier"].value_counts()
    return {tier: int(counts.get(tier, 0)) for tier in TIERS if tier in counts or tier in TIER_ORDER}


def _listed(scored: pd.DataFrame, tier: str) -> pd.DataFrame:
    """The customers of a tier in list order (``tier_rank`` after :func:`final_tiers`, else ``rank``)."""
    order = "tier_rank" if "tier_rank" in scored.columns else "rank"
    return scored.loc[scored["tier"] == tier].sort_values(order)


def list_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Customers who entered or left the key and growth lists between two scorings.

    Returns ``{"key": {"entered": [...], "left": [...]}, "growth": {...}}`` of customer ids,
    entered ones in their new rank order, left ones in their old.
    """
    out: dict[str, dict[str, list[str]]] = {}
    for tier in LISTED_TIERS:
        was, now = _listed(before, tier), _listed(after, tier)
        was_ids, now_ids = set(was["customer_id"]), set(now["customer_id"])
        out[tier] = {
            "entered": [c for c in now["customer_id"] if c not in was_ids],
            "left": [c for c in was["customer_id"] if c not in now_ids],
        }
    return out


def changed_settings(saved: ScreeningSettings, shown: ScreeningSettings) -> dict[str, Any]:
    """The settings the panel changed against the saved ones, rounded as the panel shows them.

    Weights are compared and written one criterion at a time (``client.yml`` may name only
    the weights it changes); a gate switched off is written as None.
    """
    changes: dict[str, Any] = {}
    weights = {
        c: round(float(shown.weights.get(c, 0.0)), WEIGHT_DECIMALS)
        for c in CRITERIA
        if round(float(shown.weights.get(c, 0.0)), WEIGHT_DECIMALS)
        != round(float(saved.weights.get(c, 0.0)), WEIGHT_DECIMALS)
    }
    if weights:
        changes["weights"] = weights
    for gate in GATES:
        new = gate.shown(getattr(shown, gate.setting))
        if new != gate.shown(getattr(saved, gate.setting)):
            changes[gate.setting] = new
    if shown.key_accounts != saved.key_accounts:
        changes["key_accounts"] = None if shown.key_accounts is None else int(shown.key_accounts)
    return changes


def _list_rows(rows: pd.DataFrame, entered: set[str], currency: str) -> str:
    lines = []
    for place, row in enumerate(rows.itertuples(index=False), start=1):
        new = ' <span class="kam-new">new</span>' if row.customer_id in entered else ""
        lines.append(
            f"<tr><td>{place}</td><td>{html.escape(str(row.name))}{new}</td>"
            f"<td class='kam-num'>{money_text(row.sales, currency, compact=False)}</td>"
            f"<td class='kam-num'>{percent_text(row.margin_pct, decimals=0)}</td>"
            f"<td class='kam-num'>{float(row.composite):.0f}</td>"
            f"<td>{html.escape(str(row.reason))}</td></tr>"
        )
    return "".join(lines)


def ranked_lists_html(
    scored: pd.DataFrame, changes: Mapping[str, Mapping[str, list[str]]], *, currency: str
) -> str:
    """The key and growth lists, best first, with the reason for each; new entries marked."""
    head = "<tr><th>#</th><th>customer</th><th>sales</th><th>margin</th><th>score</th><th>why</th></tr>"
    parts = []
    for tier, title in (("key", "Key accounts"), ("growth", "Growth accounts")):
        rows = _listed(scored, tier)
        entered = set(changes.get(tier, {}).get("entered", []))
        parts.append(
            f"<h4>{title} ({len(rows)})</h4><table class='kam-list kam-list-{tier}'>"
            f"<thead>{head}</thead><tbody>{_list_rows(rows, entered, currency)}</tbody></table>"
        )
    return "".join(parts)


def changes_html(changes: Mapping[str, Mapping[str, list[str]]], names: Mapping[str, str]) -> str:
    """What entered and left the lists compared with the saved settings, by name."""

    def named(ids: list[str]) -> str:
        return ", ".join(html.escape(str(names.get(c, c))) for c in ids) or "none"

    lines = []
    for tier, title in (("key", "key list"), ("growth", "growth list")):
        entered, left = changes[tier]["entered"], changes[tier]["left"]
        if not entered and not left:
            lines.append(f"<li>The {title} is the one of the saved settings.</li>")
        else:
            lines.append(
                f"<li><b>{title.capitalize()}</b>: entered ({len(entered)}) {named(entered)};"
                f" left ({len(left)}) {named(left)}</li>"
            )
    return "<b>Compared with the saved settings</b><ul>" + "".join(lines) + "</ul>"


def counts_html(counts: Mapping[str, int]) -> str:
    """The count per tier as one line."""
    return " · ".join(f"<b>{tier.replace('_', ' ')}</b> {count}" for tier, count in counts.items())


def quadrant_png(scored: pd.DataFrame, *, currency: str | None = None, dpi: int = 80) -> bytes:
    """The sales and margin quadrant as a PNG, drawn off screen (no pyplot state, no inline backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from kamtools.stages.screening.plots import quadrant_plot

    figure = Figure(figsize=(9.5, 5.2))
    FigureCanvasAgg(figure)
    # A fixed frame with room for the names column on the right: one draw, where a "tight"
    # bounding box would draw the figure twice.
    figure.subplots_adjust(left=0.08, right=0.7, bottom=0.11, top=0.97)
    quadrant_plot(scored, currency=currency, ax=figure.add_subplot())
    buffer = bytes_io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


PANEL_CSS = """<style>
.kam-ranked { max-height: 460px; overflow-y: auto; border: 1px solid #ddd; padding: 0 8px; }
.kam-ranked table { border-collapse: collapse; font-size: 12px; width: 100%; }
.kam-ranked th, .kam-ranked td { padding: 2px 6px; border-bottom: 1px solid #eee; text-align: left;
  vertical-align: top; }
.kam-ranked td.kam-num { text-align: right; white-space: nowrap; }
.kam-new { background: #2a7a2a; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 10px; }
</style>"""


class ScreeningWorkshop:
    """Sliders over a finished screening that re-score it when a control is released.

    A re-score goes the report's way (:func:`~kamtools.stages.screening.screen_client`): both
    periods scored with the controls' settings, last period's key accounts and the growth cap
    applied (:func:`final_tiers`), then the workshop's overrides, so the lists show what the
    report will show once the settings are saved. Build it with :meth:`from_result`.

    Parameters
    ----------
    screening : PeriodScreening
        The screening of the current period with the saved settings (metrics, payments and
        workshop scores reused; its tiers are what "entered" and "left" compare with).
    settings : ScreeningSettings
        The saved settings (from ``client.yml``).
    previous : PeriodScreening, optional
        The previous period's screening (at-risk accounts, retention band); None: none.
    overrides, team : pandas.DataFrame, optional
        The workshop's tier overrides and the team table (the growth list's cap).
    market, cost_to_serve : pandas.DataFrame, optional
        The same optional tables the screening used.
    workspace : Path, optional
        Client workspace whose ``client.yml`` "Save settings" writes; None disables saving.
    currency : str
        Currency of the money in the lists and the chart.
    on_change : callable, optional
        Called with the newly scored frame after each change (after the panel updated itself).
    """

    def __init__(
        self,
        screening: PeriodScreening,
        *,
        settings: ScreeningSettings,
        previous: PeriodScreening | None = None,
        overrides: pd.DataFrame | None = None,
        team: pd.DataFrame | None = None,
        market: pd.DataFrame | None = None,
        cost_to_serve: pd.DataFrame | None = None,
        workspace: Path | None = None,
        currency: str = "EUR",
        on_change: Callable[[pd.DataFrame], None] | None = None,
    ) -> None:
        self.screening = screening
        self.previous = previous
        self.overrides = overrides
        self.team = team if team is not None and len(team) else None
        self.market = market
        self.cost_to_serve = cost_to_serve
        self.workspace = workspace
        self.currency = currency
        self.on_change = on_change
        self.timings: dict[str, float] = {}
        self._base = settings
        self.saved_scored = screening.scored
        self.scored = screening.scored
        self.names = dict(zip(screening.scored["customer_id"], screening.scored["name"], strict=True))
        self._basis = self._rerank_basis(settings)
        self._build_controls(settings)
        self.counts = widgets.HTML(layout={"width": "100%"})
        self.counts.add_class("kam-counts")
        self.changes = widgets.HTML(layout={"width": "100%"})
        self.changes.add_class("kam-changes")
        self.ranked = widgets.HTML(layout={"width": "100%"})
        self.ranked.add_class("kam-ranked")
        self.chart = widgets.Image(
            format="png",
            layout={
                "flex": "1 1 400px",
                "min_width": "320px",
                "max_width": "760px",
                "align_self": "flex-start",
            },
        )
        self.chart.add_class("kam-quadrant")
        self._chart_tiers: pd.Series | None = None
        self.show(self.scored)
        for control in [*self.weight_sliders.values(), *self.gate_sliders.values(), self.key_count]:
            control.observe(self._changed, names="value")
        self.save_button.on_click(lambda _button: self.save())

    @classmethod
    def from_result(
        cls,
        result: ScreeningResult,
        tables: Mapping[str, pd.DataFrame],
        *,
        workspace: Path | None = None,
        currency: str = "EUR",
    ) -> ScreeningWorkshop:
        """The panel over a report's screening (``screen_client``) and the tables it read."""
        return cls(
            result.current,
            settings=result.settings,
            previous=result.previous,
            overrides=result.overrides,
            team=tables.get("team"),
            market=tables.get("market"),
            cost_to_serve=tables.get("cost_to_serve"),
            workspace=workspace,
            currency=currency,
        )

    def _build_controls(self, settings: ScreeningSettings) -> None:
        self.weight_sliders = {}
        self.share_labels: dict[str, widgets.HTML] = {}
        for criterion in CRITERIA:
            slider = widgets.FloatSlider(
                value=round(float(settings.weights.get(criterion, 0.0)), WEIGHT_DECIMALS),
                min=0.0, max=1.0, step=0.05, readout_format=".0%", continuous_update=False,
                description=CRITERION_LABELS.get(criterion, criterion),
                style=LABEL_STYLE, layout=SLIDER_LAYOUT,
            )  # fmt: skip
            slider.add_class(f"kam-weight-{criterion}")
            self.weight_sliders[criterion] = slider
            self.share_labels[criterion] = widgets.HTML(layout={"width": "120px", "flex": "0 0 auto"})
        self.weights_note = widgets.HTML(layout={"width": "600px"})
        self.gate_sliders = {}
        for gate in GATES:
            value = getattr(settings, gate.setting)
            slider = widgets.FloatSlider(
                value=gate.open_at if value is None else min(max(float(value), gate.low), gate.high),
                min=gate.low, max=gate.high, step=gate.step, continuous_update=False,
                readout_format=".0%" if gate.percent else ".0f",
                description=gate.label, style=LABEL_STYLE, layout=SLIDER_LAYOUT,
            )  # fmt: skip
            slider.add_class(f"kam-gate-{gate.setting}")
            self.gate_sliders[gate.setting] = slider
        self.gate_note = widgets.HTML(
            "A gate slider at its far end (-20% margin, 120 days, 100% paid late) switches the gate off."
        )
        self._start_key_count = max(1, int((self.screening.scored["tier"] == "key").sum()))
        self.key_count = widgets.IntSlider(
            value=settings.key_accounts or self._start_key_count,
            min=1, max=200, continuous_update=False,
            description="Number of key accounts", style=LABEL_STYLE, layout=SLIDER_LAYOUT,
        )  # fmt: skip
        self.save_button = widgets.Button(
            description="Save settings", icon="save", disabled=self.workspace is None,
            button_style="primary", layout={"width": "180px"},
        )  # fmt: skip
        self.save_button.add_class("kam-save")
        self.status = widgets.HTML(layout={"width": "100%"})
        self.status.add_class("kam-status")

    def settings(self) -> ScreeningSettings:
        """The settings the controls show now, rounded as shown."""
        gates = {g.setting: g.shown(self.gate_sliders[g.setting].value) for g in GATES}
        weights = {c: round(float(s.value), WEIGHT_DECIMALS) for c, s in self.weight_sliders.items()}
        if sum(weights.values()) <= 0:
            weights = dict(self._base.weights)
        key_accounts: int | None = int(self.key_count.value)
        if self._base.key_accounts is None and key_accounts == self._start_key_count:
            key_accounts = None  # untouched: the saved rule (a share of the customers) still holds
        return replace(self._base, weights=weights, key_accounts=key_accounts, **gates)

    def rescore(self) -> pd.DataFrame:
        """Score the customers again with the controls' settings; times itself.

        The metrics, context and criterion scores are computed once (:func:`rerank_basis`);
        a re-rank weighs, gates and tiers them and writes the reasons of the listed accounts
        only (:func:`rerank`), so ``scored["reason"]`` is missing for the other customers.
        """
        started = time.perf_counter()
        settings = self.settings()
        if not self._basis.fits(settings):
            self._basis = self._rerank_basis(settings)
        self.scored = rerank(self._basis, settings=settings)
        self.timings["rescore"] = time.perf_counter() - started
        return self.scored

    def _rerank_basis(self, settings: ScreeningSettings) -> RerankBasis:
        return rerank_basis(
            self.screening,
            self.previous,
            settings=settings,
            team=self.team,
            overrides=self.overrides,
            market=self.market,
            cost_to_serve=self.cost_to_serve,
        )

    @property
    def last_seconds(self) -> float:
        """Seconds the last re-score took."""
        return self.timings.get("rescore", 0.0)

    def show(self, scored: pd.DataFrame) -> None:
        """Bring every view of the panel up to ``scored``: the lists first, the chart when tiers moved."""
        started = time.perf_counter()
        settings = self.settings()
        shares = weight_shares(settings.weights)
        for criterion, label in self.share_labels.items():
            label.value = f"{percent_text(shares.get(criterion, 0.0), decimals=0)} of score"
        self.weights_note.value = weights_note(settings.weights, dropped=scored.attrs.get("dropped_criteria"))
        changes = list_changes(self.saved_scored, scored)
        self.counts.value = counts_html(tier_counts(scored))
        self.changes.value = changes_html(changes, self.names)
        self.ranked.value = PANEL_CSS + ranked_lists_html(scored, changes, currency=self.currency)
        self.timings["table"] = time.perf_counter() - started
        tiers = scored.set_index("customer_id")["tier"]
        if self._chart_tiers is None or not tiers.equals(self._chart_tiers):
            started = time.perf_counter()
            self.chart.value = quadrant_png(scored, currency=self.currency)
            self._chart_tiers = tiers
            self.timings["chart"] = time.perf_counter() - started
        else:
            self.timings["chart"] = 0.0
        self._status()

    def _status(self, prefix: str = "") -> None:
        ms = {k: f"{v * 1000:.0f} ms" for k, v in self.timings.items()}
        key = int((self.scored["tier"] == "key").sum())
        times = ", ".join(
            f"{label} {ms[k]}" for k, label in (("rescore", "re-scored in"), ("table", "lists in"),
                                                 ("chart", "chart in")) if k in ms and self.timings[k] > 0
        )  # fmt: skip
        self.status.value = prefix + f"{key} key accounts" + (f" · {times}" if times else "")

    def _changed(self, _change: Mapping[str, Any]) -> None:
        scored = self.rescore()
        self.show(scored)
        if self.on_change is not None:
            self.on_change(scored)

    def save(self) -> Path | None:
        """Write the settings the room changed into ``client.yml``; returns the dated earlier copy."""
        if self.workspace is None:
            return None
        shown = self.settings()
        changes = changed_settings(self._base, shown)
        if not changes:
            self.status.value = "Nothing to save: the controls show the saved settings."
            return None
        try:
            kept = save_stage_settings(self.workspace, "screening", changes)
        except (ConfigError, InputFileError, OSError) as exc:
            # The room's settings stay on the controls: fix the file and press Save again.
            self.status.value = f"Not saved: {html.escape(str(exc), quote=False)}"
            return None
        self._base = shown
        self.saved_scored = self.scored
        self._start_key_count = int(self.key_count.value)
        self.show(self.scored)
        names = ", ".join(sorted(changes))
        where = f" (the earlier file is kept as history/{kept.name})" if kept else ""
        self.status.value = (
            f"Saved {names} to client.yml{where}. Run <code>kam run</code> to publish the report."
        )
        return kept

    def widget(self) -> widgets.Widget:
        """The panel: controls left, counts, changes and lists right, the chart below."""
        weight_rows = [
            widgets.HBox([self.weight_sliders[c], self.share_labels[c]]) for c in self.weight_sliders
        ]
        controls = widgets.VBox(
            [
                widgets.HTML("<b>Weights</b> (each criterion's share of the score on the right)"),
                *weight_rows,
                self.weights_note,
                widgets.HTML("<b>Gates and size</b>"),
                *self.gate_sliders.values(),
                self.gate_note,
                self.key_count,
                self.save_button,
                self.status,
            ],
            layout={"width": "600px", "min_width": "600px", "flex": "0 0 auto"},
        )
        views = widgets.VBox([self.counts, self.changes, self.ranked], layout={"width": "100%"})
        top = widgets.HBox([controls, self.chart], layout={"flex_flow": "row wrap", "width": "100%"})
        panel = widgets.VBox([top, views])
        panel.add_class("kam-workshop")
        return panel
