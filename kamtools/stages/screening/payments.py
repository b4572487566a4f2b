"""Financial reputation of the screening: how each customer pays, from the receivables.

The functions are pure: they return new frames and never change the frames they receive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from kamtools.periods import ComparisonWindow
from kamtools.stages.screening.settings import PAYMENT_COLUMNS, ScreeningSettings, require_input

RECEIVABLES_COLUMNS: tuple[str, ...] = ("customer_id", "invoice_date", "due_date", "paid_date", "amount")
"""The columns of the receivables payment behaviour reads (the invoice number, e.g., it does not)."""


def receivables_columns(available: Sequence[str]) -> list[str]:
    """Those of ``available`` (a receivables table's column names, e.g. its Parquet file's
    schema) that the screening reads: :data:`RECEIVABLES_COLUMNS`, in the order of ``available``.

    A reader can leave the others unread (on a large dealer the invoice numbers are millions of
    texts); :func:`payment_behaviour` gives the same result on these columns as on the whole table.
    """
    return [c for c in available if c in RECEIVABLES_COLUMNS]


def _by_customer(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as float indexed by customer id (first row of a duplicated id)."""
    first = frame.drop_duplicates("customer_id")
    return pd.Series(
        first[column].astype("float64").to_numpy(), index=first["customer_id"].astype("str").to_numpy()
    )


def _empty_payments() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PAYMENT_COLUMNS})
    return frame.astype({"customer_id": "str", "invoices": "int64", "paid_invoices": "int64"})


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Calendar days (since 1970) of a date column as floats, NaN where the date is missing.

    As floats, comparisons with a missing date are False and differences NaN, as with NaT.
    """
    dates = pd.to_datetime(values)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # the local calendar day
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = days.view("int64").astype("float64")  # the day numbers, without an int64 copy first
    out[np.isnat(days)] = np.nan
    return out


class _Invoices(NamedTuple):
    """The receivables as NumPy columns, read once for every date payments are judged at."""

    customer: np.ndarray  # each invoice's customer code (position in ``ids``)
    ids: pd.Index  # the customer ids, sorted
    due: np.ndarray  # day numbers (see _day_numbers), NaN when missing
    paid_on: np.ndarray
    issued: np.ndarray  # the invoice date, else the due date
    amount: np.ndarray


def _invoices(receivables: pd.DataFrame) -> _Invoices:
    """The columns of ``receivables`` payment behaviour reads, invoices without a customer left out.

    The customers are coded once (sorted, as ``groupby`` orders them); an invoice without a
    customer id is in no group of ``groupby`` either, so leaving it out changes no sum.
    """
    due = _day_numbers(receivables["due_date"])
    paid_on = (
        _day_numbers(receivables["paid_date"])
        if "paid_date" in receivables.columns
        else np.full(len(due), np.nan)
    )
    issued = _day_numbers(receivables["invoice_date"]) if "invoice_date" in receivables.columns else due
    issued = np.where(np.isnan(issued), due, issued)
    amount = receivables["amount"].to_numpy(dtype="float64", na_value=np.nan)
    customer, ids = pd.factorize(receivables["customer_id"].astype("str"), sort=True)
    known = customer >= 0
    if not known.all():
        customer, due, paid_on, issued, amount = (a[known] for a in (customer, due, paid_on, issued, amount))
    return _Invoices(customer, pd.Index(ids, dtype="str", name="customer_id"), due, paid_on, issued, amount)


def _payment_sums(
    invoices: _Invoices, *, as_of: pd.Timestamp, grace_days: int, since: pd.Timestamp | None
) -> pd.DataFrame:
    """Per customer (sorted by id): invoices judged, paid and late, and the amounts behind them.

    The flags are computed on day numbers (NumPy) and counted with ``np.bincount`` (exact);
    the amounts are summed by pandas' grouped sum, whose compensated summation in line order
    the screening's scores were made with (by customer code: the same groups, in the same
    order, as by id).
    """
    day = np.timedelta64(1, "D")
    as_of_day = float((pd.Timestamp(as_of).normalize().to_datetime64() - np.datetime64(0, "D")) / day)
    due, paid_on, issued, amount = invoices.due, invoices.paid_on, invoices.issued, invoices.amount
    exists = issued <= as_of_day
    paid = paid_on <= as_of_day
    judged = exists & (amount > 0) & (paid | (due <= as_of_day))
    if since is not None:
        since_day = (pd.Timestamp(since).normalize().to_datetime64() - np.datetime64(0, "D")) / day
        judged &= issued >= float(since_day)
    late = (paid & (paid_on > due + grace_days)) | (~paid & (as_of_day > due + grace_days))
    settled = judged & paid
    is_open = exists & ~paid
    # The four amounts in one float block (no copy into a frame), summed in one grouped pass.
    amounts = np.zeros((len(amount), 4))
    np.multiply(np.maximum(paid_on - due, 0.0), amount, out=amounts[:, 0], where=settled)
    np.copyto(amounts[:, 1], amount, where=settled)
    np.copyto(amounts[:, 2], amount, where=is_open)
    np.copyto(amounts[:, 3], amount, where=is_open & (due < as_of_day))
    columns = ["weighted_days", "paid_amount", "open", "overdue"]
    sums = pd.DataFrame(amounts, columns=columns, copy=False).groupby(invoices.customer).sum()
    groups = len(invoices.ids)
    counts = {
        name: np.bincount(invoices.customer[flags], minlength=groups).astype("int64")
        for name, flags in (("judged", judged), ("paid", settled), ("late", late & judged))
    }
    return pd.DataFrame({**counts, **{c: sums[c].to_numpy() for c in columns}}, index=invoices.ids)


def _payment_table(sums: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """The columns of :func:`payment_behaviour` from one date's per-customer sums."""
    out = pd.DataFrame(index=sums.index)
    out["invoices"] = sums["judged"].astype("int64")
    out["paid_invoices"] = sums["paid"].astype("int64")
    out["avg_days_late"] = (sums["weighted_days"] / sums["paid_amount"]).where(sums["paid_amount"] > 0)
    out["late_share"] = (sums["late"] / sums["judged"]).where(sums["judged"] > 0)
    out["open_amount"] = sums["open"]
    out["open_overdue_amount"] = sums["overdue"]
    out["credit_use"] = np.nan
    if customers is not None and "credit_limit" in customers.columns:
        limit = _by_customer(customers, "credit_limit").reindex(out.index)
        out["credit_use"] = (out["open_amount"] / limit).where(limit > 0)
    out = out.reset_index()
    out["customer_id"] = out["customer_id"].astype("str")
    return out[list(PAYMENT_COLUMNS)]


