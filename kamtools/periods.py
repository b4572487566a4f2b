"""Fiscal periods and the windows a screening compares.

A period is an integer label: the calendar year in which the fiscal year *ends*. With a fiscal
year starting in April (``start_month=4``) period 2026 runs from 2025-04-01 to 2026-03-31; with
``start_month=1`` period 2025 is calendar 2025.

A screening compares a current period with a previous one. When the data of the current period
stop before the period ends (the year is not over yet), comparing a part year with a whole year
would make every customer look as if it were shrinking; :func:`comparison_window` then compares
the same stretch of both years ("like for like"). A period is complete when the data reach its
last business days (a last invoice on Saturday 30 December is a complete calendar year) or when
``client.yml`` says where the export ends (``periods.data_end``); :func:`completeness_sentence`
says which rule applied. :func:`data_history` tells whether the data reach back far enough to
call a customer "new".
"""

from __future__ import annotations

import calendar
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = [
    "COMPLETENESS_RULES",
    "ComparisonWindow",
    "DataHistory",
    "comparison_window",
    "completeness_sentence",
    "data_history",
    "fiscal_period",
    "period_bounds",
]

COMPLETENESS_RULES = (
    "whole period",
    "last business days",
    "data end (client.yml)",
    "like for like",
    "like for like (data end, client.yml)",
    "no data",
)
"""How :func:`comparison_window` decided whether the current period is complete:

- ``"whole period"``: the data reach the period's last day;
- ``"last business days"``: the last invoice falls in the period's last business days (only
  weekends, or at most ``end_tolerance_business_days`` weekdays, follow it): complete;
- ``"data end (client.yml)"``: ``periods.data_end`` says the export covers the whole period;
- ``"like for like"``: the data stop earlier; the same stretch of both periods is compared;
- ``"like for like (data end, client.yml)"``: ``periods.data_end`` says the export stops earlier;
- ``"no data"``: no sales in the current period; whole periods are compared.
"""

END_TOLERANCE_BUSINESS_DAYS = 5
"""Weekdays that may follow the last invoice of a period that still counts as complete: one
working week, enough for the days between Christmas and New Year or a closing day before a
March year end, far too few to hide a part year."""


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
    completeness : str
        Which rule of :data:`COMPLETENESS_RULES` decided it (for the report's sentence,
        :func:`completeness_sentence`); not part of equality.
    data_last_day : pandas.Timestamp or None
        The last invoice date in the current period, or ``data_end`` when given.
    data_first_day : pandas.Timestamp or None
        The first invoice date in the data (whether the previous window has sales to compare).
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
    completeness: str = field(default="whole period", compare=False)
    data_last_day: pd.Timestamp | None = field(default=None, compare=False)
    data_first_day: pd.Timestamp | None = field(default=None, compare=False)

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
            data_last_day=None if self.data_last_day is None else _same_day_back(self.data_last_day, years),
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


def weekdays_after(day: pd.Timestamp, end: pd.Timestamp) -> int:
    """Weekdays (Monday to Friday) after ``day`` up to and including ``end``."""
    if day >= end:
        return 0
    following = pd.date_range(day + pd.Timedelta(days=1), end, freq="D")
    return int((following.day_of_week < 5).sum())


