"""Fiscal periods and the windows a screening compares.

A period is an integer label: the calendar year in which the fiscal year *ends*. With a fiscal
year starting in April (``start_month=4``) period 2026 runs from 2025-04-01 to 2026-03-31; with
``start_month=1`` period 2025 is calendar 2025.

A screening compares a current period with a previous one. When the data of the current period
stop before the period ends (the year is not over yet), comparing a part year with a whole year
would make every customer look as if it were shrinking; :func:`comparison_window` then compares
the same stretch of both years ("like for like").
"""

from __future__ import annotations

import calendar
import warnings
from dataclasses import dataclass, replace

import pandas as pd

__all__ = ["ComparisonWindow", "comparison_window", "fiscal_period", "period_bounds"]


def _check_start_month(start_month: int) -> None:
    if not isinstance(start_month, int) or isinstance(start_month, bool) or not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be an integer from 1 to 12, got {start_month!r}")


def fiscal_period(dates: pd.Series, *, start_month: int) -> pd.Series:
    """The fiscal-period label of each date.

    Parameters
    ----------
    dates : pandas.Series
        Dates (``datetime64`` of any resolution); missing dates give a missing label.
    start_month : int
        First month of the fiscal year, 1 to 12.

    Returns
    -------
    pandas.Series
        Nullable integer (``Int64``) labels, same index and name as ``dates``: the calendar
        year in which each date's fiscal year ends.
    """
    _check_start_month(start_month)
    values = pd.to_datetime(dates)
    year = values.dt.year.astype("Int64")
    if start_month > 1:
        year = year + (values.dt.month >= start_month).astype("Int64")
    return year.rename(dates.name)


def period_bounds(period: int, *, start_month: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (both inclusive) of a fiscal period.

    Parameters
    ----------
    period : int
        Fiscal-period label (calendar year in which the fiscal year ends).
    start_month : int
        First month of the fiscal year, 1 to 12.

    Returns
    -------
    tuple of pandas.Timestamp
        ``(start, end)``, normalised to midnight, e.g. ``(2025-04-01, 2026-03-31)`` for period
        2026 starting in April.
    """
    _check_start_month(start_month)
    start_year = int(period) - 1 if start_month > 1 else int(period)
    start = pd.Timestamp(year=start_year, month=start_month, day=1)
    end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    return start, end


@dataclass(frozen=True)
class ComparisonWindow:
    """The stretch of the current and of the previous period that a screening compares.

    Attributes
    ----------
    current_start, current_end : pandas.Timestamp
        Inclusive first and last day compared in the current period.
    previous_start, previous_end : pandas.Timestamp
        The same stretch one or more years earlier.
    like_for_like : bool
        True when the current period is incomplete and only its covered part is compared.
    months_compared : str
        Readable span, e.g. ``"April to September"`` or ``"1 April to 15 September"``.
    current, previous : int
        The period labels compared.
    """

    current_start: pd.Timestamp
    current_end: pd.Timestamp
    previous_start: pd.Timestamp
    previous_end: pd.Timestamp
    like_for_like: bool
    months_compared: str
    current: int
    previous: int

    @property
    def current_days(self) -> int:
        """Number of days of the current window (inclusive)."""
        return int((self.current_end - self.current_start).days) + 1

    @property
    def label(self) -> str:
        """Short text for reports, e.g. ``"2026 vs 2025, April to September (like for like)"``."""
        suffix = " (like for like)" if self.like_for_like else ""
        return f"{self.current} vs {self.previous}, {self.months_compared}{suffix}"

    def shifted(self, years: int = 1) -> ComparisonWindow:
        """The same window moved back ``years`` years (both periods), for last year's screening."""
        offset = pd.DateOffset(years=years)
        return replace(
            self,
            current_start=self.current_start - offset,
            current_end=_same_day_back(self.current_end, years),
            previous_start=self.previous_start - offset,
            previous_end=_same_day_back(self.previous_end, years),
            current=self.current - years,
            previous=self.previous - years,
        )


def _same_day_back(day: pd.Timestamp, years: int) -> pd.Timestamp:
    """``day`` moved back ``years`` years, keeping a month end a month end (29 Feb → 28 Feb)."""
    moved = day - pd.DateOffset(years=years)
    if day.is_month_end:
        moved = moved + pd.offsets.MonthEnd(0)
    return moved


def _describe_span(start: pd.Timestamp, end: pd.Timestamp) -> str:
    first = calendar.month_name[start.month]
    last = calendar.month_name[end.month]
    if end.is_month_end and start.day == 1:
        return first if (start.year, start.month) == (end.year, end.month) else f"{first} to {last}"
    return f"{start.day} {first} to {end.day} {last}"


def comparison_window(
    sales_dates: pd.Series,
    *,
    current: int,
    previous: int,
    start_month: int,
    data_end: pd.Timestamp | None = None,
    start_tolerance_days: int = 14,
) -> ComparisonWindow:
    """The windows to compare: whole periods, or the same months when the current one is incomplete.

    The current period counts as incomplete when the last invoice date inside it (or
    ``data_end`` when given, e.g. the date of the extract) lies before the period's last day.
    The previous window then ends on the same day of the year, so both windows cover the same
    months (like for like).

    Parameters
    ----------
    sales_dates : pandas.Series
        Invoice dates of the sales table (``invoice_date``).
    current, previous : int
        Period labels to compare; ``previous`` is usually ``current - 1``.
    start_month : int
        First month of the fiscal year.
    data_end : pandas.Timestamp, optional
        Last day covered by the data, overriding the last invoice date found.
    start_tolerance_days : int
        Days the first invoice may come after the previous window's start (holidays, a
        quiet first week) before the previous window counts as incomplete.

    Returns
    -------
    ComparisonWindow

    Warns
    -----
    UserWarning
        When the current period has no sales at all (whole periods are then compared), or when
        the data start more than ``start_tolerance_days`` after the previous window starts
        (previous sales incomplete, growth overstated).
    """
    if previous >= current:
        raise ValueError(f"previous period ({previous}) must be before the current period ({current})")
    cur_start, cur_end = period_bounds(current, start_month=start_month)
    prev_start, prev_end = period_bounds(previous, start_month=start_month)
    dates = pd.to_datetime(pd.Series(sales_dates)).dropna()
    if data_end is None:
        in_current = dates[(dates >= cur_start) & (dates <= cur_end)]
        last = in_current.max().normalize() if len(in_current) else None
        if last is None:
            warnings.warn(
                f"no sales dated in period {current} ({cur_start:%Y-%m-%d} to {cur_end:%Y-%m-%d});"
                " comparing whole periods",
                UserWarning,
                stacklevel=2,
            )
    else:
        last = pd.Timestamp(data_end).normalize()
    like_for_like = last is not None and cur_start <= last < cur_end
    if like_for_like:
        years = current - previous
        cur_end = last
        prev_end = _same_day_back(last, years)
    if len(dates) and dates.min() > prev_start + pd.Timedelta(days=start_tolerance_days):
        warnings.warn(
            f"sales data start on {dates.min():%Y-%m-%d}, after the previous window starts"
            f" ({prev_start:%Y-%m-%d}): previous sales are incomplete and growth is overstated",
            UserWarning,
            stacklevel=2,
        )
    return ComparisonWindow(
        current_start=cur_start,
        current_end=cur_end,
        previous_start=prev_start,
        previous_end=prev_end,
        like_for_like=like_for_like,
        months_compared=_describe_span(cur_start, cur_end),
        current=int(current),
        previous=int(previous),
    )
