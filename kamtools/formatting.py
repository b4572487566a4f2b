"""The one way kamtools writes numbers for a reader: tables, chart axes and sentences.

Every money amount, percentage and count a client reads goes through these functions, so the
same value reads the same in a table cell, on an axis and in a finding:

* :func:`number_text`: "1,234,567" (thousands separators, never "-0"),
* :func:`money_text`: "€1,234,567" in a table, "€1.2m" in a sentence (``compact=True``),
* :func:`percent_text`: "15%" / "15.3%",
* :func:`count_text`: "1 customer", "2 customers"; :func:`and_joined`: "a, b and c".

Charts and the screening's reasons write negative numbers with the typographic minus
(``minus=MINUS``, "−5%"), which reads better next to text and does not break a line; tables and
report sentences keep the ASCII hyphen so that a pasted figure stays a number in a spreadsheet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from numbers import Real

import pandas as pd

__all__ = [
    "CURRENCY_SYMBOLS",
    "MINUS",
    "NOT_AVAILABLE",
    "and_joined",
    "count_text",
    "currency_code",
    "is_missing",
    "money_text",
    "number_text",
    "percent_text",
]

NOT_AVAILABLE = "n/a"
"""What a reader sees for a missing value."""

MINUS = "\u2212"
"""The typographic minus sign used on chart axes and in the screening's reasons."""

CURRENCY_SYMBOLS: Mapping[str, str] = {"EUR": "€", "GBP": "£", "USD": "$"}
"""Currencies written with a leading symbol; any other code follows the amount ("1,234 CHF")."""

_COMPACT_SCALES = ((1e3, "k"), (1e6, "m"), (1e9, "bn"))


def is_missing(value: object) -> bool:
    """True for None, NA, NaT and NaN: values a reader sees as :data:`NOT_AVAILABLE`."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, Real) and math.isnan(float(value))


def currency_code(currency: str) -> str:
    """The ISO 4217 code in capitals; raises ValueError for anything that is not three letters."""
    code = str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"currency must be a three-letter ISO 4217 code such as 'EUR', got {currency!r}")
    return code


def _unsigned_zero(number: str) -> str:
    """ "-0" or "-0.00" after rounding reads as a loss that is not there: drop the sign."""
    return number[1:] if number.startswith("-") and number.strip("-0.,") == "" else number


def number_text(value: float, places: int = 0, *, minus: str = "-") -> str:
    """A number with thousands separators and ``places`` decimals: 1234.5 → "1,235".

    Parameters
    ----------
    value : float
        The number.
    places : int
        Decimals after the point.
    minus : str
        The sign written before negative numbers ("-" or :data:`MINUS`).

    Returns
    -------
    str
        The number, never "-0" (a value that rounds to zero has no sign).
    """
    return _unsigned_zero(f"{float(value):,.{places}f}").replace("-", minus)


def _compact(size: float) -> str:
    """A non-negative amount with k/m/bn: 2_345_000 → "2.3m"; rounding never leaves "1000k"."""
    number = f"{round(size):,}"
    if round(size) >= 1000:
        for scale, suffix in _COMPACT_SCALES:
            value = size / scale
            number = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
            if float(number.replace(",", "")) < 1000 or suffix == "bn":
                return number.removesuffix(".0") + suffix
    return number


def money_text(amount: float, currency: str, *, compact: bool = True, places: int = 0) -> str:
    """An amount with its currency: "€2.3m" in sentences, tables and axes; "€2,345,678.40" in full.

    Parameters
    ----------
    amount : float
        The amount in currency units; negative amounts get a leading "-".
    currency : str
        ISO 4217 code ("EUR", "GBP", "USD", "CHF", ...); EUR, GBP and USD are written with their
        symbol in front, other codes after the amount ("1.5bn CHF").
    compact : bool
        True (sentences): thousands, millions and billions get ``k``, ``m`` and ``bn``, with one
        decimal below 100 units of the suffix and none above ("€12.3m", "€123m"); amounts under a
        thousand are whole. False: every digit with thousands separators (a table column whose
        decimals are named, a rate such as "€12.50 per order").
    places : int
        Decimals when ``compact`` is False.

    Returns
    -------
    str
        The amount, or "n/a" for a missing amount. Never "-€0".

    Raises
    ------
    ValueError
        ``currency`` is not a three-letter code.
    """
    code = currency_code(currency)
    if is_missing(amount):
        return NOT_AVAILABLE
    size = abs(float(amount))
    number = _compact(size) if compact else number_text(size, places)
    sign = "-" if float(amount) < 0 and number.strip("0.,") != "" else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def percent_text(fraction: float, decimals: int = 0, *, minus: str = "-") -> str:
    """A fraction as a percentage: 0.153 → "15%" (or "15.3%").

    Parameters
    ----------
    fraction : float
        The share as a fraction (0.153 means 15.3%).
    decimals : int
        Decimals after the point.
    minus : str
        The sign written before negative percentages ("-" or :data:`MINUS`).

    Returns
    -------
    str
        The percentage, or "n/a" for a missing value. Never "-0%".
    """
    if is_missing(fraction):
        return NOT_AVAILABLE
    return number_text(float(fraction) * 100, decimals, minus=minus) + "%"


def count_text(n: int, singular: str, plural: str) -> str:
    """ "1 customer", "2 customers": a count with the right form of its noun."""
    return f"{n:,} {singular if n == 1 else plural}"


def and_joined(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c": items of a sentence, the last joined with "and" ("" for none)."""
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