def payment_behaviour_by_window(
    receivables: pd.DataFrame | None,
    *,
    as_of: Sequence[pd.Timestamp],
    since: Sequence[pd.Timestamp | None],
    customers: pd.DataFrame | None = None,
    grace_days: int = 5,
) -> list[pd.DataFrame]:
    """:func:`payment_behaviour` at several dates from one reading of the receivables.

    The screening judges payments at the end of this period and of the previous one: the
    dates and customers of millions of invoices are converted once, not once per period
    (most of the time on a large dealer). Each result is exactly what
    :func:`payment_behaviour` gives for that date alone.

    Parameters
    ----------
    receivables : pandas.DataFrame or None
        As for :func:`payment_behaviour`.
    as_of : sequence of pandas.Timestamp
        The dates payments are judged at, e.g. each window's ``current_end``.
    since : sequence of pandas.Timestamp or None
        For each date, the first invoice day judged (None: every invoice), as in
        :func:`payment_behaviour`.
    customers : pandas.DataFrame, optional
        Customer master (``credit_limit`` gives ``credit_use``).
    grace_days : int
        Days after the due date still counted as on time.

    Returns
    -------
    list of pandas.DataFrame
        One frame per date, in the order of ``as_of``, each with the columns of
        :func:`payment_behaviour`.
    """
    if len(as_of) != len(since):
        raise ValueError("give one since per as_of date")
    if receivables is None or len(receivables) == 0:
        return [_empty_payments() for _ in as_of]
    require_input(receivables, ["customer_id", "due_date", "amount"], "receivables")
    invoices = _invoices(receivables)
    return [
        _payment_table(_payment_sums(invoices, as_of=at, grace_days=grace_days, since=first), customers)
        for at, first in zip(as_of, since, strict=True)
    ]


def payment_behaviour(
    receivables: pd.DataFrame | None,
    *,
    as_of: pd.Timestamp,
    customers: pd.DataFrame | None = None,
    grace_days: int = 5,
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Financial reputation: how each customer pays, as known at ``as_of``.

    An invoice paid after ``as_of`` counts as open at ``as_of``, so last year can be screened
    with this year's receivables. Early payment counts as 0 days late (not as credit).

    Parameters
    ----------
    receivables : pandas.DataFrame or None
        Columns ``customer_id``, ``due_date``, ``amount``; optional ``paid_date`` (empty while
        open) and ``invoice_date``. None or empty gives an empty result (see
        :func:`payment_data_available`): the caller decides what "not available" means.
    as_of : pandas.Timestamp
        Date the behaviour is judged at (usually the end of the current window).
    customers : pandas.DataFrame, optional
        Customer master; its ``credit_limit`` gives ``credit_use``.
    grace_days : int
        Days after the due date still counted as on time for ``late_share``.
    since : pandas.Timestamp, optional
        Judge only invoices dated from this day (invoice date, else due date); open amounts
        always include older invoices.

    Returns
    -------
    pandas.DataFrame
        One row per customer of the receivables, sorted by id: customer_id, invoices (invoices
        judged: positive amounts due or paid by ``as_of``), paid_invoices, avg_days_late
        (amount-weighted days paid after due date, paid invoices), late_share (share of judged
        invoices paid, or still open, later than due date + ``grace_days``), open_amount (unpaid
        at ``as_of``), open_overdue_amount (unpaid and past due at ``as_of``), credit_use
        (open_amount / credit_limit; NaN without a positive limit).
    """
    return payment_behaviour_by_window(
        receivables, as_of=[as_of], since=[since], customers=customers, grace_days=grace_days
    )[0]


def payment_data_available(payments: pd.DataFrame | None) -> bool:
    """Whether :func:`payment_behaviour` found any invoice to judge payment behaviour on."""
    return payments is not None and "invoices" in payments and int(payments["invoices"].sum()) > 0


def period_payments(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    windows: Sequence[ComparisonWindow],
    settings: ScreeningSettings,
) -> list[pd.DataFrame]:
    """The payment behaviour :func:`screen_period` scores each window on, from one reading.

    Judged at the window's end, on the invoices of its last year (a full year even when the
    window compares fewer months), with ``settings.grace_days``: see
    :func:`payment_behaviour_by_window`.

    Parameters
    ----------
    tables : mapping
        Contract tables by name ("receivables" and "customers" are read, each may be missing).
    windows : sequence of ComparisonWindow
        The windows screened.
    settings : ScreeningSettings
        Rules (the grace days).

    Returns
    -------
    list of pandas.DataFrame
        One :func:`payment_behaviour` frame per window, in order.
    """
    return payment_behaviour_by_window(
        tables.get("receivables"),
        as_of=[window.current_end for window in windows],
        since=[window.current_end - pd.DateOffset(years=1) + pd.Timedelta(days=1) for window in windows],
        customers=tables.get("customers"),
        grace_days=settings.grace_days,
    )
