"""Workshop mode of the needs analysis: score each key account in JupyterLab and save it.

A form per key account: one slider per indicator (1 to 5 in half points), the assessor's name
and a note. "Save scores" appends the scores to the workspace's assessment history
(:mod:`kamtools.stages.needs.store`): every save is kept with its moment and assessor, and the
report uses each assessor's latest score. Choosing an account (or an assessor) loads the latest
scores that assessor gave it, so a correction starts from what was said before.

All logic is here and testable without a browser: the widgets are plain ipywidgets objects
whose values a test can set.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from kamtools.stages.needs import store
from kamtools.stages.needs.indicators import latest_scores
from kamtools.stages.needs.settings import indicator_label

UNSCORED = 3.0
"""Where a slider starts for an indicator the assessor has not scored yet (the middle)."""


class NeedsWorkshop:
    """A scoring form over the key accounts that saves into the assessment history.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id`` and ``name`` of the key accounts, in the order to offer them.
    indicators : sequence of str
        The workshop indicators (one slider each).
    workspace : Path
        The client's workspace; its ``workshop/assessments.csv`` receives the saves.
    assessments : pandas.DataFrame, optional
        The client's assessments input, so the sliders start from earlier scores.
    assessor : str
        The assessor's name to start with.
    on_save : callable, optional
        Called with the account's id after each successful save (e.g. to redraw its radar).
    """

    def __init__(
        self,
        accounts: pd.DataFrame,
        *,
        indicators: Sequence[str],
        workspace: Path,
        assessments: pd.DataFrame | None = None,
        assessor: str = "",
        on_save: Callable[[str], None] | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        self.indicators = list(indicators)
        self.inputs = assessments
        self.on_save = on_save
        options = [
            (f"{n}. {name}", str(cid))
            for n, (cid, name) in enumerate(zip(accounts["customer_id"], accounts["name"], strict=True), 1)
        ]
        self.account = widgets.Dropdown(
            options=options, description="Account", style={"description_width": "initial"}
        )
        self.assessor = widgets.Text(value=assessor, description="Assessor", placeholder="your name")
        self.note = widgets.Textarea(description="Note", placeholder="why (shown in the report)")
        self.sliders = {
            indicator: widgets.FloatSlider(
                value=UNSCORED,
                min=1.0,
                max=5.0,
                step=0.5,
                description=indicator_label(indicator),
                continuous_update=False,
                # Full labels and a track of about 200 px, wide enough to drag with a mouse.
                style={"description_width": "240px"},
                layout={"width": "520px"},
            )
            for indicator in self.indicators
        }
        self.save_button = widgets.Button(description="Save scores", icon="save")
        self.status = widgets.HTML()
        self.account.observe(lambda _change: self.load(), names="value")
        self.assessor.observe(lambda _change: self.load(), names="value")
        self.save_button.on_click(lambda _button: self.save())
        self.load()

    def latest(self) -> pd.DataFrame:
        """Every assessor's latest score of every account, inputs and saved history together."""
        history = store.parse_assessment_store(store.read_assessment_store(self.workspace))
        return latest_scores(store.combined_assessments(self.inputs, history))

    def load(self) -> dict[str, float]:
        """Set the sliders to this assessor's latest scores of the chosen account (else the middle)."""
        latest = self.latest()
        mine = latest[
            (latest["customer_id"] == self.account.value)
            & (latest["assessor"] == self.assessor.value.strip())
        ]
        given: Mapping[str, float] = dict(zip(mine["indicator"], mine["score"], strict=True))
        for indicator, slider in self.sliders.items():
            slider.value = float(given.get(indicator, UNSCORED))
        scored = sum(1 for i in self.indicators if i in given)
        self.status.value = (
            f"{scored} of {len(self.indicators)} indicators scored before by this assessor"
            if self.assessor.value.strip()
            else "Enter your name to load and save your scores."
        )
        return dict(given)

    def scores(self) -> dict[str, float]:
        """The scores the sliders show now."""
        return {indicator: float(slider.value) for indicator, slider in self.sliders.items()}

    def save(self) -> int | None:
        """Append the sliders' scores to the history; returns the number of entries after it.

        A wrong entry (no assessor, say) is not saved: the status line says why.
        """
        try:
            total = store.save_assessment(
                self.workspace,
                str(self.account.value),
                self.scores(),
                assessor=self.assessor.value,
                note=self.note.value,
                indicators=self.indicators,
            )
        except (store.AssessmentError, OSError, ValueError) as exc:
            self.status.value = f"Not saved: {html.escape(str(exc), quote=False)}"
            return None
        self.status.value = (
            f"Saved ({total} entries in the history). Re-run the report to publish the scores."
        )
        self.note.value = ""
        if self.on_save is not None:
            self.on_save(str(self.account.value))
        return total

    def widget(self) -> widgets.Widget:
        """The form, for display in JupyterLab."""
        header = widgets.VBox([self.account, self.assessor])
        return widgets.VBox([header, *self.sliders.values(), self.note, self.save_button, self.status])
