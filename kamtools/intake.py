"""What the intake reports: problems that stop a run, repairs it made, the files it read.

:mod:`kamtools.validation` turns a client's raw tables into canonical ones; while it does, a
:class:`TableCheck` per table collects every :class:`Problem` (file, rows, column, offending
values) and every :class:`Repair` (counted, with example rows; invoice lines set aside also in
money and as a share of the file's sales), and :class:`Intake` hands the result to the
workspace and the report's data-quality section. The rules of :mod:`kamtools.source_rows` report
through the same check, so every message of the intake has one form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from kamtools.contract import Table
from kamtools.inputspec import InputSpec
from kamtools.io import ReadFinding

__all__ = ["MAX_LISTED_ROWS", "Intake", "Problem", "Repair", "SourceSummary", "TableCheck"]

MAX_LISTED_ROWS = 10


@dataclass(frozen=True)
class Problem:
    """A problem that stops the run until the client's data is fixed.

    ``rows`` holds every affected row (Excel numbering); ``values`` a few of the offending
    cell values, so the user recognises them.
    """

    table: str
    file: str
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = [self.file]
        if self.rows:
            listed = ", ".join(str(r) for r in self.rows[:MAX_LISTED_ROWS])
            more = len(self.rows) - MAX_LISTED_ROWS
            label = "row" if len(self.rows) == 1 else "rows"
            where.append(f"{label} {listed}" + (f" and {more:,} more" if more > 0 else ""))
        if self.column:
            where.append(f"column '{self.column}'")
        text = ", ".join(where) + f": {self.message}"
        if self.values:
            text += " (e.g. " + ", ".join(repr(v) for v in self.values) + ")"
        return text


@dataclass(frozen=True)
class Repair:
    """A fixable oddity that validation repaired, or rows it set aside, counted."""

    table: str
    file: str
    action: str
    rows: int
    dropped: bool = False
    column: str | None = None
    example_rows: tuple[int, ...] = ()
    amount: float | None = None
    """Net sales of the invoice lines set aside (sales table only)."""
    share: float | None = None
    """``amount`` as a fraction of the net sales of every line in the file."""

    def __str__(self) -> str:
        where = f"{self.file}" + (f", column '{self.column}'" if self.column else "")
        examples = ""
        if self.example_rows:
            examples = " (e.g. rows " + ", ".join(str(r) for r in self.example_rows[:5]) + ")"
        money = ""
        if self.amount is not None:
            money = f", net sales {self.amount:,.0f}" + (
                f" ({self.share:.1%} of the file's sales)" if self.share is not None else ""
            )
        return f"{where}: {self.action}: {self.rows:,} rows{money}{examples}"


@dataclass(frozen=True)
class SourceSummary:
    """One input file as read: rows read and kept, and a fingerprint of its bytes."""

    table: str
    file: str
    rows_read: int
    rows_kept: int
    fingerprint: str = ""


@dataclass
class Intake:
    """The result of validation: clean tables, blocking problems, repairs and notes."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    repairs: list[Repair]
    sources: list[SourceSummary]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def quality_table(self) -> pd.DataFrame:
        """The data-quality summary as a frame: one line per repair, set-aside or note."""
        rows = [
            {
                "table": r.table,
                "file": r.file,
                "column": r.column or "",
                "what was done": r.action,
                "rows": r.rows,
                "rows set aside": r.rows if r.dropped else 0,
            }
            for r in self.repairs
        ]
        frame = pd.DataFrame(
            rows, columns=["table", "file", "column", "what was done", "rows", "rows set aside"]
        )
        return frame.astype({"rows": "int64", "rows set aside": "int64"})

    def sources_table(self) -> pd.DataFrame:
        """Input files with their row counts and fingerprints, for the assumptions section."""
        frame = pd.DataFrame(
            [vars(s) for s in self.sources],
            columns=["table", "file", "rows_read", "rows_kept", "fingerprint"],
        )
        frame = frame.astype({"rows_read": "int64", "rows_kept": "int64"})
        return frame.rename(columns={"rows_read": "rows read", "rows_kept": "rows kept"})

    def set_aside_sales_table(self) -> pd.DataFrame:
        """Invoice lines set aside, by reason, in money: one row per reason plus a total.

        Columns: reason, lines, net sales (of the lines set aside), share of sales (fraction of
        the net sales of every line in the file). Empty when no invoice line was set aside.
        """
        rows = [
            {
                "reason": r.action.removeprefix("set aside: "),
                "lines": r.rows,
                "net sales": r.amount,
                "share": r.share,
            }
            for r in self.repairs
            if r.table == "sales" and r.dropped and r.amount is not None
        ]
        frame = pd.DataFrame(rows, columns=["reason", "lines", "net sales", "share"])
        if len(frame) > 1:
            total = {
                "reason": "total set aside",
                "lines": frame["lines"].sum(),
                "net sales": frame["net sales"].sum(),
            }
            total["share"] = frame["share"].sum(min_count=1)
            frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        frame = frame.astype({"lines": "int64", "net sales": "float64", "share": "float64"})
        return frame.rename(columns={"share": "share of sales"})

    def set_aside_sentences(self, *, currency: str) -> list[str]:
        """Sentences for the intake summary: the sales set aside in money and as a share of sales.

        E.g. "Intake set aside 134,084 invoice lines worth £1.5m (15.5% of the sales in
        online_retail.csv): no customer number (anonymous sale)."
        """
        from kamtools.formatting import money_text, percent_text

        sentences = []
        for r in self.repairs:
            if r.table != "sales" or not r.dropped or r.amount is None:
                continue
            share = f" ({percent_text(r.share, 1)} of the sales in {r.file})" if r.share is not None else ""
            reason = r.action.removeprefix("set aside: ")
            sentences.append(
                f"Intake set aside {r.rows:,} invoice line{'s' if r.rows != 1 else ''} worth"
                f" {money_text(r.amount, currency)}{share}: {reason}."
            )
        return sentences


