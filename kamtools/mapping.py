"""Propose ``client.yml`` settings for a client's real exports (``kam new --from``).

A user starts from what the ERP gives them: an export of invoice lines, perhaps a customer
master, open items and a product list. This module reads their headers and a sample of their
cells and proposes, without asking anything, the mapping the user would otherwise type:

* contract columns from common ERP header variants ("Inv Date", "Cust No", "Net Amount",
  "COGS", "Order Date", "Customer ID", "SalesAmount", "TotalProductCost", ...), matched
  case-, space- and punctuation-insensitively (:func:`normalise_header`);
* ``net_sales_from`` when there is a quantity and a unit price but no line total, and
  ``cost_from_profit`` when there is a profit column instead of a cost column;
* ``missing_values`` when cells read ``NULL``, ``N/A``, ``#N/A`` or ``-``;
* ``drop_rows_missing`` for lines without a customer number (anonymous sales, counted);
* ``lookups`` joining a product list onto the lines by a shared key column;
* the periods, from the data's dates (:func:`propose_periods`).

Everything here is pure (frames and header lists in, mappings out); :mod:`kamtools.workspace`
reads and copies the files.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kamtools.contract import TABLES
from kamtools.periods import comparison_window, fiscal_period

__all__ = [
    "MISSING_TOKENS",
    "PeriodProposal",
    "normalise_header",
    "propose_lookup",
    "propose_mapping",
    "propose_periods",
]

_SYNONYM_TEXT = {
    # Best match first: "SalesAmount" (after discount) wins over "ExtendedAmount" (before).
    "customer_id": (
        "customerid custid customerno custno customernumber customernr custnum customercode "
        "custcode customerkey customer cust accountno accountnumber accountid account debtorno "
        "debtor clientid clientno soldto soldtoparty kundennr kundennummer kunde"
    ),
    "name": "customername custname name company companyname accountname clientname",
    "region": "region salesregion territory salesterritory area country land",
    "segment": "segment customersegment channel customertype customergroup custgroup",
    "customer_since": "customersince since createddate opened datefirstpurchase firstorder",
    "credit_limit": "creditlimit limit creditline",
    "payment_terms_days": "paymenttermsdays paymentterms termsdays terms paymentdays",
    "invoice_date": (
        "invoicedate invdate invoicedt billingdate billdate orderdate salesdate transactiondate "
        "transdate docdate documentdate postingdate date belegdatum"
    ),
    "net_sales": (
        "netsales netamount netamt salesamount salesamt netvalue netrevenue linetotal lineamount "
        "lineamt linevalue amount sales revenue turnover value net total extendedamount extamount "
        "umsatz nettobetrag"
    ),
    "cost": (
        "cost cogs totalproductcost totalcost costofgoods costofgoodssold costofsales costamount "
        "linecost productcost costvalue einstandswert wareneinsatz"
    ),
    "quantity": "quantity qty orderquantity orderqty qtysold units unitssold menge",
    "product": (
        "stockcode product productid productcode productkey productno sku item itemcode itemno "
        "itemnumber itemid article articleno artikelnr material partno partnumber"
    ),
    "category": (
        "category productcategory productgroup itemgroup itemcategory categoryname group warengruppe"
    ),
    "invoice_id": (
        "invoiceno invoicenumber invoiceid invno invnum invoice salesordernumber orderno "
        "ordernumber orderid docno documentno documentnumber belegnr"
    ),
    "due_date": "duedate due paymentduedate netduedate",
    "paid_date": "paiddate paymentdate datepaid cleareddate clearingdate cleared paid",
    "amount": "amount invoiceamount invamount grossamount openamount amountdue total balance value",
    # Not contract columns: factors of the line total, and a profit instead of cost.
    "unit_price": "unitprice price priceperunit salesprice sellingprice netprice",
    "profit": "grossprofit profit gp grossmargin marginamount profitamount deckungsbeitrag",
}
SYNONYMS: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in _SYNONYM_TEXT.items()}
"""Normalised header names per contract column (and ``unit_price``, ``profit``), best first."""

MISSING_TOKENS = ("NULL", "N/A", "#N/A", "-", "--", "(null)", "NaN")
"""Cell texts that mean "no value" in common exports; proposed as ``missing_values`` when seen."""

ANONYMOUS = "no customer number (anonymous sale), cannot be attributed to a customer"
SAMPLE_ROWS = 20_000


def normalise_header(name: object) -> str:
    """A header as it is compared: lower case, letters and digits only ("Inv. Date" → "invdate")."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _match(header: Sequence[str], targets: Sequence[str], taken: set[str]) -> dict[str, str]:
    normalised: dict[str, str] = {}
    for column in header:
        normalised.setdefault(normalise_header(column), str(column))
    found: dict[str, str] = {}
    for target in targets:
        for synonym in SYNONYMS.get(target, (target.replace("_", ""),)):
            source = normalised.get(synonym)
            if source is not None and source not in taken:
                found[target] = source
                taken.add(source)
                break
    return found