def _date_extremes(
    sales_dates: pd.Series, *, within: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first date, and the last date from ``within[0]`` to ``within[1]``; None where none.

    On millions of invoice lines this reads the dates in place (as integers, NaT left out by a
    mask) instead of copying them to drop the missing ones and again to cut the window.
    """
    dates = pd.to_datetime(pd.Series(sales_dates))
    values = dates.to_numpy()
    if values.dtype.kind != "M":  # zone-aware dates: compared by pandas
        known = dates.dropna()
        inside = known[(known >= within[0]) & (known <= within[1])] if within else known.iloc[:0]
        return (known.min() if len(known) else None, inside.max() if len(inside) else None)
    ticks = values.view("int64")
    missing = np.iinfo("int64").min  # NaT
    known = ticks != missing
    if not known.any():
        return None, None

    def timestamp(tick: int) -> pd.Timestamp:
        return pd.Timestamp(np.array(tick, dtype="int64").view(values.dtype)[()])

    first = timestamp(ticks.min(where=known, initial=np.iinfo("int64").max))
    if within is None:
        return first, None
    low, high = (np.datetime64(day.to_datetime64()).astype(values.dtype).view("int64") for day in within)
    inside = (ticks >= low) & (ticks <= high)
    return first, timestamp(ticks.max(where=inside, initial=missing)) if inside.any() else None


def comparison_window(
    sales_dates: pd.Series,
    *,
    current: int,
    previous: int,
    start_month: int,
    data_end: pd.Timestamp | None = None,
    start_tolerance_days: int = 14,
    end_tolerance_business_days: int = END_TOLERANCE_BUSINESS_DAYS,
) -> ComparisonWindow:
    """The windows to compare: whole periods, or the same months when the current one is incomplete.

    The current period is complete when the data reach its last business days: the last
    invoice date inside it is the period's last day, or only weekends and at most
    ``end_tolerance_business_days`` weekdays follow it (a year whose last invoice is Saturday
    30 December, 31 December a Sunday, is complete). When ``data_end`` is given (client.yml's
    ``periods.data_end``, the day the export ends) it decides alone: on or after the period's
    last day the period is complete, before it the period is incomplete. An incomplete current
    period is compared like for like: the previous window ends on the same day of the year.
    ``completeness`` on the result names the rule that applied.

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
    end_tolerance_business_days : int
        Weekdays that may follow the last invoice in a complete period.

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
    first_date, last_current = _date_extremes(sales_dates, within=(cur_start, cur_end))
    if data_end is None:
        last = last_current.normalize() if last_current is not None else None
        if last is None:
            warnings.warn(
                f"no sales dated in period {current} ({cur_start:%Y-%m-%d} to {cur_end:%Y-%m-%d});"
                " comparing whole periods",
                UserWarning,
                stacklevel=2,
            )
            rule = "no data"
        elif last >= cur_end:
            rule = "whole period"
        elif weekdays_after(last, cur_end) <= end_tolerance_business_days:
            rule = "last business days"
        else:
            rule = "like for like"
    else:
        last = pd.Timestamp(data_end).normalize()
        rule = (
            "like for like (data end, client.yml)" if cur_start <= last < cur_end else "data end (client.yml)"
        )
    like_for_like = rule.startswith("like for like")
    if like_for_like:
        years = current - previous
        cur_end = last
        prev_end = _same_day_back(last, years)
    if first_date is not None and first_date > prev_start + pd.Timedelta(days=start_tolerance_days):
        warnings.warn(
            f"sales data start on {first_date:%Y-%m-%d}, after the previous window starts"
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
        completeness=rule,
        data_last_day=last,
        data_first_day=first_date.normalize() if first_date is not None else None,
    )


def _day(day: pd.Timestamp) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _compared_with_previous(window: ComparisonWindow, compared: str) -> str:
    """``compared`` (e.g. "compared with the whole of 2022"), unless the data say otherwise.

    A previous period the data do not reach has nothing to compare with; one they reach only
    after its first weeks is incomplete (the same tolerance as :func:`comparison_window`'s
    warning), and the sentence says so instead of promising a whole period.
    """
    first, previous = window.data_first_day, window.previous
    if first is None or first <= window.previous_start + pd.Timedelta(days=14):
        return compared
    if first > window.previous_end:
        return (
            f"the data begin on {_day(first)}, after {previous} ended, so there are no sales of"
            f" {previous} to compare it with"
        )
    return (
        f"{compared}, but the data begin only on {_day(first)}: the sales of {previous} are"
        " incomplete and growth is overstated"
    )


def completeness_sentence(window: ComparisonWindow, *, data_end_setting: str = "periods.data_end") -> str:
    """One sentence for the report: whether the current period is complete, and by which rule.

    Parameters
    ----------
    window : ComparisonWindow
        A window from :func:`comparison_window` (its ``completeness`` and ``data_last_day``).
    data_end_setting : str
        How the report names the client.yml setting that fixes where the export ends.

    Returns
    -------
    str
        E.g. "The last invoice is dated Saturday 30 December 2023 and only a weekend follows
        it: 2023 is treated as complete; it is compared with the whole of 2022."
    """
    last = window.data_last_day
    period, previous = window.current, window.previous
    if window.completeness == "no data":
        return (
            f"There are no sales dated in {period}: whole periods are compared, so every customer"
            f" looks as if it stopped buying; check the periods in client.yml."
        )
    if window.completeness == "data end (client.yml)":
        return (
            f"The client's export runs to {_day(last)} ({data_end_setting} in client.yml): {period} is"
            f" complete; {_compared_with_previous(window, f'it is compared with the whole of {previous}')}."
        )
    if window.completeness == "whole period":
        compared = _compared_with_previous(window, f"it is compared with the whole of {previous}")
        return f"The data reach the last day of {period}: {compared}."
    if window.completeness == "last business days":
        _, period_end = period_bounds(period, start_month=window.current_start.month)
        weekdays = weekdays_after(last, period_end)
        follows = (
            "only a weekend follows it"
            if weekdays == 0
            else f"only {weekdays} working day{'s' if weekdays != 1 else ''} of the period follow it"
        )
        return (
            f"The last invoice is dated {_day(last)} and {follows}: {period} is treated as"
            f" complete; {_compared_with_previous(window, f'it is compared with the whole of {previous}')}."
            f" If the export was taken"
            f" before the period ended, set {data_end_setting} in client.yml."
        )
    source = (
        f"the client's export ends on {_day(last)}, {data_end_setting} in client.yml"
        if window.completeness == "like for like (data end, client.yml)"
        else f"the last invoice is dated {_day(last)}"
    )
    return (
        f"{period} is not complete yet ({source}); "
        + _compared_with_previous(
            window,
            f"it is compared like for like with the same stretch of {previous}, {window.months_compared}",
        )
        + "."
    )


@dataclass(frozen=True)
class DataHistory:
    """How far the data reach back before the previous window: can a customer be called "new"?

    A customer whose first purchase in the data falls in the current window is "new" only when
    the data reach back before the previous period; when they begin at the previous period's
    start (or later) it may be a customer who bought before the export begins: it has "no
    earlier history".

    Attributes
    ----------
    first_day : pandas.Timestamp or None
        The first invoice date in the data (None without any).
    previous_start : pandas.Timestamp
        First day of the previous window.
    days_before_previous : int
        Days of data before the previous window starts (0 when they begin at or after it).
    can_call_new : bool
        True when at least ``min_history_days`` of data precede the previous window.
    """

    first_day: pd.Timestamp | None
    previous_start: pd.Timestamp
    days_before_previous: int
    can_call_new: bool

    @property
    def first_buyer_label(self) -> str:
        """What to call a customer first seen in the current window: "new" or "no earlier history"."""
        return "new" if self.can_call_new else "no earlier history"

    def sentence(self) -> str:
        """One sentence for the report saying what "new" means here, or why it is not used."""
        if self.first_day is None:
            return "There are no invoice lines, so no customer can be called new."
        if self.can_call_new:
            months = self.days_before_previous // 30
            reach = f"{months} months" if months >= 2 else f"{self.days_before_previous} days"
            return (
                f"The data begin on {self.first_day.day} {self.first_day:%B %Y}, {reach} before the"
                " previous period: a customer is called new when it bought in neither the previous"
                " period nor before it in the data."
            )
        return (
            f"The data begin on {self.first_day.day} {self.first_day:%B %Y}, "
            + (
                "at the start of the previous period"
                if self.first_day <= self.previous_start + pd.Timedelta(days=31)
                else "after the start of the previous period"
            )
            + ": there is no earlier history, so customers first seen in the current period are"
            ' shown as "no earlier history", not as new customers (they may have bought before'
            " the export begins)."
        )


def data_history(
    sales_dates: pd.Series, *, window: ComparisonWindow, min_history_days: int = 90
) -> DataHistory:
    """Whether the data reach far enough back before the previous window to call customers new.

    Parameters
    ----------
    sales_dates : pandas.Series
        Invoice dates of the sales table (``invoice_date``).
    window : ComparisonWindow
        The windows compared (its ``previous_start``).
    min_history_days : int
        Days of data needed before the previous window starts; a quarter by default, so that
        a customer called new had not bought for well over a year.

    Returns
    -------
    DataHistory
    """
    first_date = _date_extremes(sales_dates)[0]
    first = first_date.normalize() if first_date is not None else None
    before = max(0, int((window.previous_start - first).days)) if first is not None else 0
    return DataHistory(
        first_day=first,
        previous_start=window.previous_start,
        days_before_previous=before,
        can_call_new=first is not None and before >= min_history_days,
    )