class TableCheck:
    """Collects problems and repairs while one raw table is turned into a canonical one."""

    def __init__(self, spec: InputSpec, table: Table) -> None:
        self.spec = spec
        self.table = table
        self.problems: list[Problem] = []
        self.repairs: list[Repair] = []
        self.notes: list[str] = []
        self._amounts: pd.Series | None = None
        self._amounts_of: Callable[[], pd.Series | None] | None = None

    @property
    def amounts(self) -> pd.Series | None:
        """Net sales of each invoice line by Excel row, so set-aside lines are counted in money.

        Computed on first use (see :meth:`amounts_from`): most files set no line aside, and
        reading every line's amount once more costs a second on ten million lines.
        """
        if self._amounts_of is not None:
            self._amounts, self._amounts_of = self._amounts_of(), None
        return self._amounts

    def amounts_from(self, compute: Callable[[], pd.Series | None]) -> None:
        """Say how :attr:`amounts` is computed, when it is first needed."""
        self._amounts, self._amounts_of = None, compute

    def problem(
        self, column: str | None, message: str, rows: Sequence[int] = (), values=(), *, file: str = ""
    ) -> None:
        self.problems.append(
            Problem(
                self.table.name,
                file or self.spec.file,
                column,
                message,
                tuple(int(r) for r in rows),
                tuple(str(v) for v in list(dict.fromkeys(values))[:3]),
            )
        )

    def repair(
        self,
        action: str,
        rows: pd.Series | Sequence[int],
        *,
        dropped: bool = False,
        column: str | None = None,
    ) -> None:
        listed = list(rows)
        if listed:
            amount = share = None
            if dropped and self.amounts is not None:
                amount = float(self.amounts.reindex(listed).sum())
                total = float(self.amounts.sum())
                share = amount / total if total > 0 else None
            self.repairs.append(
                Repair(
                    self.table.name,
                    self.spec.file,
                    action,
                    len(listed),
                    dropped,
                    column,
                    tuple(int(r) for r in listed[:5]),
                    amount,
                    share,
                )
            )

    def reported_rows(self, column: str) -> set[int]:
        """Rows of ``column`` that already have a problem (e.g. a formula without a value)."""
        return {r for p in self.problems if p.column == column for r in p.rows}

    def note(self, column: str | None, message: str, rows: Sequence[int] = ()) -> None:
        """A remark for the data-quality notes: how something was read, nothing refused."""
        note = str(Problem(self.table.name, self.spec.file, column, message, tuple(int(r) for r in rows)))
        if note not in self.notes:
            self.notes.append(note)

    def findings(self, findings: Sequence[ReadFinding]) -> None:
        """Turn what the file reader noticed into problems and notes of this table."""
        used = self.spec.used_headers
        for finding in findings:
            blocking = finding.kind == "problem" or (
                finding.kind == "problem_if_used" and str(finding.column).strip().lower() in used
            )
            if blocking:
                self.problem(finding.column, finding.message, finding.rows, finding.values)
            elif finding.kind == "note":
                self.note(finding.column, finding.message, finding.rows)

    def client_name(self, canonical: str) -> str:
        return self.spec.columns.get(canonical, canonical)
