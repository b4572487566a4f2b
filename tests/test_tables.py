"""Tests for kamtools.tables: client-ready tables and numbers in words."""

from __future__ import annotations

import re

import IPython.core.formatters
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kamtools.formatting import money_text, percent_text
from kamtools.paths import NBCONVERT_TEMPLATES_DIR
from kamtools.tables import NUMBER_CLASS, PROSE_CLASS, PROSE_LENGTH, format_table


@pytest.fixture
def sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["<b>Acme & Sons</b>", "Beta GmbH", None],
            "revenue": [1_234_567.4, -2_500.0, np.nan],
            "share": [0.153, 0.5, np.nan],
            "orders": [12, 1_500, 3],
        }
    )


def cells(table) -> list[list[str]]:
    """The rendered body cells' text, row by row (cell text as it appears in the HTML)."""
    body = table.to_html().split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in body.split("</tr>")[:-1]]


# money_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        pytest.param(2_300_000, "EUR", "€2.3m", id="millions-eur"),
        pytest.param(12_345_678, "EUR", "€12.3m", id="tens-of-millions-one-decimal"),
        pytest.param(123_456_789, "GBP", "£123m", id="hundreds-of-millions-whole"),
        pytest.param(450_000, "USD", "$450k", id="thousands-usd"),
        pytest.param(45_600, "EUR", "€45.6k", id="tens-of-thousands"),
        pytest.param(950, "EUR", "€950", id="under-a-thousand"),
        pytest.param(2_000_000, "EUR", "€2m", id="no-trailing-zero"),
        pytest.param(999_960, "EUR", "€1m", id="rounding-moves-up-a-unit"),
        pytest.param(1_500_000_000, "EUR", "€1.5bn", id="billions"),
        pytest.param(2_300_000, "CHF", "2.3m CHF", id="code-after-amount"),
        pytest.param(2_300_000, "chf", "2.3m CHF", id="lower-case-code"),
        pytest.param(-2_300_000, "EUR", "-€2.3m", id="negative"),
        pytest.param(-0.4, "EUR", "€0", id="rounds-to-zero-without-sign"),
        pytest.param(float("nan"), "EUR", "n/a", id="missing"),
    ],
)
def test_money_text(amount: float, currency: str, expected: str) -> None:
    assert money_text(amount, currency) == expected


@pytest.mark.parametrize("currency", ["euro", "€", "", "<b>"], ids=["word", "symbol", "empty", "markup"])
def test_money_text_rejects_a_currency_that_is_not_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        money_text(1_000, currency)


# percent_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "decimals", "expected"),
    [
        pytest.param(0.153, 0, "15%", id="whole"),
        pytest.param(0.153, 1, "15.3%", id="one-decimal"),
        pytest.param(1.25, 0, "125%", id="above-one"),
        pytest.param(-0.08, 0, "-8%", id="negative"),
        pytest.param(-0.001, 0, "0%", id="no-minus-zero"),
        pytest.param(np.nan, 0, "n/a", id="nan"),
        pytest.param(None, 0, "n/a", id="none"),
    ],
)
def test_percent_text(fraction: float, decimals: int, expected: str) -> None:
    assert percent_text(fraction, decimals) == expected


# format_table -----------------------------------------------------------------------------


def test_format_table_formats_money_percent_and_integers(sales: pd.DataFrame) -> None:
    table = format_table(sales, currency="EUR", money=["revenue"], percent=["share"], integer=["orders"])

    assert cells(table) == [
        ["&lt;b&gt;Acme &amp; Sons&lt;/b&gt;", "€1.2m", "15.3%", "12"],
        ["Beta GmbH", "-€2.5k", "50.0%", "1,500"],
        ["n/a", "n/a", "n/a", "3"],
    ]


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", "€1.2m"), ("GBP", "£1.2m"), ("USD", "$1.2m"), ("CHF", "1.2m CHF")],
)
def test_format_table_currency_forms(sales: pd.DataFrame, currency: str, expected: str) -> None:
    table = format_table(sales, currency=currency, money=["revenue"])

    assert cells(table)[0][1] == expected


def test_format_table_decimals_override_defaults(sales: pd.DataFrame) -> None:
    table = format_table(
        sales, currency="EUR", money=["revenue"], percent=["share"], decimals={"revenue": 2, "share": 0}
    )

    assert cells(table)[0][1:3] == ["€1,234,567.40", "15%"]


