"""A deterministic, fictional demo dealer: every contract table, ready to run the four stages.

"Northwind Building Supplies" is a made-up distributor of building materials and industrial
supplies with about 2,000 customers and three fiscal years of invoice lines (fiscal years
2024 to 2026, April to March). The data behave the way a real dealer's data do, so that every
analysis of kamtools has something to find:

- sales are concentrated (the top fifth of customers make roughly three quarters of sales);
- margins differ by product category and by customer: some big accounts are price-pressed
  (5-10 % gross margin), some small ones pay full price (35 % and more), a few earn nothing;
- customers join and leave; a few former key accounts decline sharply or are lost in the
  current year, and some small customers grow into key accounts;
- credit notes and returns, payment behaviour from punctual to chronically late, open and
  overdue invoices at the end of the data;
- cost-to-serve drivers, workshop assessments, satisfaction surveys (lower satisfaction among
  the customers that later declined or left), wallet estimates and the service team.

Everything comes from one seed, so tests, examples and documentation see the same numbers.
The generator is fully vectorised: the default size takes well under a second.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kamtools.contract import SATISFACTION_LABELS, TABLES

DEMO_CLIENT: dict[str, Any] = {
    "client": {
        "name": "Northwind Building Supplies",
        "slug": "demo",
        "currency": "EUR",
        "fiscal_year_start_month": 4,
    },
    "periods": {"current": 2026, "previous": 2025},
    # The cost per order, delivery, visit and return the generator charges in cost_amount, and
    # a yearly account manager cost: the needs analysis splits cost to serve by component.
    "needs": {
        "cost_driver_rates": {"orders": 18.0, "deliveries": 62.0, "visits": 140.0, "returns": 45.0},
        "account_manager_cost": 85000,
    },
}
"""Client settings of the demo dealer, shaped like the ``client``, ``periods`` and ``needs``
sections of ``client.yml``. Use :func:`demo_config` for a copy that is safe to modify."""

# --- Calendar -------------------------------------------------------------------------------
# Three fiscal years of twelve months; month index 0 is April 2023 (start of FY2024).
_PERIODS = np.array([2024, 2025, 2026])
_N_MONTHS = 36
_FIRST_DAY = np.datetime64("2023-04-01", "D")
_AS_OF = np.datetime64("2026-03-31", "D")
_MONTH_STARTS = np.arange(np.datetime64("2023-04", "M"), np.datetime64("2026-04", "M")).astype(
    "datetime64[D]"
)
_HOLIDAYS = np.array(
    [f"{y}-{md}" for y in (2023, 2024, 2025, 2026) for md in ("01-01", "12-25", "12-26")],
    dtype="datetime64[D]",
)
# Building materials sell best from spring to autumn and slow down over the winter months.
_SEASONALITY = np.array([1.05, 1.12, 1.12, 1.08, 0.92, 1.10, 1.08, 0.98, 0.72, 0.70, 0.85, 1.02])

# --- Customers ------------------------------------------------------------------------------
_REGIONS = np.array(["North", "South", "East", "West", "Central", "Coast"])
_REGION_WEIGHTS = np.array([0.18, 0.20, 0.14, 0.17, 0.19, 0.12])
_SEGMENTS = np.array(["Contractor", "Installer", "Retailer", "Industrial", "Public sector"])
_SEGMENT_WEIGHTS = np.array([0.36, 0.26, 0.14, 0.14, 0.10])
# Median yearly purchases by segment (log scale) around which customer sizes spread.
_SEGMENT_LOG_SIZE = np.array([9.7, 9.2, 10.1, 9.9, 9.5])
_SIZE_SIGMA = 1.42

_NAME_STEMS = (
    "Ashford", "Baxter", "Bramley", "Carrow", "Dalton", "Eastwood", "Fairbank", "Garside",
    "Hadley", "Hollins", "Ingram", "Kendal", "Langley", "Marsden", "Norbury", "Oakley",
    "Pemberton", "Radcliffe", "Sefton", "Thornbury", "Upton", "Whitmore", "Becker", "Hoffmann",
    "Jansen", "de Vries", "Lindqvist", "Moreau", "Novak", "Rossi", "Schneider", "Vermeulen",
    "Kowalski", "Dubois", "Bergmann", "Castell", "Delgado", "Eriksen", "Falk", "Gruber",
    "Holm", "Ivanek", "Janssens", "Keller", "Larsen", "Maes", "Nilsen", "Olsen", "Peeters",
    "Quist", "Ricci", "Sorensen", "Tanner", "Ulrich", "Vogel", "Wagner", "Young", "Zeller",
    "Aldridge", "Blackwood", "Crane", "Drummond", "Ellison", "Fletcher", "Granger", "Harlow",
)  # fmt: skip
_SEGMENT_TRADES = (
    ("Construction", "Builders", "Groundworks", "Renovations", "Civil Engineering",
     "Roofing", "Carpentry", "Masonry", "Scaffolding", "Facades", "Drywall", "Demolition"),
    ("Plumbing", "Heating", "Electrical", "Installations", "Solar", "HVAC", "Sanitary",
     "Climate Services", "Electro", "Energy Systems"),
    ("Hardware", "DIY Centre", "Home & Garden", "Building Centre", "Trade Counter",
     "Tool Shop", "Hardware Store", "Garden & Build"),
    ("Engineering", "Fabrication", "Steelworks", "Industries", "Manufacturing",
     "Plant Services", "Machining", "Industrial Services"),
)  # fmt: skip
_LEGAL_SUFFIXES = ("", " Ltd", " & Sons", " Group", " & Co.", " Partners", " GmbH", " B.V.")
_PLACES = (
    "Ashby", "Brookfield", "Calder", "Dunmore", "Elmstead", "Fenwick", "Glenholm", "Harwich",
    "Irvingdale", "Kingsbury", "Lowmoor", "Millbrook", "Newhaven", "Oldcastle", "Portmere",
    "Redhill", "Stonebridge", "Thornfield", "Westmere", "Yarrow", "Aldenbeek", "Bergheim",
    "Dunvik", "Eikhoven", "Holtby", "Lindau", "Marwick", "Rosendal", "Skelby", "Valkenrade",
)  # fmt: skip
_PUBLIC_BODIES = (
    "Municipality of {}", "{} Housing Association", "{} School Board", "{} Hospital Trust",
    "{} Water Board", "{} County Roads Department", "{} University Estates", "{} Port Authority",
    "{} Social Housing", "{} Parks Department",
)  # fmt: skip

# --- Products -------------------------------------------------------------------------------
_CATEGORIES = np.array(
    [
        "Cement & aggregates",
        "Timber & panels",
        "Insulation",
        "Roofing",
        "Plumbing & heating",
        "Electrical",
        "Tools & equipment",
        "Fasteners & fixings",
    ]
)
_N_PRODUCTS = np.array([30, 45, 35, 35, 50, 50, 45, 30])
_CATEGORY_LIST_MARGIN = np.array([0.20, 0.26, 0.29, 0.28, 0.32, 0.34, 0.38, 0.45])
_CATEGORY_MEDIAN_PRICE = np.array([12.0, 35.0, 25.0, 30.0, 45.0, 28.0, 90.0, 9.0])
# Relative size of an invoice line: a line of cement is worth more than a box of screws.
_CATEGORY_LINE_SCALE = np.array([2.2, 1.6, 1.3, 1.4, 1.0, 0.9, 0.8, 0.45])
# Share of invoice lines per category, by segment (rows follow _SEGMENTS).
_SEGMENT_CATEGORY_MIX = np.array(
    [
        [0.25, 0.20, 0.12, 0.12, 0.06, 0.05, 0.10, 0.10],
        [0.03, 0.04, 0.10, 0.05, 0.33, 0.28, 0.09, 0.08],
        [0.10, 0.12, 0.08, 0.06, 0.12, 0.12, 0.20, 0.20],
        [0.02, 0.08, 0.06, 0.04, 0.12, 0.20, 0.25, 0.23],
        [0.15, 0.12, 0.12, 0.12, 0.14, 0.14, 0.11, 0.10],
    ]
)

# --- Relationship data ----------------------------------------------------------------------
_PAYMENT_TERMS = np.array([14, 30, 45, 60])
_COMPETITORS = np.array(
    [
        "Apex Trade Supplies",
        "Bauwelt Direct",
        "Corbel Distribution",
        "Delta Build Center",
        "Evergreen Materials",
        "Fortis Industrial",
    ]
)
_COMPETITOR_WEIGHTS = np.array([0.28, 0.22, 0.17, 0.14, 0.11, 0.08])
_INDICATORS = (
    "management_maturity",
    "financial_strength",
    "network",
    "logistics",
    "relationships",
    "people",
    "business_ideas",
    "management",
    "marketing",
)
_INDICATOR_NOTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # indicator: (notes for weak scores, notes for strong scores)
    "management_maturity": (
        ("Owner decides everything, no planning", "No budget or targets in place"),
        ("Second-generation owner, uses ERP", "Yearly business plan shared with us"),
    ),
    "financial_strength": (
        ("Pays late, credit limit often exceeded", "Thin equity after two weak years"),
        ("Solid balance sheet, pays on time", "Bank-financed growth, good rating"),
    ),
    "network": (
        ("Few contacts beyond own region", "Not in any purchasing group"),
        ("Member of a strong purchasing group", "Well connected with architects"),
    ),
    "logistics": (
        ("Orders daily in small quantities", "No storage, everything to site"),
        ("Own warehouse, bundles orders weekly", "Accepts full-truck deliveries"),
    ),
    "relationships": (
        ("Contact only through purchasing", "Buyer changed twice this year"),
        ("Meets our director twice a year", "Long personal relationship with owner"),
    ),
    "people": (
        ("Struggles to find skilled staff", "High turnover in the sales team"),
        ("Trains apprentices, stable crew", "Strong technical staff"),
    ),
    "business_ideas": (
        ("No view on new products", "Sticks to traditional work only"),
        ("Moving into renovation and energy", "Pilots prefab and modular builds"),
    ),
    "management": (
        ("Succession unclear", "Management overloaded with daily work"),
        ("Professional management team", "Clear division of roles"),
    ),
    "marketing": (
        ("No website, word of mouth only", "No idea of own market share"),
        ("Active online, good reviews", "Targets developers and public tenders"),
    ),
}
_SURVEY_DIMENSIONS = ("product_quality", "delivery", "service", "price", "account_manager")
_SURVEY_DIMENSION_SHIFT = np.array([0.25, 0.0, 0.05, -0.45, 0.15])
_SATISFACTION_BY_SCORE = {score: label for label, score in SATISFACTION_LABELS.items()}

# The service team: head of sales, one account manager per region or two, inside sales,
# logistics and credit control.
_HEAD_OF_SALES = "Sarah Lindqvist"
_ACCOUNT_MANAGERS = ("Jonas Becker", "Emma Visser", "Luca Moretti", "Hannah Kowalski", "Tom Fischer")
# Region index -> account manager index; the fifth covers Central and Coast.
_REGION_ACCOUNT_MANAGER = np.array([0, 1, 2, 3, 4, 4])
_INSIDE_SALES = ("Mila Jansen", "Noah Schmidt", "Sofia Novak")
_REGION_INSIDE_SALES = np.array([0, 1, 2, 0, 1, 2])
_LOGISTICS = ("Pieter de Groot", "Anna Dubois")
_REGION_LOGISTICS = np.array([0, 1, 1, 0, 0, 1])
_CREDIT_CONTROLLER = "Marc Weber"


def demo_config() -> dict[str, Any]:
    """Return the demo client's settings as a fresh dictionary.

    Returns
    -------
    dict
        ``{"client": {...}, "periods": {...}, "needs": {...}}`` as in :data:`DEMO_CLIENT`: name,
        slug, currency and fiscal year start month (April) of Northwind Building Supplies,
        current period 2026 and previous period 2025, and the needs analysis' cost rates. A
        deep copy, so callers may change it freely.
    """
    return copy.deepcopy(DEMO_CLIENT)


@dataclass(frozen=True)
class _Customers:
    """Customer master plus the hidden traits that drive the generated behaviour."""

    frame: pd.DataFrame
    region: np.ndarray  # region index per customer
    monthly: np.ndarray  # (customers, months) expected net sales
    category_mix: np.ndarray  # (customers, categories) probability of a line's category
    discount: np.ndarray  # average discount off list price (negative = premium)
    terms: np.ndarray  # payment terms in days
    late_days: np.ndarray  # mean days paid after the due date
    satisfaction: np.ndarray  # latent satisfaction on the 1..5 scale
    quality: np.ndarray  # latent strength as a business partner, standard normal


@dataclass(frozen=True)
class _Lines:
    """Invoice lines and invoices as numpy arrays, in invoice order."""

    line_invoice: np.ndarray  # invoice number (0-based) of each line
    product_code: np.ndarray  # product code of each line
    category: np.ndarray  # category name of each line
    quantity: np.ndarray
    net_sales: np.ndarray
    cost: np.ndarray
    invoice_customer: np.ndarray  # customer index of each invoice
    invoice_date: np.ndarray  # datetime64[D]
    invoice_amount: np.ndarray
    invoice_is_credit: np.ndarray


def generate_demo_tables(*, seed: int = 20261123, n_customers: int = 2000) -> dict[str, pd.DataFrame]:
    """Generate every contract table of the fictional demo dealer.

    The same seed always gives identical tables. With the defaults the dealer has 2,000
    customers and about 300,000 invoice lines over fiscal years 2024-2026 (invoice dates
    2023-04-01 to 2026-03-31); the number of lines scales with ``n_customers``.

    Parameters
    ----------
    seed : int
        Seed of the random generator (:func:`numpy.random.default_rng`).
    n_customers : int
        Number of customers in the customer master, 100 to 8,000.

    Returns
    -------
    dict of str to DataFrame
        One frame per table of :data:`kamtools.contract.TABLES`, in the contract's order and with
        exactly its columns: ids and text as strings, dates as ``datetime64[ns]``, amounts and
        counts as float64, periods and scores as int64. Survey answers are the text labels of
        :data:`kamtools.contract.SATISFACTION_LABELS`.

        - ``customers``: the customer master.
        - ``sales``: invoice lines; credit notes for returns have negative quantities and amounts.
        - ``receivables``: one row per invoice, paid dates as of 2026-03-31 (empty if open).
        - ``cost_to_serve``: orders, deliveries, visits, returns and their cost per customer and
          fiscal year.
        - ``assessments``: workshop scores of the 40 largest customers of fiscal year 2026.
        - ``surveys``: satisfaction survey answers of about 150 customers in fiscal years 2025
          and 2026.
        - ``market``: wallet estimates and main competitors for about 300 customers.
        - ``team``: twelve team members and the accounts they serve.
        - ``lost_customers``: reasons recorded for most of the lost customers among the 500
          largest of fiscal year 2025 (no purchase in the last 180 days of the data), and for
          most of those that bought 40 % less in 2026.

    Raises
    ------
    ValueError
        If ``n_customers`` is outside 100 to 8,000 (the name lists would run out of unique
        names, or the rankings the demo is built around would be meaningless).
    """
    if not 100 <= n_customers <= 8000:
        raise ValueError(f"n_customers must be between 100 and 8000, got {n_customers}")
    streams = np.random.default_rng(seed).spawn(7)
    customers = _generate_customers(streams[0], n_customers)
    lines = _generate_lines(streams[1], customers)
    period_sales = _period_sales(lines, n_customers)
    team, account_manager = _team_table(customers, period_sales)
    tables = {
        "customers": customers.frame,
        "sales": _sales_table(lines, customers),
        "receivables": _receivables_table(streams[2], lines, customers),
        "cost_to_serve": _cost_to_serve_table(streams[3], lines, customers, period_sales),
        "assessments": _assessments_table(streams[4], customers, period_sales, account_manager),
        "surveys": _surveys_table(streams[5], customers, period_sales),
        "market": _market_table(streams[6], customers, period_sales),
        "team": team,
        "lost_customers": _lost_customers_table(_review_rng(seed, 0), lines, customers),
    }
    return {name: tables[name][TABLES[name].column_names] for name in TABLES}


# --- Customers and their monthly purchases --------------------------------------------------


def _generate_customers(rng: np.random.Generator, n: int) -> _Customers:
    """Draw the customer master and each customer's expected purchases month by month.

    The function is long because it is one recipe over one random generator: every draw depends
    on the ones before it, and the demo's numbers (which the tests and the README quote) depend
    on their order. Kept in one place, the order reads top to bottom; split up, a reordered call
    would silently change every demo table.
    """
    segment = rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_WEIGHTS)
    region = rng.choice(len(_REGIONS), size=n, p=_REGION_WEIGHTS)
    log_size = _SEGMENT_LOG_SIZE[segment] + _SIZE_SIGMA * rng.standard_normal(n)
    size_rank = _rank_fraction(log_size)  # 0 = smallest, 1 = largest
    months = np.arange(_N_MONTHS)

    # Lifecycle: about a quarter of the customers start buying during the three years; customers
    # leave at any time, small ones more often than large ones.
    is_new = rng.random(n) < 0.24
    start = np.where(is_new, rng.integers(1, _N_MONTHS, size=n), 0)
    churn_probability = 0.24 - 0.21 * size_rank**2
    churned = rng.random(n) < churn_probability
    end = np.where(churned, start + 2 + (rng.random(n) * (_N_MONTHS - start - 2)).astype(int), _N_MONTHS)
    end = np.minimum(end, _N_MONTHS)

    # Growth: a general yearly trend per customer, plus designed risers that win a big share of
    # wallet during the previous or current year.
    growth = rng.normal(0.04, 0.10, size=n)
    jump = np.zeros(n)
    jump_month = np.full(n, float(_N_MONTHS))
    jump_width = np.full(n, 6.0)
    order = np.argsort(-log_size, kind="stable")
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    riser_pool = np.flatnonzero((rank >= round(0.15 * n)) & (rank < round(0.35 * n)) & ~is_new & ~churned)
    risers = rng.choice(riser_pool, size=max(3, round(0.006 * n)), replace=False)
    jump[risers] = np.log(rng.uniform(4.0, 7.0, size=risers.size))
    jump_month[risers] = rng.integers(20, 26, size=risers.size)

    def expected(jump: np.ndarray, end: np.ndarray) -> np.ndarray:
        level = growth[:, None] * (months - 18) / 12 + jump[:, None] * np.clip(
            (months - jump_month[:, None]) / jump_width[:, None], 0.0, 1.0
        )
        onboarding = np.where(is_new[:, None], np.clip((months - start[:, None] + 1) / 4, 0, 1), 1.0)
        taper = np.clip((end[:, None] - months) / 4, 0.0, 1.0)
        active = (months >= start[:, None]) & (months < end[:, None])
        return (
            np.exp(log_size)[:, None]
            / 12
            * np.exp(level)
            * _SEASONALITY[months % 12]
            * onboarding
            * taper
            * active
        )

    # Former key accounts: about one in eight of the previous year's top 50 either leaves during
    # the current year or cuts its purchases to a fraction (half each).
    previous = expected(jump, end)[:, 12:24].sum(axis=1)
    top = np.argsort(-previous, kind="stable")[: min(50, n // 4)]
    top = top[~np.isin(top, risers)]
    fallen = rng.choice(top, size=max(2, round(0.13 * top.size)), replace=False)
    lost, declined = fallen[: fallen.size // 2], fallen[fallen.size // 2 :]
    end = end.copy()
    end[lost] = rng.integers(24, 31, size=lost.size)
    jump[declined] = np.log(rng.uniform(0.12, 0.35, size=declined.size))
    jump_month[declined] = rng.integers(22, 27, size=declined.size)
    jump_width[declined] = 3.0
    monthly = expected(jump, end) * rng.lognormal(0.0, 0.25, size=(n, _N_MONTHS))

    # What each customer buys (a segment mix, varied per customer) and at what price.
    category_mix = rng.gamma(25 * _SEGMENT_CATEGORY_MIX[segment])
    category_mix /= category_mix.sum(axis=1, keepdims=True)
    value_mix = category_mix * _CATEGORY_LINE_SCALE
    mix_margin = (value_mix * _CATEGORY_LIST_MARGIN).sum(axis=1) / value_mix.sum(axis=1)
    discount = np.clip(0.01 + 0.10 * size_rank**4 + rng.normal(0.0, 0.02, size=n), 0.0, 0.25)

    def discount_for(margin: np.ndarray, who: np.ndarray) -> np.ndarray:
        # Price (1 - d) such that 1 - cost / price hits the target margin.
        return 1 - (1 - mix_margin[who]) / (1 - margin)

    big = order[: max(10, n // 20)]
    price_pressed = rng.choice(big, size=max(3, round(0.1 * big.size)), replace=False)
    small = order[n // 2 :]
    full_price = rng.choice(small, size=round(0.10 * small.size), replace=False)
    middle = order[round(0.05 * n) : round(0.4 * n)]
    break_even = rng.choice(middle, size=max(2, round(0.003 * n)), replace=False)
    discount[price_pressed] = discount_for(rng.uniform(0.04, 0.09, size=price_pressed.size), price_pressed)
    discount[full_price] = discount_for(rng.uniform(0.37, 0.47, size=full_price.size), full_price)
    discount[break_even] = discount_for(rng.uniform(-0.04, 0.01, size=break_even.size), break_even)

    # Payment: terms by size, behaviour from early payers (cash discount) to chronically late.
    terms_p = np.where(size_rank[:, None] > 0.9, [0.05, 0.35, 0.35, 0.25], [0.22, 0.50, 0.18, 0.10])
    terms = _PAYMENT_TERMS[(rng.random(n)[:, None] > terms_p.cumsum(axis=1)).sum(axis=1)]
    behaviour = rng.choice(5, size=n, p=[0.07, 0.58, 0.19, 0.10, 0.06])
    late_days = np.select(
        [behaviour == 0, behaviour == 1, behaviour == 2, behaviour == 3],
        [
            -rng.uniform(3, 10, size=n),
            rng.normal(0.5, 1.5, size=n),
            rng.uniform(4, 12, size=n),
            rng.uniform(12, 30, size=n),
        ],
        rng.uniform(32, 75, size=n),
    )

    # Latent traits for surveys and workshop scores: the customers that later decline or leave
    # were already less satisfied; fast growers are more satisfied.
    satisfaction = rng.normal(3.95, 0.45, size=n)
    satisfaction[churned] -= 0.5
    satisfaction[fallen] -= 1.2
    satisfaction[risers] += 0.3
    quality = rng.standard_normal(n) + 0.5 * (size_rank - 0.5)
    quality[risers] += 0.8
    quality[fallen] -= 0.6

    # The customer master.
    first_day = _MONTH_STARTS[start]
    years_before = np.minimum(rng.exponential(9.0, size=n), 38.0)
    since = np.where(
        is_new,
        first_day - rng.integers(0, 45, size=n),
        _FIRST_DAY - (30 + years_before * 365.25).astype(int),
    )
    yearly = monthly.sum(axis=1) / 3
    credit_limit = np.maximum(
        2000.0, np.ceil(yearly * terms / 365 * rng.uniform(1.2, 2.5, size=n) / 1000) * 1000
    )
    frame = pd.DataFrame(
        {
            "customer_id": _ids("C", np.arange(1, n + 1), width=5),
            "name": _customer_names(rng, segment),
            "region": _REGIONS[region],
            "segment": _SEGMENTS[segment],
            "customer_since": _ns(since),
            "credit_limit": credit_limit.astype("float64"),
            "payment_terms_days": terms.astype("int64"),
        }
    )
    return _Customers(
        frame=frame,
        region=region,
        monthly=monthly,
        category_mix=category_mix,
        discount=discount,
        terms=terms,
        late_days=late_days,
        satisfaction=satisfaction,
        quality=quality,
    )


def _customer_names(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Unique company names from word lists: trade names by segment, public bodies by place."""
    names = np.empty(segment.size, dtype=object)
    for s, trades in enumerate(_SEGMENT_TRADES):
        who = np.flatnonzero(segment == s)
        combos = len(_NAME_STEMS) * len(trades) * len(_LEGAL_SUFFIXES)
        pick = rng.choice(combos, size=who.size, replace=False)
        stem, rest = np.divmod(pick, len(trades) * len(_LEGAL_SUFFIXES))
        trade, suffix = np.divmod(rest, len(_LEGAL_SUFFIXES))
        names[who] = [
            f"{_NAME_STEMS[a]} {trades[b]}{_LEGAL_SUFFIXES[c]}"
            for a, b, c in zip(stem, trade, suffix, strict=True)
        ]
    who = np.flatnonzero(segment == len(_SEGMENT_TRADES))
    pick = rng.choice(len(_PLACES) * len(_PUBLIC_BODIES), size=min(who.size, 300), replace=False)
    place, body = np.divmod(pick, len(_PUBLIC_BODIES))
    public = [_PUBLIC_BODIES[b].format(_PLACES[a]) for a, b in zip(place, body, strict=True)]
    # Beyond 300 public bodies, number the departments (only for very large demo dealers).
    public += [f"{public[i % 300]} {i // 300 + 1}" for i in range(300, who.size)]
    names[who] = public
    return names.astype(str)


