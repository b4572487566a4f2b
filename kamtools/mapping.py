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
from kamtools.periods import comparison_window, fiscal_period, period_bounds

__all__ = [
    "MISSING_TOKENS",
    "InputsProposal",
    "PeriodProposal",
    "normalise_header",
    "propose_currency",
    "propose_inputs",
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
    wanted = [t.upper() for t in MISSING_TOKENS]
    for column in columns:
        if column not in sample.columns or pd.api.types.is_numeric_dtype(sample[column]):
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
    entry: dict[str, Any] = {"file": file, "by": on}
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
        reason = (
            f"{span}: {current} is not complete (its data stop on {dates.max():%Y-%m-%d}), so it is"
            f" compared like for like with the same months of {current - 1}."
        )
    if current <= first:
        reason += f" There is no earlier year in the data: {current - 1} has no sales to compare with."
    elif (labels == current - 1).any() and dates[labels == current - 1].min() > period_bounds(
        current - 1, start_month=start_month
    )[0] + pd.Timedelta(days=31):
        reason += (
            f" {current - 1} is only partly in the data (from {dates[labels == current - 1].min():%Y-%m-%d}):"
            " check client.fiscal_year_start_month and the periods."
        )
    previous = current - 1
    return PeriodProposal(
        current=current,
        previous=previous,
        first=min(first, previous),
        later_lines=current < last,
        reason=reason,
    )


@dataclass(frozen=True)
class InputsProposal:
    """What ``kam new --from`` writes into ``client.yml``, and the sentences that explain it."""

    inputs: dict[str, dict[str, Any]]
    periods: PeriodProposal | None
    notes: list[str]
    currency: str | None = None
    """ISO code when the amounts carry a currency sign or code ("€1.234,56", "1,234.00 GBP")."""


CURRENCY_SIGNS = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "¥": "JPY",
    "CHF": "CHF",
    "EUR": "EUR",
    "GBP": "GBP",
    "USD": "USD",
}


def propose_currency(amounts: pd.Series) -> str | None:
    """The currency the amount cells are written in, when one sign or code dominates them."""
    text = amounts.astype(str).head(SAMPLE_ROWS)
    found = text.str.extract(r"([€£$¥]|\b(?:CHF|EUR|GBP|USD)\b)")[0].dropna()
    if found.empty:
        return None
    top = found.value_counts()
    return CURRENCY_SIGNS.get(str(top.index[0])) if top.iloc[0] >= 0.9 * len(found) else None


def _describe(table: str, file: str, header: Sequence[str], proposal: Mapping[str, Any]) -> list[str]:
    mapped = dict(proposal.get("columns", {}))
    used = set(mapped.values()) | set(proposal.get("net_sales_from", []))
    used |= set(proposal.get("customer_columns", {}).values()) | {proposal.get("cost_from_profit")}
    pairs = ", ".join(f"{target} = '{source}'" for target, source in mapped.items())
    notes = [f"{table} ({file}): " + (pairs or "no column recognised")]
    if "net_sales_from" in proposal:
        notes.append(f"{table}: net_sales = {' x '.join(proposal['net_sales_from'])} (no line total found)")
    if "cost_from_profit" in proposal:
        notes.append(
            f"{table}: cost = net sales - '{proposal['cost_from_profit']}' (a profit column, no cost)"
        )
    if "customer_columns" in proposal:
        pairs = ", ".join(f"{t} = '{c}'" for t, c in proposal["customer_columns"].items())
        notes.append(f"{table}: no customer master given: customers are derived from the lines ({pairs})")
    if "missing_values" in proposal:
        shown = ", ".join(repr(t) for t in proposal["missing_values"])
        notes.append(f"{table}: cells reading {shown} are read as empty (missing_values)")
    if "drop_rows_missing" in proposal:
        notes.append(
            f"{table}: lines without a customer number are set aside and counted (drop_rows_missing)"
        )
    required = [c for c in TABLES[table].required_columns if c not in mapped]
    if table == "sales" and "net_sales_from" in proposal:
        required = [c for c in required if c != "net_sales"]
    for column in required:
        notes.append(
            f"{table}: required column '{column}' not recognised:"
            f" map it under inputs.{table}.columns in client.yml"
        )
    unused = [str(c) for c in header if str(c) not in used]
    if unused:
        notes.append(f"{table}: columns not used: {', '.join(unused)}")
    return notes


def propose_inputs(
    files: Mapping[str, tuple[str, pd.DataFrame]],
    *,
    lookups: Mapping[str, pd.DataFrame] | None = None,
    start_month: int = 1,
) -> InputsProposal:
    """Propose the ``inputs`` and ``periods`` of ``client.yml`` for a set of real exports.

    Parameters
    ----------
    files : mapping
        Contract table name → (file path as client.yml will name it, e.g. ``inputs/export.csv``,
        raw text frame of the whole file). "sales" is required; "customers" and "receivables"
        are common companions.
    lookups : mapping, optional
        Lookup file path (as client.yml will name it) → raw frame, joined onto the sales lines.
    start_month : int
        Fiscal year start used to propose the periods.

    Returns
    -------
    InputsProposal
        The ``inputs`` mapping, the proposed periods (None without readable dates) and one
        plain sentence per decision or gap, for the user to check in ``client.yml``.
    """
    from kamtools.parsing import parse_dates

    inputs: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for table, (path, frame) in files.items():
        proposal = propose_mapping(list(frame.columns), table, sample=frame)
        if table == "sales" and "customers" in files:
            proposal.pop("customer_columns", None)  # the master has names, regions, segments
        inputs[table] = {"file": path, **proposal}
        notes += _describe(table, path.rsplit("/", 1)[-1], list(frame.columns), proposal)
    sales = files["sales"][1]
    sales_spec = inputs["sales"]
    for path, lookup in (lookups or {}).items():
        name = path.rsplit("/", 1)[-1]
        entry = propose_lookup(
            list(lookup.columns),
            file=path,
            sales_header=list(sales.columns),
            sales_columns=sales_spec["columns"],
        )
        if entry is None:
            notes.append(
                f"lookup {name}: no shared key column or no category found; declare the join under"
                " inputs.sales.lookups in client.yml (file, by, key, columns)"
            )
            continue
        sales_spec.setdefault("lookups", []).append(entry)
        added = ", ".join(f"{t} = '{c}'" for t, c in entry["columns"].items())
        notes.append(f"lookup {name}: joined by '{entry['by']}' = '{entry.get('key', entry['by'])}': {added}")
    amount_column = sales_spec["columns"].get("net_sales")
    currency = propose_currency(sales[amount_column]) if amount_column else None
    if currency:
        notes.append(f"client: currency {currency}, from the signs in '{amount_column}'")
    periods = None
    date_column = sales_spec["columns"].get("invoice_date")
    if date_column:
        cells = sales[date_column].astype(str).str.strip()
        tokens = {t.upper() for t in sales_spec.get("missing_values", [])}
        dates, _ = parse_dates(cells.where(~cells.str.upper().isin(tokens), ""))
        periods = propose_periods(dates, start_month=start_month)
    if periods is None:
        notes.append("periods: no readable invoice date; set periods.current in client.yml")
    else:
        notes.append(f"periods: current {periods.current}, previous {periods.previous}. {periods.reason}")
        if periods.later_lines:
            sales_spec["out_of_period"] = "exclude"
            notes.append(
                f"sales: lines dated after {periods.current} are set aside and counted (out_of_period)"
            )
    return InputsProposal(inputs=inputs, periods=periods, notes=notes, currency=currency)