def test_format_table_other_columns_get_sensible_defaults() -> None:
    data = pd.DataFrame(
        {
            "ratio": [1234.5678, np.nan],
            "visits": [1200, 7],
            "since": pd.to_datetime(["2024-01-31", None]),
        }
    )

    assert cells(format_table(data, currency="EUR")) == [
        ["1,234.57", "1,200", "2024-01-31"],
        ["n/a", "7", "n/a"],
    ]


def test_format_table_never_shows_nan(sales: pd.DataFrame) -> None:
    html = format_table(sales, currency="EUR", money=["revenue"], percent=["share"]).to_html()

    assert "nan" not in html.lower().replace("t_kam", "")
    assert "n/a" in html


def test_format_table_escapes_cells_headers_and_caption() -> None:
    data = pd.DataFrame({"<i>client</i>": ["<script>alert(1)</script>"], "revenue": [10.0]})

    html = format_table(
        data, currency="EUR", money=["revenue"], caption="Sales of <b>Acme & Sons</b>"
    ).to_html()

    assert "<script" not in html
    assert "<i>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;client&lt;/i&gt;" in html
    assert "<caption>Sales of &lt;b&gt;Acme &amp; Sons&lt;/b&gt;</caption>" in html


def test_format_table_right_aligns_numbers_and_hides_the_index(sales: pd.DataFrame) -> None:
    html = format_table(
        sales, currency="EUR", money=["revenue"], percent=["share"], integer=["orders"]
    ).to_html()
    tree = BeautifulSoup(html, "html.parser")

    headers = tree.select("thead th")
    assert [h.get_text() for h in headers] == list(sales.columns)  # no index column
    assert [h.get("class") for h in headers] == [None, ["kam-num"], ["kam-num"], ["kam-num"]]
    for row in tree.select("tbody tr"):
        assert [c.get("class") for c in row.find_all(["td", "th"])] == [
            None,
            ["kam-num"],
            ["kam-num"],
            ["kam-num"],
        ]
    assert len(tree.select("tbody tr")) == len(sales)


def test_the_report_stylesheet_right_aligns_what_format_table_marks() -> None:
    css = (NBCONVERT_TEMPLATES_DIR / "kamtools" / "report.css").read_text(encoding="utf-8")

    assert f"th.{NUMBER_CLASS}, td.{NUMBER_CLASS} {{ text-align: right; }}" in css
    assert f"td.{PROSE_CLASS} {{ white-space: normal;" in css


def test_format_table_writes_this_exact_html() -> None:
    data = pd.DataFrame(
        {
            "account": ["A & B", None],
            "sales": [1_234_567.0, np.nan],
            "note": ["x" * 41, "short"],
            "since": pd.to_datetime(["2024-01-31", None]),
        }
    )

    html = format_table(data, currency="EUR", money=["sales"], caption="Top <2>").to_html()

    table_id = re.fullmatch(r'<table id="(kam[0-9a-f]{10})" class="kam-table">\n.*', html, flags=re.S).group(
        1
    )
    assert html == (
        f'<table id="{table_id}" class="kam-table">\n'
        "<caption>Top &lt;2&gt;</caption>\n"
        "<thead>\n"
        '<tr><th>account</th><th class="kam-num">sales</th><th>note</th><th>since</th></tr>\n'
        "</thead>\n"
        "<tbody>\n"
        '<tr><td>A &amp; B</td><td class="kam-num">€1.2m</td>'
        f'<td class="kam-prose">{"x" * 41}</td><td>2024-01-31</td></tr>\n'
        '<tr><td>n/a</td><td class="kam-num">n/a</td><td class="kam-prose">short</td><td>n/a</td></tr>\n'
        "</tbody>\n"
        "</table>\n"
    )


def test_format_table_lets_only_long_text_columns_wrap() -> None:
    data = pd.DataFrame(
        {
            "long": ["y" * (PROSE_LENGTH + 1), None],
            "edge": ["z" * PROSE_LENGTH, np.nan],
            "missing": pd.Series([None, None], dtype="object"),
            "amount": [10.0 ** (PROSE_LENGTH + 1), 1.0],
        }
    )

    tree = BeautifulSoup(format_table(data, currency="EUR", money=["amount"]).to_html(), "html.parser")

    for row in tree.select("tbody tr"):
        assert [c.get("class") for c in row.find_all("td")] == [["kam-prose"], None, None, ["kam-num"]]
    assert tree.select("th.kam-prose") == []