# --- Invoice lines --------------------------------------------------------------------------


def _generate_lines(rng: np.random.Generator, customers: _Customers) -> _Lines:
    """Turn expected monthly purchases into invoices, invoice lines and credit notes."""
    n = customers.monthly.shape[0]
    products = _product_catalogue(rng)
    n_categories = _CATEGORIES.size

    # Invoices per customer and month: big customers order more often and in bigger orders;
    # about 50 invoices of three lines each per customer over three years.
    intensity = customers.monthly**0.55
    intensity *= 50 * n / intensity.sum()
    invoices_per_cm = rng.poisson(intensity).ravel()
    cm_of_invoice = np.repeat(np.arange(invoices_per_cm.size), invoices_per_cm)
    invoice_customer, invoice_month = np.divmod(cm_of_invoice, _N_MONTHS)
    invoice_date = _business_day_in_month(rng, invoice_month)

    lines_per_invoice = 1 + rng.poisson(2.0, size=cm_of_invoice.size)
    line_invoice = np.repeat(np.arange(cm_of_invoice.size), lines_per_invoice)
    line_customer = invoice_customer[line_invoice]
    line_cm = cm_of_invoice[line_invoice]

    # Category from the customer's mix, product by popularity within the category.
    cumulative = customers.category_mix.cumsum(axis=1)
    u = rng.random(line_invoice.size)
    category = np.minimum((u[:, None] > cumulative[line_customer]).sum(axis=1), n_categories - 1)
    product = np.searchsorted(products["position"], category + rng.random(line_invoice.size))
    product = np.minimum(product, products["category"].size - 1)

    # The month's purchases split over the month's lines, bigger lines for bulk categories.
    weight = rng.gamma(0.7, size=line_invoice.size) * _CATEGORY_LINE_SCALE[category]
    share = weight / np.bincount(line_cm, weights=weight, minlength=invoices_per_cm.size)[line_cm]
    amount = customers.monthly.ravel()[line_cm] * share

    line_discount = customers.discount[line_customer] + rng.normal(0.0, 0.012, size=line_invoice.size)
    unit_price = products["list_price"][product] * (1 - np.clip(line_discount, -0.3, 0.6))
    quantity = np.maximum(1.0, np.round(amount / unit_price))

    # One line per product and invoice, as on a real invoice: merge repeated products.
    key, first, merged = np.unique(
        line_invoice * products["code"].size + product, return_index=True, return_inverse=True
    )
    line_invoice, product = np.divmod(key, products["code"].size)
    line_customer = invoice_customer[line_invoice]
    quantity = np.bincount(merged, weights=quantity)
    unit_price = unit_price[first]
    unit_cost = products["unit_cost"][product]

    # Returns: about 1.5 % of the lines come back (in part) on a credit note a few weeks later.
    returned = np.flatnonzero(rng.random(line_invoice.size) < 0.015)
    return_quantity = -np.maximum(1.0, np.round(quantity[returned] * rng.uniform(0.1, 1.0, returned.size)))
    return_date = np.busday_offset(
        invoice_date[line_invoice[returned]] + rng.integers(3, 35, size=returned.size),
        0,
        roll="forward",
        holidays=_HOLIDAYS,
    )
    return_date = np.minimum(return_date, _AS_OF)

    # Put sales invoices and credit notes together and number them in date order.
    all_customer = np.concatenate([invoice_customer, line_customer[returned]])
    all_date = np.concatenate([invoice_date, return_date])
    all_credit = np.concatenate([np.zeros(invoice_date.size, bool), np.ones(returned.size, bool)])
    number = np.empty(all_date.size, dtype=np.int64)
    number[np.lexsort((all_customer, all_date))] = np.arange(all_date.size)
    credit_invoice = np.arange(invoice_date.size, all_date.size)

    line_invoice = number[np.concatenate([line_invoice, credit_invoice])]
    line_product = np.concatenate([product, product[returned]])
    quantity = np.concatenate([quantity, return_quantity])
    unit_price = np.concatenate([unit_price, unit_price[returned]])
    unit_cost = np.concatenate([unit_cost, unit_cost[returned]])
    order = np.argsort(line_invoice, kind="stable")
    line_invoice = line_invoice[order]
    quantity = quantity[order]
    net_sales = np.round(quantity * unit_price[order], 2)
    cost = np.round(quantity * unit_cost[order], 2)

    invoice_customer = np.empty_like(all_customer)
    invoice_customer[number] = all_customer
    invoice_date_sorted = np.empty_like(all_date)
    invoice_date_sorted[number] = all_date
    invoice_is_credit = np.empty_like(all_credit)
    invoice_is_credit[number] = all_credit
    return _Lines(
        line_invoice=line_invoice,
        product_code=products["code"][line_product[order]],
        category=_CATEGORIES[products["category"][line_product[order]]],
        quantity=quantity,
        net_sales=net_sales,
        cost=cost,
        invoice_customer=invoice_customer,
        invoice_date=invoice_date_sorted,
        invoice_amount=np.round(np.bincount(line_invoice, weights=net_sales, minlength=number.size), 2),
        invoice_is_credit=invoice_is_credit,
    )


