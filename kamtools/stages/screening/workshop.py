"""Workshop mode: tune the screening live in JupyterLab and save the chosen settings.

The consultant moves sliders for the weights, the gates and the number of key accounts; every
move re-scores the customers from the metrics already computed (scoring only, no re-reading or
re-aggregating of invoice lines) and redraws the list and the quadrant chart. "Save settings"
writes them into ``client.yml`` atomically, keeping the previous file, so the rendered report
shows the screen the workshop chose.

All logic is here and testable without a browser: the widgets are plain ipywidgets objects
whose values a test can set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kamtools.config import save_stage_settings
from kamtools.stages.screening import CRITERIA, PeriodScreening, ScreeningSettings, score_customers

# Gates shown as sliders: (setting, label, minimum, maximum, step). None in the settings
# means "no gate"; the slider then starts at the value that lets everybody through.
GATE_CONTROLS: tuple[tuple[str, str, float, float, float], ...] = (
    ("min_margin_pct", "Minimum gross margin", -0.2, 0.4, 0.01),
    ("max_avg_days_late", "Most days paid late (average)", 0.0, 120.0, 1.0),
    ("max_late_share", "Largest share of invoices paid late", 0.0, 1.0, 0.05),
)
OPEN_GATE = {"min_margin_pct": -0.2, "max_avg_days_late": 120.0, "max_late_share": 1.0}


def redraw_quadrant(scored: pd.DataFrame) -> None:
    """Draw the sales and margin quadrant of a new scoring (the panel's default reaction)."""
    import matplotlib.pyplot as plt

    from kamtools.stages.screening.plots import quadrant_plot

    _, ax = plt.subplots(figsize=(8, 5.5))
    quadrant_plot(scored, ax=ax)
    plt.show()


class ScreeningWorkshop:
    """Sliders over a finished screening that re-score it on every change.

    Parameters
    ----------
    screening : PeriodScreening
        The screening of the current period (metrics, payments and workshop scores reused).
    settings : ScreeningSettings
        Starting settings (from ``client.yml``).
    market, cost_to_serve : pandas.DataFrame, optional
        The same optional tables the screening used.
    workspace : Path, optional
        Client workspace whose ``client.yml`` "Save settings" writes; None disables saving.
    on_change : callable, optional
        Called with the newly scored frame after each change, inside the panel's output area;
        by default it redraws the sales and margin quadrant.
    """

    def __init__(
        self,
        screening: PeriodScreening,
        *,
        settings: ScreeningSettings,
        market: pd.DataFrame | None = None,
        cost_to_serve: pd.DataFrame | None = None,
        workspace: Path | None = None,
        on_change: Callable[[pd.DataFrame], None] | None = None,
    ) -> None:
        self.screening = screening
        self.market = market
        self.cost_to_serve = cost_to_serve
        self.workspace = workspace
        self.on_change = on_change or redraw_quadrant
        self.last_seconds = 0.0
        self.weight_sliders = {
            criterion: widgets.FloatSlider(
                value=settings.weights.get(criterion, 0.0),
                min=0.0,
                max=1.0,
                step=0.05,
                description=criterion.replace("_", " "),
                continuous_update=False,
            )
            for criterion in CRITERIA
        }
        self.gate_sliders = {
            name: widgets.FloatSlider(
                value=OPEN_GATE[name] if getattr(settings, name) is None else float(getattr(settings, name)),
                min=low,
                max=high,
                step=step,
                description=label,
                continuous_update=False,
                style={"description_width": "initial"},
            )
            for name, label, low, high, step in GATE_CONTROLS
        }
        start_count = settings.key_accounts or int((screening.scored["tier"] == "key").sum())
        self.key_count = widgets.IntSlider(
            value=max(1, start_count), min=1, max=200, description="Key accounts", continuous_update=False
        )
        self.save_button = widgets.Button(
            description="Save settings", icon="save", disabled=workspace is None
        )
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self._base = settings
        self.scored = screening.scored
        for control in [*self.weight_sliders.values(), *self.gate_sliders.values(), self.key_count]:
            control.observe(self._changed, names="value")
        self.save_button.on_click(lambda _button: self.save())

    def settings(self) -> ScreeningSettings:
        """The settings the controls show now."""
        gates: dict[str, Any] = {}
        for name, slider in self.gate_sliders.items():
            gates[name] = None if slider.value == OPEN_GATE[name] else float(slider.value)
        weights = {c: float(s.value) for c, s in self.weight_sliders.items()}
        if sum(weights.values()) <= 0:
            weights = dict(self._base.weights)
        return replace(self._base, weights=weights, key_accounts=int(self.key_count.value), **gates)

    def rescore(self) -> pd.DataFrame:
        """Score the customers again with the controls' settings; times itself."""
        started = time.perf_counter()
        self.scored = score_customers(
            self.screening.metrics,
            settings=self.settings(),
            window=self.screening.window,
            payments=self.screening.payments,
            qualitative=self.screening.qualitative,
            market=self.market,
            cost_to_serve=self.cost_to_serve,
        )
        self.last_seconds = time.perf_counter() - started
        key = int((self.scored["tier"] == "key").sum())
        self.status.value = f"{key} key accounts · re-scored in {self.last_seconds * 1000:.0f} ms"
        return self.scored

    def _changed(self, _change: Mapping[str, Any]) -> None:
        scored = self.rescore()
        with self.output:
            self.output.clear_output(wait=True)
            self.on_change(scored)

    def save(self) -> Path | None:
        """Write the controls' settings into ``client.yml`` (previous file kept); returns its path."""
        if self.workspace is None:
            return None
        mapping = self.settings().to_mapping()
        previous = save_stage_settings(self.workspace, "screening", mapping)
        kept = f" (previous settings kept in {previous.name})" if previous else ""
        self.status.value = f"Settings saved to client.yml{kept}. Re-run the report to publish them."
        return previous

    def widget(self) -> widgets.Widget:
        """The control panel with its output area, for display in JupyterLab."""
        weights = widgets.VBox([widgets.HTML("<b>Weights</b>"), *self.weight_sliders.values()])
        gates = widgets.VBox(
            [
                widgets.HTML("<b>Gates and size</b>"),
                *self.gate_sliders.values(),
                self.key_count,
                self.save_button,
                self.status,
            ]
        )
        return widgets.VBox([widgets.HBox([weights, gates]), self.output])