def test_format_table_id_follows_the_content(sales: pd.DataFrame) -> None:
    def table_id(**options) -> str:
        html = format_table(sales, currency="EUR", **options).to_html()
        return re.search(r'<table id="([^"]+)"', html).group(1)

    assert table_id(money=["revenue"]) == table_id(money=["revenue"])
    assert len({table_id(), table_id(money=["revenue"]), table_id(money=["revenue"], caption="Sales")}) == 3


def test_format_table_writes_other_values_as_pandas_does() -> None:
    data = pd.DataFrame(
        {
            "mixed": pd.Series(["text", 1.5, 3, True, None, pd.NA], dtype="object"),
            "flag": [True, False, True, False, True, False],
            0: ["a", "b", "c", "d", "e", "f"],
        }
    )

    table = format_table(data, currency="EUR")

    assert table.headers == ("mixed", "flag", "0")
    assert cells(table) == [
        ["text", "True", "a"],
        ["1.500000", "False", "b"],
        ["3", "True", "c"],
        ["True", "False", "d"],
        ["n/a", "True", "e"],
        ["n/a", "False", "f"],
    ]
    assert table.numeric == (False, False, False)


def test_format_table_shows_as_html_in_a_notebook(sales: pd.DataFrame) -> None:
    table = format_table(sales, currency="EUR", money=["revenue"], caption="Top customers")

    assert table._repr_html_() == table.to_html()
    assert repr(table) == "<ReportTable 'Top customers': 3 rows, 4 columns>"
    formatted, _ = IPython.core.formatters.DisplayFormatter().format(table)
    assert formatted["text/html"] == table.to_html()


def test_format_table_max_rows_keeps_the_first_rows_and_says_so(sales: pd.DataFrame) -> None:
    table = format_table(sales, currency="EUR", money=["revenue"], caption="Top customers", max_rows=2)

    assert [row[0] for row in cells(table)] == ["&lt;b&gt;Acme &amp; Sons&lt;/b&gt;", "Beta GmbH"]
    assert "<caption>Top customers (first 2 of 3 rows)</caption>" in table.to_html()


def test_format_table_does_not_mutate_its_input(sales: pd.DataFrame) -> None:
    before = sales.copy(deep=True)

    format_table(
        sales, currency="EUR", money=["revenue"], percent=["share"], integer=["orders"], max_rows=1
    ).to_html()

    pd.testing.assert_frame_equal(sales, before)