def _product_catalogue(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A few hundred products: code, category, list price, unit cost and popularity.

    ``position`` is the cumulative popularity shifted by the category index, so that a product
    is drawn with ``searchsorted(position, category + u)`` for a uniform ``u``.
    """
    category = np.repeat(np.arange(_CATEGORIES.size), _N_PRODUCTS)
    within = np.concatenate([np.arange(k) for k in _N_PRODUCTS])
    popularity = 1.0 / (within + 1.0) ** 0.9
    totals = np.bincount(category, weights=popularity)
    position = category + np.concatenate(
        [np.cumsum(popularity[category == c]) / totals[c] for c in range(_CATEGORIES.size)]
    )
    list_price = np.round(_CATEGORY_MEDIAN_PRICE[category] * rng.lognormal(0.0, 0.7, category.size), 2)
    margin = np.clip(_CATEGORY_LIST_MARGIN[category] + rng.normal(0.0, 0.04, category.size), 0.05, 0.6)
    return {
        "code": np.array([f"P-{c + 1}{w + 1:03d}" for c, w in zip(category, within, strict=True)]),
        "category": category,
        "position": position,
        "list_price": list_price,
        "unit_cost": np.round(list_price * (1 - margin), 4),
    }


def _sales_table(lines: _Lines, customers: _Customers) -> pd.DataFrame:
    """The ``sales`` table from the generated lines."""
    invoice_ids = _ids("INV-", np.arange(1, lines.invoice_date.size + 1), width=6)
    customer_ids = customers.frame["customer_id"].to_numpy()
    return pd.DataFrame(
        {
            "invoice_date": _ns(lines.invoice_date[lines.line_invoice]),
            "customer_id": customer_ids[lines.invoice_customer[lines.line_invoice]],
            "net_sales": lines.net_sales,
            "cost": lines.cost,
            "quantity": lines.quantity,
            "product": lines.product_code,
            "category": lines.category,
            "invoice_id": invoice_ids[lines.line_invoice],
        }
    )


def _period_sales(lines: _Lines, n: int) -> np.ndarray:
    """Net sales per customer (rows) and fiscal year 2024, 2025, 2026 (columns)."""
    period = _fiscal_index(lines.invoice_date)[lines.line_invoice]
    customer = lines.invoice_customer[lines.line_invoice]
    flat = np.bincount(customer * 3 + period, weights=lines.net_sales, minlength=3 * n)
    return flat.reshape(n, 3)


# --- Receivables and cost to serve ----------------------------------------------------------


def _receivables_table(rng: np.random.Generator, lines: _Lines, customers: _Customers) -> pd.DataFrame:
    """One row per invoice: due by the customer's terms, paid by the customer's habits."""
    customer = lines.invoice_customer
    date = lines.invoice_date
    due = date + customers.terms[customer]
    mean_late = customers.late_days[customer]
    late = mean_late + rng.normal(0.0, 1.0, size=date.size) * (2.0 + 0.35 * np.abs(mean_late))
    paid = np.busday_offset(
        np.maximum(due + np.round(late).astype(int), date + 1), 0, roll="forward", holidays=_HOLIDAYS
    )
    # Credit notes are set off on their due date; a few invoices of late payers are disputed
    # and stay unpaid; whatever is paid after the data's end is still open.
    paid = np.where(lines.invoice_is_credit, due, paid)
    disputed = (~lines.invoice_is_credit) & (mean_late > 12) & (rng.random(date.size) < 0.004)
    open_ = disputed | (paid > _AS_OF)
    paid_ns = _ns(paid)
    paid_ns[open_] = np.datetime64("NaT")
    ids = customers.frame["customer_id"].to_numpy()
    return pd.DataFrame(
        {
            "customer_id": ids[customer],
            "invoice_id": _ids("INV-", np.arange(1, date.size + 1), width=6),
            "invoice_date": _ns(date),
            "due_date": _ns(due),
            "paid_date": paid_ns,
            "amount": lines.invoice_amount,
        }
    )


def _cost_to_serve_table(
    rng: np.random.Generator, lines: _Lines, customers: _Customers, period_sales: np.ndarray
) -> pd.DataFrame:
    """Orders, deliveries, visits and returns per customer and fiscal year, with their cost."""
    n = period_sales.shape[0]
    key = lines.invoice_customer * 3 + _fiscal_index(lines.invoice_date)
    orders = np.bincount(key[~lines.invoice_is_credit], minlength=3 * n).astype(float)
    returns = np.bincount(key[lines.invoice_is_credit], minlength=3 * n).astype(float)
    # Some customers collect at the branch, others want split deliveries to several sites.
    split = np.repeat(rng.uniform(0.6, 1.4, size=n), 3)
    deliveries = np.round(orders * split)
    # Account managers visit key accounts monthly or more, the rest rarely.
    rank = np.argsort(np.argsort(-period_sales, axis=0, kind="stable"), axis=0, kind="stable").ravel()
    visits = np.select(
        [rank < 50, rank < 200],
        [rng.integers(12, 30, size=3 * n), rng.integers(4, 12, size=3 * n)],
        rng.poisson(1.2, size=3 * n),
    ).astype(float)
    cost_amount = np.round(
        orders * 18.0 + deliveries * 62.0 + visits * 140.0 + returns * 45.0 + rng.normal(0, 40, size=3 * n),
        2,
    )
    active = (orders + returns) > 0
    customer, period = np.divmod(np.flatnonzero(active), 3)
    visits = np.where(orders > 0, visits, 0.0)
    return pd.DataFrame(
        {
            "customer_id": customers.frame["customer_id"].to_numpy()[customer],
            "period": _PERIODS[period].astype("int64"),
            "cost_amount": np.maximum(cost_amount[active], 0.0),
            "orders": orders[active],
            "deliveries": deliveries[active],
            "visits": visits[active],
            "returns": returns[active],
        }
    )


# --- Relationship tables --------------------------------------------------------------------


def _team_table(customers: _Customers, period_sales: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The service team and, per customer, the index of its account manager (-1 if none).

    Account managers serve the top 150 accounts of the current year plus the previous year's
    top 50 of their regions; inside sales serve all other customers that bought in the last
    two years; logistics coordinates the key accounts; credit control follows the key
    accounts and every customer that pays a month late or more.
    """
    ids = customers.frame["customer_id"].to_numpy()
    n = ids.size
    current, previous = period_sales[:, 2], period_sales[:, 1]
    key = np.zeros(n, dtype=bool)
    key[np.argsort(-current, kind="stable")[: min(150, n // 4)]] = True
    key[np.argsort(-previous, kind="stable")[: min(50, n // 8)]] = True
    key &= (current > 0) | (previous > 0)
    account_manager = np.where(key, _REGION_ACCOUNT_MANAGER[customers.region], -1)
    recent = ~key & ((current > 0) | (previous > 0))
    top10 = np.sort(np.argsort(-current, kind="stable")[:10])

    def accounts(mask: np.ndarray) -> str:
        return "; ".join(ids[mask])

    rows = [(_HEAD_OF_SALES, "head of sales", "Sales", "; ".join(ids[top10]))]
    rows += [
        (name, "account manager", "Sales", accounts(account_manager == i))
        for i, name in enumerate(_ACCOUNT_MANAGERS)
    ]
    rows += [
        (name, "inside sales", "Sales", accounts(recent & (_REGION_INSIDE_SALES[customers.region] == i)))
        for i, name in enumerate(_INSIDE_SALES)
    ]
    rows += [
        (
            name,
            "logistics coordinator",
            "Logistics",
            accounts(key & (_REGION_LOGISTICS[customers.region] == i)),
        )
        for i, name in enumerate(_LOGISTICS)
    ]
    watched = (key | (customers.late_days > 30)) & ((current > 0) | (previous > 0))
    rows.append((_CREDIT_CONTROLLER, "credit controller", "Finance", accounts(watched)))
    team = pd.DataFrame(rows, columns=["member", "role", "function", "accounts"])
    return team.astype("str"), account_manager


def _assessments_table(
    rng: np.random.Generator, customers: _Customers, period_sales: np.ndarray, account_manager: np.ndarray
) -> pd.DataFrame:
    """Workshop scores of the 40 largest customers of the current year on every indicator."""
    who = np.argsort(-period_sales[:, 2], kind="stable")[:40]
    n_ind = len(_INDICATORS)
    customer = np.repeat(who, n_ind)
    indicator = np.tile(np.arange(n_ind), who.size)
    # Each indicator has its own level; financial strength follows the payment record.
    indicator_shift = np.array([-0.2, 0.0, 0.2, 0.1, 0.4, 0.0, -0.3, -0.1, -0.5])
    latent = 3.1 + 0.75 * customers.quality[customer] + indicator_shift[indicator]
    latent -= np.where(indicator == 1, np.clip(customers.late_days[customer], 0, 60) / 20, 0.0)
    score = np.clip(np.round(latent + rng.normal(0.0, 0.6, size=customer.size)), 1, 5).astype("int64")

    manager = account_manager[customer]
    assessor = np.where(manager >= 0, np.array(_ACCOUNT_MANAGERS)[np.maximum(manager, 0)], _HEAD_OF_SALES)
    workshop = _business_day_in_month(rng, rng.integers(30, 33, size=who.size))  # Oct .. Dec 2025
    date = np.repeat(workshop, n_ind)

    strong = score >= 4
    pick = rng.integers(0, 2, size=customer.size)
    with_note = (score != 3) & (rng.random(customer.size) < 0.4)
    notes = np.array(
        [
            _INDICATOR_NOTES[_INDICATORS[i]][int(s)][p]
            for i, s, p in zip(indicator, strong, pick, strict=True)
        ],
        dtype=object,
    )
    notes[~with_note] = np.nan
    ids = customers.frame["customer_id"].to_numpy()
    return pd.DataFrame(
        {
            "customer_id": ids[customer],
            "indicator": np.array(_INDICATORS)[indicator],
            "score": score,
            "assessor": assessor,
            "date": _ns(date),
            "note": pd.array(notes, dtype="str"),
        }
    )


def _surveys_table(rng: np.random.Generator, customers: _Customers, period_sales: np.ndarray) -> pd.DataFrame:
    """Satisfaction surveys in October of fiscal years 2025 and 2026 for about 150 customers.

    The panel holds the top 50 of both years and a random sample of other active customers;
    a customer answers a wave if it was still (or already) buying then.
    """
    n = period_sales.shape[0]
    panel = np.zeros(n, dtype=bool)
    panel[np.argsort(-period_sales[:, 1], kind="stable")[:50]] = True
    panel[np.argsort(-period_sales[:, 2], kind="stable")[:50]] = True
    others = np.flatnonzero(~panel & (period_sales[:, 1:].max(axis=1) > 0))
    panel[rng.choice(others, size=min(others.size, max(0, 150 - panel.sum())), replace=False)] = True
    members = np.flatnonzero(panel)
    is_top = np.isin(members, np.argsort(-period_sales[:, 1:], axis=0, kind="stable")[:50].ravel())

    rows_customer, rows_wave = [], []
    for wave, month in enumerate((18, 30)):  # October 2024 and October 2025
        window = customers.monthly[members, month - 3 : month + 1].sum(axis=1) > 0
        answers = window & ((rng.random(members.size) < 0.85) | is_top)
        rows_customer.append(members[answers])
        rows_wave.append(np.full(answers.sum(), wave))
    respondent = np.concatenate(rows_customer)
    wave = np.concatenate(rows_wave)
    date = _business_day_in_month(rng, np.where(wave == 0, 18, 30))

    n_dim = len(_SURVEY_DIMENSIONS)
    customer = np.repeat(respondent, n_dim)
    dimension = np.tile(np.arange(n_dim), respondent.size)
    mood = customers.satisfaction[respondent] + rng.normal(0.0, 0.2, size=respondent.size)
    latent = np.repeat(mood, n_dim) + _SURVEY_DIMENSION_SHIFT[dimension]
    score = np.clip(np.round(latent + rng.normal(0.0, 0.55, size=customer.size)), 1, 5).astype(int)
    labels = np.array([_SATISFACTION_BY_SCORE[s] for s in range(1, 6)])
    ids = customers.frame["customer_id"].to_numpy()
    return pd.DataFrame(
        {
            "customer_id": ids[customer],
            "date": _ns(np.repeat(date, n_dim)),
            "dimension": np.array(_SURVEY_DIMENSIONS)[dimension],
            "answer": labels[score - 1],
        }
    )


def _market_table(rng: np.random.Generator, customers: _Customers, period_sales: np.ndarray) -> pd.DataFrame:
    """Wallet estimates and main competitors for the largest ~250 customers and 50 others."""
    n = period_sales.shape[0]
    purchases = np.maximum(period_sales[:, 1], period_sales[:, 2])
    order = np.argsort(-purchases, kind="stable")
    n_top = min(250, n // 4)
    others = order[n_top:][purchases[order[n_top:]] > 0]
    who = np.sort(
        np.concatenate([order[:n_top], rng.choice(others, size=min(50, others.size), replace=False)])
    )
    share_of_wallet = np.clip(rng.beta(2.5, 3.0, size=who.size), 0.08, 0.95)
    wallet = np.ceil(np.maximum(purchases[who], 1000.0) / share_of_wallet / 1000) * 1000

    # One to three competitors each, weighted: the big names appear more often.
    keys = rng.random((who.size, _COMPETITORS.size)) ** (1 / _COMPETITOR_WEIGHTS)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    count = rng.choice([1, 2, 3], size=who.size, p=[0.3, 0.45, 0.25])
    competitors = ["; ".join(_COMPETITORS[r[:k]]) for r, k in zip(ranked, count, strict=True)]
    return pd.DataFrame(
        {
            "customer_id": customers.frame["customer_id"].to_numpy()[who],
            "wallet": wallet.astype("float64"),
            "main_competitors": pd.array(competitors, dtype="str"),
        }
    )


# --- Small shared helpers -------------------------------------------------------------------


def _business_day_in_month(rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
    """A random business day (Monday to Friday, not a public holiday) in each month index."""
    days = np.arange(_FIRST_DAY, _AS_OF + 1)
    days = days[np.is_busday(days, holidays=_HOLIDAYS)]
    month_of_day = (days.astype("datetime64[M]") - np.datetime64("2023-04", "M")).astype(int)
    counts = np.bincount(month_of_day, minlength=_N_MONTHS)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = (rng.random(month.size) * counts[month]).astype(int)
    return days[offsets[month] + pick]


def _fiscal_index(dates: np.ndarray) -> np.ndarray:
    """0, 1 or 2 for fiscal year 2024, 2025 or 2026 of each date (April to March)."""
    months = (dates.astype("datetime64[M]") - np.datetime64("2023-04", "M")).astype(int)
    return np.clip(months // 12, 0, 2)


def _rank_fraction(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to 0 (smallest) .. 1 (largest)."""
    ranks = np.empty(values.size)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks / max(values.size - 1, 1)


def _ids(prefix: str, numbers: np.ndarray, *, width: int) -> np.ndarray:
    """Zero-padded string ids such as ``C00001`` or ``INV-000001``."""
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def _ns(dates: np.ndarray) -> np.ndarray:
    """Day-precision dates as ``datetime64[ns]`` (pandas would otherwise keep seconds)."""
    return dates.astype("datetime64[ns]")


# --- Stage 4 inputs: the reviewed plan of 2026, its tracker, lost-customer reasons -----------
# Drawn from their own generators (seeded from the demo seed and the stage number), after every
# other table exists, so that adding them left every other table byte-identical.
_REVIEW_STREAM = 4
_PLAN_PERIOD = 2026
_PLAN_KEY_ACCOUNTS = 30
_PLAN_GROWTH_ACCOUNTS = 6
_QUARTERS = ("Q1", "Q2", "Q3", "Q4")
_LOST_AFTER_DAYS = 180
_DEFECTION_WEIGHTS = {
    "price": 0.32,
    "moved to competitor": 0.22,
    "service": 0.18,
    "relationship": 0.12,
    "product": 0.09,
    "business closed": 0.07,
}
_DEFECTION_NOTES = {
    "price": ("Competitor undercut us on cement and timber", "Asked for 5% off, we offered 2%"),
    "moved to competitor": ("New buyer brought his own supplier", "Joined a purchasing group with a rival"),
    "service": ("Two late deliveries to a large site", "Complained about slow quotes"),
    "relationship": ("Account manager changed twice", "Owner felt nobody visited any more"),
    "product": ("We lacked the insulation range they needed", "Moved to prefab systems we do not stock"),
    "business closed": ("Owner retired, no successor", "Insolvency after a failed project"),
}
_SUPPORT_ACTIONS = (
    ("joint sales planning", "Joint yearly sales plan with the owner"),
    ("sales training", "Product training for the account's counter staff"),
    ("delivery schedule", "Fixed weekly delivery slots to the main site"),
    ("consignment stock", "Consignment stock of fast movers at the branch"),
    ("range review", "Range review: add the categories peers buy from us"),
    ("e-ordering", "Connect the account to our web shop with its own prices"),
    ("credit terms", "Agree payment terms and a credit limit review"),
    ("technical support", "Site visits by our technical adviser on large projects"),
)
_COUNTERPARTS = ("Owner", "Purchasing manager", "Managing director", "Site manager", "Head of procurement")


def _review_rng(seed: int, part: int) -> np.random.Generator:
    """The generator of one stage-4 demo table: independent of the seven streams above."""
    return np.random.default_rng(np.random.SeedSequence([seed, _REVIEW_STREAM, part]))


def _lost_customers_table(rng: np.random.Generator, lines: _Lines, customers: _Customers) -> pd.DataFrame:
    """Reasons the dealer recorded for customers it lost, among its 500 largest of the year before.

    A customer counts as lost when its last purchase lies more than 180 days before the data's
    end; customers that cut their purchases by more than 40 % were asked too. The dealer's notes
    cover most of them (not all: some reasons are unknown). The
    less satisfied a customer was, the likelier price and service are the reason.
    """
    n = customers.frame.shape[0]
    period_sales = _period_sales(lines, n)
    buying = lines.net_sales > 0
    line_customer = lines.invoice_customer[lines.line_invoice]
    line_date = lines.invoice_date[lines.line_invoice]
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_day, line_customer[buying], line_date[buying].astype("int64"))
    bought = last_day > np.iinfo(np.int64).min
    last = np.where(bought, last_day, 0).astype("datetime64[D]")
    days = np.where(bought, (_AS_OF - last).astype("int64"), np.inf)
    large = np.zeros(n, dtype=bool)
    large[np.argsort(-period_sales[:, 1], kind="stable")[:500]] = True
    gone = large & (period_sales[:, 1] > 0) & (days > _LOST_AFTER_DAYS)
    # Customers who cut their purchases by more than 40 % are asked why too.
    cut = large & ~gone & (period_sales[:, 2] < 0.6 * period_sales[:, 1])
    lost = np.flatnonzero(gone | cut)
    lost = lost[rng.random(lost.size) < np.where(gone[lost], 0.85, 0.7)]
    reasons = np.array(list(_DEFECTION_WEIGHTS))
    weights = np.array(list(_DEFECTION_WEIGHTS.values()))
    unhappy = customers.satisfaction[lost] < 3.3
    tilt = np.where(unhappy[:, None], [1.6, 1.0, 1.6, 1.2, 0.6, 0.3], [0.8, 1.3, 0.6, 0.9, 1.2, 1.6])
    p = weights * tilt
    p /= p.sum(axis=1, keepdims=True)
    reason = reasons[
        (rng.random(lost.size)[:, None] > p.cumsum(axis=1)).sum(axis=1).clip(0, reasons.size - 1)
    ]
    noticed = np.minimum(last[lost] + rng.integers(45, 120, size=lost.size), _AS_OF)
    competitor = np.where(
        np.isin(reason, ["price", "moved to competitor"]),
        _COMPETITORS[rng.integers(0, 6, size=lost.size)],
        "",
    )
    note = np.array(
        [_DEFECTION_NOTES[r][int(k)] for r, k in zip(reason, rng.integers(0, 2, lost.size), strict=True)]
    )
    return pd.DataFrame(
        {
            "customer_id": customers.frame["customer_id"].to_numpy()[lost],
            "lost_date": _ns(noticed),
            "reason": pd.array(reason, dtype="str"),
            "competitor": pd.array(competitor, dtype="str"),
            "note": pd.array(note, dtype="str"),
        }
    )


@dataclass(frozen=True)
class DemoPlan:
    """The demo's plan for fiscal year 2026 (made in spring 2025) and its filled-in tracker.

    ``document`` is the plan file's content (schema ``kamtools-plan/1``, see the planning
    stage); ``tracker_actions`` and ``tracker_contacts`` are the two sheets of the tracker.
    """

    document: dict[str, Any]
    tracker_actions: pd.DataFrame
    tracker_contacts: pd.DataFrame


def _quarter_sums(sales: pd.DataFrame, period: int) -> pd.DataFrame:
    """Net sales and gross profit per customer and quarter (Q1..Q4) of a fiscal year (April start)."""
    start = pd.Timestamp(year=period - 1, month=4, day=1)
    inside = sales[
        (sales["invoice_date"] >= start) & (sales["invoice_date"] < start + pd.DateOffset(years=1))
    ]
    months = (inside["invoice_date"].dt.year - start.year) * 12 + inside["invoice_date"].dt.month - 4
    frame = inside.assign(
        quarter=np.array(_QUARTERS)[months // 3], gross_profit=inside["net_sales"] - inside["cost"]
    )
    return frame.pivot_table(
        index="customer_id",
        columns="quarter",
        values=["net_sales", "gross_profit"],
        aggfunc="sum",
        fill_value=0.0,
    )


def _split_cents(total: float, shares: np.ndarray) -> list[float]:
    """Split an amount over shares in whole cents that add up to the amount exactly."""
    cents = round(total * 100)
    raw = cents * shares / shares.sum()
    parts = np.floor(raw).astype(int)
    parts[np.argsort(-(raw - parts), kind="stable")[: cents - parts.sum()]] += 1
    return [float(p) / 100 for p in parts]


def _goal(baseline: np.ndarray, growth: float, stretch: float, profile: np.ndarray) -> dict[str, Any]:
    base = round(float(baseline.sum()), 2)
    plan = round(base * (1 + growth), 2)
    high = round(plan * (1 + stretch), 2)
    stages = {
        q: {"baseline": b, "plan": p, "stretch": s}
        for q, b, p, s in zip(
            _QUARTERS,
            [round(float(v), 2) for v in baseline[:-1]]
            + [round(base - round(float(sum(np.round(baseline[:-1], 2))), 2), 2)],
            _split_cents(plan, profile),
            _split_cents(high, profile),
            strict=True,
        )
    }
    return {"baseline": base, "plan": plan, "stretch": high, "stages": stages}


def generate_demo_plan(tables: dict[str, pd.DataFrame], *, seed: int = 20261123) -> DemoPlan:
    """The plan the demo dealer made for fiscal year 2026, and its tracker filled in over the year.

    The plan covers the 30 largest customers of fiscal year 2025 as key accounts and six fast
    growers ranked 31 to 100 as growth accounts, with goals per quarter (baseline: the same
    quarter of 2025; plan 3-10 % above; stretch 5-12 % above plan), a contact cadence and two to
    four actions each. The tracker records how the year went: accounts that grew had most of their
    actions done and their contacts kept; accounts that declined or left had actions late or
    dropped and fewer contacts, and none after their last purchase.

    The function is long because, like the customer recipe, it draws from its generators in one
    fixed order: the shipped plan and tracker (which the review stage's tests quote) depend on it.

    Parameters
    ----------
    tables : dict of str to DataFrame
        :func:`generate_demo_tables` (sales, customers, team and market are used).
    seed : int
        The demo seed; the plan draws from its own generators, so the tables are untouched.

    Returns
    -------
    DemoPlan
    """
    rng = _review_rng(seed, 1)
    sales, customers = tables["sales"], tables["customers"].set_index("customer_id")
    previous, current = _quarter_sums(sales, _PLAN_PERIOD - 1), _quarter_sums(sales, _PLAN_PERIOD)
    yearly_before = previous["net_sales"].sum(axis=1).sort_values(ascending=False, kind="stable")
    key = list(yearly_before.index[:_PLAN_KEY_ACCOUNTS])
    older = _quarter_sums(sales, _PLAN_PERIOD - 2)["net_sales"].sum(axis=1)
    candidates = yearly_before.index[_PLAN_KEY_ACCOUNTS:100]
    growth_rate = (yearly_before[candidates] / older.reindex(candidates).where(lambda s: s > 0)).dropna()
    growth = list(growth_rate.sort_values(ascending=False, kind="stable").index[:_PLAN_GROWTH_ACCOUNTS])
    team = tables["team"]
    managers = team[team["role"] == "account manager"].assign(account=lambda t: t["accounts"].str.split("; "))
    manager_of = managers.explode("account").set_index("account")["member"]
    wallet = tables["market"].set_index("customer_id")["wallet"]
    competitors = tables["market"].set_index("customer_id")["main_competitors"]

    accounts, tracker_rows, contact_rows = [], [], []
    last_buy = sales[sales["net_sales"] > 0].groupby("customer_id")["invoice_date"].max()
    start, end = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-03-31")
    for cid in key + growth:
        tier = "key" if cid in key else "growth"
        base_sales = previous.loc[cid, "net_sales"].reindex(_QUARTERS).to_numpy(dtype=float)
        base_profit = previous.loc[cid, "gross_profit"].reindex(_QUARTERS).to_numpy(dtype=float)
        profile = np.maximum(base_sales, 1.0) / np.maximum(base_sales, 1.0).sum()
        profile = np.round(profile, 4)
        profile[-1] = round(1 - profile[:-1].sum(), 4)
        lift = float(rng.uniform(0.03, 0.10)) + (0.15 if tier == "growth" else 0.0)
        stretch = float(rng.uniform(0.05, 0.12))
        goals = {
            "sales": _goal(base_sales, lift, stretch, profile),
            "gross_profit": _goal(base_profit, lift + float(rng.uniform(-0.02, 0.03)), stretch, profile),
        }
        account_wallet = float(wallet.get(cid, np.nan))
        if np.isfinite(account_wallet):
            sow = {"baseline": round(goals["sales"]["baseline"] / account_wallet, 4)}
            sow["plan"] = round(goals["sales"]["plan"] / account_wallet, 4)
            sow["stretch"] = round(goals["sales"]["stretch"] / account_wallet, 4)
            sow["stages"] = {
                q: {
                    m: round(goals["sales"]["stages"][q][m] / (account_wallet * share), 4)
                    for m in ("baseline", "plan", "stretch")
                }
                for q, share in zip(_QUARTERS, profile, strict=True)
            }
            goals["share_of_wallet"] = sow
        manager = str(manager_of.get(cid, _HEAD_OF_SALES))
        counterpart = _COUNTERPARTS[int(rng.integers(0, len(_COUNTERPARTS)))]
        contacts = {
            "visit": int(rng.integers(2, 4)) if tier == "key" else 1,
            "call": int(rng.integers(3, 7)),
            "review": 1 if tier == "key" else 0,
        }
        before, now = (
            float(base_sales.sum()),
            float(current.loc[cid, "net_sales"].sum()) if cid in current.index else 0.0,
        )
        outcome = (now - before) / before if before > 0 else 0.0
        gone = last_buy.get(cid, start)
        effort = float(np.clip(0.75 + 1.2 * outcome + rng.normal(0, 0.08), 0.15, 1.0))
        actions, tracked = _demo_actions(rng, cid, manager, counterpart, effort, gone, end)
        tracker_rows += tracked
        contact_rows += _demo_contacts(
            rng, cid, manager, contacts, effort, min(gone + pd.Timedelta(days=20), end)
        )
        accounts.append(
            {
                "customer_id": cid,
                "name": str(customers.loc[cid, "name"]),
                "tier": tier,
                "account_manager": manager,
                "counterpart": counterpart,
                "seasonal_profile": {q: float(v) for q, v in zip(_QUARTERS, profile, strict=True)},
                "goals": goals,
                "contacts": contacts,
                "actions": actions,
                "swot": {"strength": [], "weakness": [], "opportunity": [], "threat": []},
                "market": {
                    "wallet": account_wallet if np.isfinite(account_wallet) else None,
                    "share_of_wallet": goals.get("share_of_wallet", {}).get("baseline"),
                    "headroom": round(account_wallet - before, 2) if np.isfinite(account_wallet) else None,
                    "competitors": [c.strip() for c in str(competitors.get(cid, "")).split(";") if c.strip()],
                    "white_space": [],
                },
            }
        )
    document = {
        "schema": "kamtools-plan/1",
        "client": DEMO_CLIENT["client"]["name"],
        "currency": DEMO_CLIENT["client"]["currency"],
        "period": _PLAN_PERIOD,
        "period_start": "2025-04-01",
        "period_end": "2026-03-31",
        "baseline_period": _PLAN_PERIOD - 1,
        "revision": 0,
        "saved_at": "",
        "stages": [
            {
                "stage": q,
                "start": f"{d:%Y-%m-%d}",
                "end": f"{d + pd.DateOffset(months=3) - pd.Timedelta(days=1):%Y-%m-%d}",
            }
            for q, d in zip(_QUARTERS, pd.date_range(start, periods=4, freq="3MS"), strict=True)
        ],
        "accounts": accounts,
    }
    tracker_columns = [
        "action_id",
        "status",
        "actual_start",
        "actual_done",
        "note",
        "customer_id",
        "name",
        "title",
        "owner",
        "start",
        "due",
    ]
    names = customers["name"]
    tracker = pd.DataFrame(tracker_rows, columns=[c for c in tracker_columns if c != "name"])
    tracker.insert(6, "name", tracker["customer_id"].map(names).astype("str"))
    contacts_frame = pd.DataFrame(
        contact_rows, columns=["date", "customer_id", "member", "contact_type", "note"]
    )
    contacts_frame = contacts_frame.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
    return DemoPlan(
        document=document, tracker_actions=tracker[tracker_columns], tracker_contacts=contacts_frame
    )


def _demo_actions(
    rng: np.random.Generator,
    cid: str,
    owner: str,
    counterpart: str,
    effort: float,
    last_purchase: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two to four plan actions of one account, and how the tracker says each one went."""
    picks = rng.choice(len(_SUPPORT_ACTIONS), size=int(rng.integers(2, 5)), replace=False)
    plan, tracked = [], []
    for number, pick in enumerate(sorted(picks), start=1):
        support, title = _SUPPORT_ACTIONS[int(pick)]
        begin = pd.Timestamp("2025-04-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        due = begin + pd.Timedelta(days=int(rng.integers(45, 150)))
        due = min(due, end)
        action_id = f"{cid}-A{number:02d}"
        plan.append(
            {
                "action_id": action_id,
                "title": title,
                "support": support,
                "owner": owner,
                "counterpart": counterpart,
                "start": f"{begin:%Y-%m-%d}",
                "due": f"{due:%Y-%m-%d}",
                "expected_effect": "",
                "status": "planned",
            }
        )
        draw = rng.random()
        abandoned = begin > last_purchase
        if abandoned or draw > 0.35 + 0.65 * effort:
            status, done, note = (
                ("dropped", pd.NaT, "Account stopped ordering")
                if abandoned or draw > 0.93
                else ("in progress", pd.NaT, "Waiting for the account")
            )
        else:
            status = "done"
            slip = int(rng.normal(-5 + 40 * (1 - effort), 15))
            done, note = min(due + pd.Timedelta(days=slip), end), ""
        tracked.append(
            {
                "action_id": action_id,
                "status": status,
                "actual_start": f"{begin:%Y-%m-%d}" if status != "dropped" else "",
                "actual_done": f"{done:%Y-%m-%d}" if pd.notna(done) else "",
                "note": note,
                "customer_id": cid,
                "title": title,
                "owner": owner,
                "start": f"{begin:%Y-%m-%d}",
                "due": f"{due:%Y-%m-%d}",
            }
        )
    return plan, tracked


def _demo_contacts(
    rng: np.random.Generator,
    cid: str,
    member: str,
    cadence: dict[str, int],
    effort: float,
    stop: pd.Timestamp,
) -> list[dict[str, Any]]:
    """The contacts the tracker records for one account: the cadence times the effort kept."""
    rows = []
    days = pd.bdate_range("2025-04-01", "2026-03-31")
    for quarter in range(4):
        inside = days[
            (days >= pd.Timestamp("2025-04-01") + pd.DateOffset(months=3 * quarter))
            & (days < pd.Timestamp("2025-04-01") + pd.DateOffset(months=3 * quarter + 3))
        ]
        for kind, planned in cadence.items():
            made = int(rng.binomial(planned, effort)) if planned else 0
            for day in rng.choice(inside, size=made, replace=False) if made else []:
                if pd.Timestamp(day) <= stop:
                    note = {"visit": "Visit at the yard", "call": "Phone call", "review": "Quarterly review"}[
                        kind
                    ]
                    rows.append(
                        {
                            "date": pd.Timestamp(day),
                            "customer_id": cid,
                            "member": member,
                            "contact_type": kind,
                            "note": note,
                        }
                    )
    return rows


def write_demo_plan(workspace: Path, tables: dict[str, pd.DataFrame], *, seed: int = 20261123) -> list[Path]:
    """Write the demo's plan for 2026 and its filled-in tracker into a workspace's ``plans/`` folder.

    The files are written by the planning stage's own writers, so they are exactly what a
    workshop would have saved (the plan as of 14 April 2025).

    Returns
    -------
    list of pathlib.Path
        The plan file and the tracker.
    """
    from datetime import UTC, datetime

    from kamtools import io
    from kamtools.stages.planning.planfile import plan_from_mapping, save_plan
    from kamtools.stages.planning.tracker import tracker_path, tracker_workbook

    demo = generate_demo_plan(tables, seed=seed)
    plan = plan_from_mapping(demo.document, file="demo plan")
    saved, plan_file = save_plan(workspace, plan, now=datetime(2025, 4, 14, 9, 0, tzinfo=UTC))
    filled = {
        row.action_id: {
            "status": row.status,
            "actual_start": pd.Timestamp(row.actual_start).date() if row.actual_start else None,
            "actual_done": pd.Timestamp(row.actual_done).date() if row.actual_done else None,
            "note": row.note or None,
        }
        for row in demo.tracker_actions.itertuples()
    }
    contacts = [
        [row.date.date(), row.customer_id, row.member, row.contact_type, row.note]
        for row in demo.tracker_contacts.itertuples()
    ]
    tracker_file = tracker_path(workspace, saved.period)
    io.write_bytes_atomic(tracker_file, tracker_workbook(saved, filled=filled, contacts=contacts))
    return [plan_file, tracker_file]