def _tokens_seen(sample: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    seen: list[str] = []
    wanted = {t.upper(): t for t in MISSING_TOKENS}
    for column in columns:
        if column not in sample.columns or sample[column].dtype != object:
            continue
        cells = sample[column].astype(str).str.strip()
        for cell in cells[cells.str.upper().isin(wanted)].unique():
            if cell not in seen:
                seen.append(cell)
    return seen


def propose_mapping(
    header: Sequence[str], table: str = "sales", *, sample: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Suggest the ``client.yml`` settings of one input file from its header (and cells).

    Parameters
    ----------
    header : sequence of str
        The file's column names as written.
    table : str
        The contract table the file feeds ("sales", "customers", "receivables", ...).
    sample : pandas.DataFrame, optional
        The file's first rows as text cells (:func:`kamtools.io.read_raw_table`); with it,
        ``missing_values`` and ``drop_rows_missing`` are proposed when their cells are seen.

    Returns
    -------
    dict
        ``columns`` (contract column: file column) and, where they apply, ``net_sales_from``,
        ``cost_from_profit``, ``customer_columns``, ``missing_values``, ``drop_rows_missing``.
    """
    contract = TABLES[table].column_names
    extra = ["unit_price", "profit"] if table == "sales" else []
    taken: set[str] = set()
    columns = _match(header, [*contract, *extra], taken)
    price, profit = columns.pop("unit_price", None), columns.pop("profit", None)
    proposal: dict[str, Any] = {}
    if table == "sales":
        if "net_sales" not in columns and price and "quantity" in columns:
            proposal["net_sales_from"] = [columns["quantity"], price]
        if "cost" not in columns and profit and ("net_sales" in columns or "net_sales_from" in proposal):
            proposal["cost_from_profit"] = profit
        customer = _match(header, ["name", "region", "segment"], taken)
        if customer:
            proposal["customer_columns"] = customer
    proposal = {"columns": {k: v for k, v in columns.items() if k in contract}, **proposal}
    if sample is not None and len(sample):
        used = [*proposal["columns"].values(), *proposal.get("net_sales_from", [])]
        used += [*proposal.get("customer_columns", {}).values(), proposal.get("cost_from_profit") or ""]
        tokens = _tokens_seen(sample, used)
        if tokens:
            proposal["missing_values"] = tokens
        customer_column = proposal["columns"].get("customer_id")
        if table == "sales" and customer_column in sample.columns:
            cells = sample[customer_column].astype(str).str.strip()
            if (cells.eq("") | cells.str.upper().isin([t.upper() for t in tokens])).any():
                proposal["drop_rows_missing"] = {"customer_id": ANONYMOUS}
    return proposal


def propose_lookup(
    lookup_header: Sequence[str], *, file: str, sales_header: Sequence[str], sales_columns: Mapping[str, str]
) -> dict[str, Any] | None:
    """Suggest a ``lookups`` entry joining a product list (or similar) onto the invoice lines.

    The key is a column of the lookup file with the same (normalised) name as a column of the
    export, preferring the export's product column; else the lookup file's product-like column
    joined to the export's product column. The looked-up columns are those of the contract the
    export does not map yet (usually ``category``). Returns None when no key or nothing to add
    is found.
    """
    sales_by_name = {normalise_header(c): str(c) for c in sales_header}
    lookup_by_name = {normalise_header(c): str(c) for c in lookup_header}
    product = sales_columns.get("product")
    shared = [n for n in lookup_by_name if n in sales_by_name]
    shared.sort(key=lambda n: sales_by_name[n] != product)
    if shared:
        on, key = sales_by_name[shared[0]], lookup_by_name[shared[0]]
    else:
        key_match = _match(lookup_header, ["product"], set())
        if not (product and key_match):
            return None
        on, key = product, key_match["product"]
    missing_targets = [c for c in TABLES["sales"].column_names if c not in sales_columns]
    supplied = _match([c for c in lookup_header if c != key], missing_targets, set())
    supplied = {t: c for t, c in supplied.items() if t in ("category", "product")}
    if not supplied:
        return None
    entry: dict[str, Any] = {"file": file, "on": on}
    if key != on:
        entry["key"] = key
    entry["columns"] = supplied
    return entry


@dataclass(frozen=True)
class PeriodProposal:
    """Periods proposed from the dates of an export, with the sentence saying why."""

    current: int
    previous: int
    first: int
    later_lines: bool
    """True when lines dated after the current period exist (propose ``out_of_period: exclude``)."""
    reason: str


def propose_periods(dates: pd.Series, *, start_month: int = 1) -> PeriodProposal | None:
    """The periods to analyse: the latest complete fiscal year, else the latest year like for like.

    A year counts as complete by the rule of :func:`kamtools.periods.comparison_window` (the
    data reach its last business days). Returns None when there is no readable date.
    """
    dates = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if dates.empty:
        return None
    labels = fiscal_period(dates, start_month=start_month)
    first, last = int(labels.min()), int(labels.max())
    span = f"The data run from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        complete = [
            p
            for p in range(last, first - 1, -1)
            if not comparison_window(dates, current=p, previous=p - 1, start_month=start_month).like_for_like
            and (labels == p).any()
        ]
    if complete and complete[0] >= last - 1:
        current = complete[0]
        reason = f"{span}: {current} is the latest complete fiscal year."
    else:
        current = last
        reason = f"{span}: no later fiscal year is complete, so {current} is compared like for like."
    if current <= first:
        reason += f" There is no earlier year in the data: {current - 1} has no sales to compare with."
    previous = current - 1
    return PeriodProposal(
        current=current,
        previous=previous,
        first=min(first, previous),
        later_lines=current < last,
        reason=reason,
    )