def test_format_table_renders_the_same_html_twice(sales: pd.DataFrame) -> None:
    first = format_table(sales, currency="EUR", money=["revenue"]).to_html()
    second = format_table(sales.copy(), currency="EUR", money=["revenue"]).to_html()

    assert first == second


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param({"money": ["turnover"]}, ValueError, "'turnover'", id="missing-money-column"),
        pytest.param({"decimals": {"margin": 1}}, ValueError, "'margin'", id="missing-decimals-column"),
        pytest.param({"money": ["revenue"], "percent": ["revenue"]}, ValueError, "both", id="listed-twice"),
        pytest.param({"money": ["customer"]}, TypeError, "'customer'", id="text-as-money"),
        pytest.param({"money": "revenue"}, TypeError, "sequence", id="bare-string"),
        pytest.param({"max_rows": 0}, ValueError, "max_rows", id="no-rows"),
    ],
)
def test_format_table_rejects_bad_options(
    sales: pd.DataFrame, options: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        format_table(sales, currency="EUR", **options)


def test_format_table_handles_an_empty_table() -> None:
    empty = pd.DataFrame({"customer": pd.Series([], dtype="str"), "revenue": pd.Series([], dtype="float64")})

    html = format_table(empty, currency="EUR", money=["revenue"], caption="No sales").to_html()

    assert "<caption>No sales</caption>" in html
    assert "<td" not in html


def test_an_empty_table_becomes_a_sentence():
    from kamtools.tables import Note, table_or_note

    note = table_or_note(pd.DataFrame(columns=["a"]), empty_note="No <b>overrides</b>.", currency="EUR")
    assert isinstance(note, Note)
    assert note._repr_html_() == '<p class="kam-note">No &lt;b&gt;overrides&lt;/b&gt;.</p>'
    table = table_or_note(pd.DataFrame({"a": [1]}), empty_note="none", currency="EUR", integer=["a"])
    assert "<table" in table.to_html()


# Report pages: table rows set aside while the page is parsed ------------------------------


def quoted_tables() -> list[str]:
    """HTML of report tables with every character a page escapes, quotes and non-ASCII text."""
    data = pd.DataFrame(
        {
            "account": ['O\'Neil & "Sons" <GmbH>', "Müller · Ørsted"],
            "note": ["a & b " * 8, "&amp; is not an entity here"],
            "sales": [1_500.0, np.nan],
        }
    )
    return [
        format_table(data, currency="EUR", money=["sales"], caption='Top "accounts" & <more>').to_html(),
        format_table(data.iloc[:1], currency="GBP", money=["sales"]).to_html(),
    ]


def test_set_aside_table_bodies_keeps_id_and_caption_and_restores_every_byte() -> None:
    from kamtools.tables import restore_table_bodies, set_aside_table_bodies

    first, second = quoted_tables()
    markup = f"<h4>Account</h4>{first}<p>between</p>{second}"

    shortened, bodies = set_aside_table_bodies(markup, marker="m-")

    assert len(bodies) == 2 and all(b.startswith("<thead>\n") and b.endswith("</tbody>\n") for b in bodies)
    assert "<td" not in shortened and "<th" not in shortened
    assert shortened.count('class="kam-table"') == 2 and shortened.count("<caption>") == 1
    assert "<!--m-0--></table>" in shortened and "<!--m-1--></table>" in shortened
    assert restore_table_bodies(shortened, bodies, marker="m-") == markup
    later, _ = set_aside_table_bodies(markup, marker="m-", first=3)  # after 3 bodies of earlier outputs
    assert "<!--m-3--></table>" in later and "<!--m-4--></table>" in later


def test_restore_table_bodies_never_loses_rows_silently() -> None:
    from kamtools.tables import restore_table_bodies, set_aside_table_bodies

    shortened, bodies = set_aside_table_bodies(quoted_tables()[0], marker="m-")

    with pytest.raises(RuntimeError, match="table bodies"):
        restore_table_bodies(shortened.replace("<!--m-0-->", ""), bodies, marker="m-")
    with pytest.raises(RuntimeError, match="table bodies"):
        restore_table_bodies(shortened + "<!--m-0-->", bodies, marker="m-")


def test_a_report_page_is_the_same_whether_table_rows_are_parsed_or_set_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime

    import nbformat
    from nbformat import v4

    from kamtools import report

    first, second = quoted_tables()
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        v4.new_markdown_cell("# Plan\n\n## Goals"),
        v4.new_code_cell(
            "t",
            outputs=[v4.new_output("display_data", data={"text/html": first, "text/plain": "t"})],
        ),
        v4.new_markdown_cell("## Accounts"),
        v4.new_code_cell(
            "u",
            outputs=[v4.new_output("display_data", data={"text/html": f"<h4>Acme</h4><p>x</p>{second}"})],
        ),
    ]
    page = {
        "client_name": "Bolt & <Nuts>",
        "period": "2026",
        "stage_title": "Plan",
        "report_date": datetime.date(2026, 4, 1),
    }
    set_aside = []
    real = report._set_aside_table_bodies
    monkeypatch.setattr(
        report, "_set_aside_table_bodies", lambda cells: set_aside.append(real(cells)) or set_aside[-1]
    )
    fast = report.render_notebook_html(nbformat.from_dict(nb), **page)
    monkeypatch.setattr(report, "_set_aside_table_bodies", lambda cells: ("unused-", []))
    parsed = report.render_notebook_html(nbformat.from_dict(nb), **page)

    assert len(set_aside[0][1]) == 2  # both tables were taken out of the parse
    assert fast == parsed
    tree = BeautifulSoup(fast, "html.parser")
    assert [c.get_text() for c in tree.select("main table > caption")] == [
        'Table 1: Top "accounts" & <more>',
        "Table 2",
    ]
    assert len(tree.select("main table tbody tr")) == 3
