"""The lessons-learned form of the review workshop (JupyterLab), tested without a browser.

One row per lesson: its kind (what worked, what did not work, what to change), the sentence,
optionally the account it is about and who follows it up. The form starts from the lessons
saved before or, the first time, from the lessons the analysis suggests. "Save lessons" checks
every row and writes them into the workspace with a numbered history copy
(:func:`kamtools.stages.review.lessons.save_lessons`); a problem is shown in the form, naming
the row and the field, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kamtools.stages.review.lessons import LESSON_KINDS, LessonsError, save_lessons

__all__ = ["LessonsWorkshop"]

KIND_LABELS = {"worked": "What worked", "did not work": "What did not work", "change": "What to change"}


class LessonsWorkshop:
    """An editable list of lessons with Add and Save buttons.

    Parameters
    ----------
    lessons : pandas.DataFrame
        Starting lessons (columns ``kind``, ``lesson``, ``customer_id``, ``owner``).
    workspace : Path, optional
        The client workspace saved into; None disables saving (e.g. in a rendered report).
    period : int
        The reviewed period the lessons belong to.
    """

    def __init__(self, lessons: pd.DataFrame, *, workspace: Path | None, period: int) -> None:
        self.workspace = workspace
        self.period = int(period)
        self.rows: list[dict[str, widgets.Widget]] = []
        self.box = widgets.VBox()
        self.add_button = widgets.Button(description="Add lesson", icon="plus")
        self.save_button = widgets.Button(
            description="Save lessons", button_style="primary", icon="save", disabled=workspace is None
        )
        self.status = widgets.HTML()
        self.add_button.on_click(lambda _button: self.add_row())
        self.save_button.on_click(lambda _button: self.save())
        for record in lessons.to_dict("records"):
            self.add_row(**{k: "" if pd.isna(v) else str(v) for k, v in record.items()})
        if not self.rows:
            self.add_row()

    def add_row(self, kind: str = "worked", lesson: str = "", customer_id: str = "", owner: str = "") -> None:
        """Add one lesson row to the form."""
        row = {
            "kind": widgets.Dropdown(
                options=[(KIND_LABELS[k], k) for k in LESSON_KINDS],
                value=kind if kind in LESSON_KINDS else "worked",
                layout=widgets.Layout(width="170px"),
            ),
            "lesson": widgets.Text(
                value=lesson, placeholder="The lesson, as one sentence", layout=widgets.Layout(width="460px")
            ),
            "customer_id": widgets.Text(
                value=customer_id, placeholder="account (optional)", layout=widgets.Layout(width="130px")
            ),
            "owner": widgets.Text(
                value=owner, placeholder="who follows up", layout=widgets.Layout(width="150px")
            ),
        }
        self.rows.append(row)
        self.box.children = [widgets.HBox(list(r.values())) for r in self.rows]

    def entries(self) -> list[dict[str, Any]]:
        """The lessons as the form holds them now (one mapping per row)."""
        return [{name: widget.value for name, widget in row.items()} for row in self.rows]

    def save(self) -> Path | None:
        """Check and save the lessons; the status line says what happened.

        Returns
        -------
        pathlib.Path or None
            The history copy written, or None when nothing was saved (no workspace, or a problem).
        """
        if self.workspace is None:
            self.status.value = "Saving is not available in a rendered report."
            return None
        try:
            kept = save_lessons(self.workspace, self.period, [_blank_kept_empty(e) for e in self.entries()])
        except LessonsError as exc:
            self.status.value = f"<b>Not saved:</b> {_escape(str(exc))}"
            return None
        self.status.value = (
            f"Saved ({_escape(kept.stem.rsplit('.', 1)[-1])}); the report shows them on the next run."
        )
        return kept

    def widget(self) -> widgets.Widget:
        """The whole form, to ``display`` in the notebook."""
        header = widgets.HTML("<b>Lessons learned</b>: one row per lesson; empty rows are ignored.")
        return widgets.VBox(
            [header, self.box, widgets.HBox([self.add_button, self.save_button]), self.status]
        )


def _blank_kept_empty(entry: dict[str, Any]) -> dict[str, Any]:
    """A row with no text at all counts as empty, whatever its kind drop-down shows.

    The drop-down always holds a kind, so an added row left blank would otherwise be refused
    as "a lesson without text"; its kind is cleared instead, which the check skips, and the
    other rows keep their numbers in its messages.
    """
    if any(str(entry[field]).strip() for field in ("lesson", "customer_id", "owner")):
        return entry
    return {**entry, "kind": ""}


def _escape(text: str) -> str:
    import html

    return html.escape(text)
