"""Tests for kamtools.report: client HTML from notebooks, the pack index and the error page.

Assertions are about meaning (no code, no script, nothing remote, escaped client text, a table
of contents, numbered figures), not snapshots of nbconvert's markup.
"""

from __future__ import annotations

import base64
import copy
import datetime
import io
import struct
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import nbformat
import papermill
import pytest
from bs4 import BeautifulSoup
from nbformat import v4

import kamtools
from kamtools.figures import configure_report_figures
from kamtools.page_references import external_references
from kamtools.report import (
    CONTENT_SECURITY_POLICY,
    FAILED_STEP_SENTENCE,
    OPENING_STEPS,
    PAPERMILL_ERROR_TAG,
    ReportSafetyError,
    StageSummary,
    failed_step_description,
    render_error_html,
    render_index_html,
    render_notebook_html,
)

CLIENT = "<b>Acme & Sons</b>"
CLIENT_ESCAPED = "&lt;b&gt;Acme &amp; Sons&lt;/b&gt;"
DATE = datetime.date(2025, 11, 23)
PAGE = {
    "client_name": CLIENT,
    "period": "FY 2025 <Q4>",
    "stage_title": "Account screening",
    "report_date": DATE,
}

TABLE_HTML = (
    "<table><caption>Top accounts</caption><thead><tr><th>account</th><th>revenue</th></tr></thead>"
    "<tbody><tr><td>Northwind</td><td>€1,234,567</td></tr></tbody></table>"
)


def png_bytes(width_in: float = 6.0, dpi: int = 150) -> bytes:
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.6), dpi=dpi)
    ax.bar(["A", "B", "C"], [3, 5, 2])
    ax.set_title("Revenue by account")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def png_width(data: bytes) -> int:
    return struct.unpack(">I", data[16:20])[0]


@pytest.fixture(scope="module")
def png() -> str:
    return base64.b64encode(png_bytes(width_in=3.0, dpi=60)).decode("ascii")


def error_output(message: str = "division by zero") -> nbformat.NotebookNode:
    return v4.new_output(
        "error",
        ename="ZeroDivisionError",
        evalue=message,
        traceback=[
            "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
            "\x1b[0;31mZeroDivisionError\x1b[0m  Traceback (most recent call last)\n"
            'File "/home/analyst/acme.py"',
            f"\x1b[0;31mZeroDivisionError\x1b[0m: {message}",
        ],
    )


def stage_notebook(png: str) -> nbformat.NotebookNode:
    """An executed-looking stage notebook with every kind of output a report meets."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.cells = [
        v4.new_markdown_cell("# Account screening"),
        v4.new_markdown_cell(
            "## Concentration of sales\n\nThe top account ordered between $1,200 and $3,400 a month."
        ),
        v4.new_code_cell(
            "format_table(top)  # CODE-MARKER-TABLE",
            execution_count=1,
            outputs=[
                v4.new_output(
                    "execute_result", data={"text/html": TABLE_HTML, "text/plain": "table"}, execution_count=1
                )
            ],
        ),
        v4.new_code_cell(
            "plot_concentration(sales)  # CODE-MARKER-PLOT",
            execution_count=2,
            outputs=[
                v4.new_output(
                    "display_data", data={"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"}
                ),
                v4.new_output(
                    "execute_result",
                    data={"text/plain": "<Axes: title={'center': 'Revenue by account'}>"},
                    execution_count=2,
                ),
                v4.new_output("display_data", data={"text/plain": "Text(0.5, 1.0, 'Revenue by account')"}),
            ],
        ),
        v4.new_code_cell(
            "summarise(sales)  # CODE-MARKER-WARN",
            execution_count=3,
            outputs=[
                v4.new_output(
                    "stream", name="stderr", text="/home/analyst/acme.py:3: UserWarning: 2 blank rows\n"
                ),
                v4.new_output("stream", name="stdout", text="12 accounts screened\n"),
            ],
        ),
        v4.new_markdown_cell("### Order frequency"),
        v4.new_code_cell("1 / 0  # CODE-MARKER-ERROR", execution_count=4, outputs=[error_output()]),
        v4.new_markdown_cell("PROVENANCE-SECRET run by analyst", metadata={"tags": ["remove-cell"]}),
        v4.new_code_cell(
            "HIDDEN_INPUT_SOURCE = 1",
            execution_count=5,
            metadata={"tags": ["remove-input"]},
            outputs=[v4.new_output("stream", name="stdout", text="VISIBLE-OUTPUT\n")],
        ),
        v4.new_code_cell(
            "VISIBLE_SOURCE_FOR_ANALYST = 2",
            execution_count=6,
            metadata={"tags": ["remove-output"]},
            outputs=[v4.new_output("stream", name="stdout", text="REMOVED-OUTPUT\n")],
        ),
        v4.new_markdown_cell(
            "## Next steps\n\nSee [the price list](https://example.com/prices) for details."
        ),
    ]
    return nb


@pytest.fixture
def notebook(png: str) -> nbformat.NotebookNode:
    return stage_notebook(png)


@pytest.fixture(scope="module")
def client_html(png: str) -> str:
    return render_notebook_html(stage_notebook(png), **PAGE)


@pytest.fixture(scope="module")
def analyst_html(png: str) -> str:
    return render_notebook_html(stage_notebook(png), **PAGE, with_code=True)


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(page, "html.parser")


def assert_safe_page(page: str) -> None:
    """The rules every kamtools page keeps: strict CSP first in <head>, no script, nothing remote."""
    tree = soup(page)
    csp = tree.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and csp["content"] == CONTENT_SECURITY_POLICY
    assert page.index("Content-Security-Policy") < page.index("<style")
    assert "<script" not in page.lower()
    assert tree.find(["script", "iframe", "link", "object", "embed"]) is None
    assert external_references(page, allow_hyperlinks=True) == []


# --------------------------------------------------------------------------------------------
# Stage report: what the client sees


def test_client_html_shows_no_code(client_html: str) -> None:
    assert "CODE-MARKER" not in client_html
    assert "VISIBLE_SOURCE_FOR_ANALYST" not in client_html
    assert 'class="jp-InputArea' not in client_html
    assert "In [" not in client_html and "In&nbsp;[" not in client_html
    assert "Out[" not in client_html


def test_analyst_html_keeps_code_and_diagnostics(analyst_html: str) -> None:
    assert "CODE-MARKER-TABLE" in analyst_html
    assert "VISIBLE_SOURCE_FOR_ANALYST" in analyst_html
    assert 'class="jp-InputArea' in analyst_html
    assert "UserWarning" in analyst_html
    assert "ZeroDivisionError" in analyst_html
    assert "Do not send to the client" in analyst_html
    assert_safe_page(analyst_html)


def test_cell_tags_remove_cells_inputs_and_outputs(client_html: str, analyst_html: str) -> None:
    for page in (client_html, analyst_html):
        assert "PROVENANCE-SECRET" not in page
        assert "HIDDEN_INPUT_SOURCE" not in page
        assert "VISIBLE-OUTPUT" in page
        assert "REMOVED-OUTPUT" not in page


def test_client_html_has_no_warnings_tracebacks_or_machine_paths(client_html: str) -> None:
    assert "UserWarning" not in client_html
    assert "/home/analyst" not in client_html
    assert "Traceback" not in client_html
    assert "ZeroDivisionError" not in client_html
    assert client_html.count(FAILED_STEP_SENTENCE) == 1
    assert "12 accounts screened" in client_html  # stdout is for the reader


def test_client_html_drops_bare_object_reprs(client_html: str, analyst_html: str) -> None:
    for by_product in ("&lt;Axes:", "Text(0.5, 1.0,"):
        assert by_product not in client_html
        assert by_product in analyst_html


def test_client_html_is_self_contained_and_script_free(client_html: str) -> None:
    assert_safe_page(client_html)
    assert external_references(client_html) == ["https://example.com/prices"]  # the author's own link


def test_cover_header_and_footer(client_html: str) -> None:
    cover = soup(client_html).find("header", class_="kam-cover")
    text = cover.get_text(" ", strip=True)

    assert CLIENT in text  # the reader sees the name as typed...
    assert "FY 2025 <Q4>" in text
    assert "Account screening" in text
    assert "23 November 2025" in text
    assert f"Confidential: prepared for {CLIENT}" in text
    assert f"Confidential: prepared for {CLIENT_ESCAPED}" in client_html
    assert f"kamtools {kamtools.__version__}" in soup(client_html).find("footer").get_text()


def test_client_supplied_text_is_escaped_everywhere(client_html: str) -> None:
    assert CLIENT not in client_html  # ...but the markup never reaches the page raw
    assert "Acme & Sons" not in client_html
    assert "<Q4>" not in client_html
    assert soup(client_html).find("b") is None
    assert f"<title>Account screening · {CLIENT_ESCAPED} · FY 2025 &lt;Q4&gt;</title>" in client_html


def test_dollar_amounts_stay_plain_text(client_html: str) -> None:
    assert "between $1,200 and $3,400 a month" in client_html
    assert "MathJax" not in client_html


def test_table_of_contents_links_the_h2_and_h3_headings(client_html: str) -> None:
    tree = soup(client_html)
    toc = tree.find("nav", class_="kam-toc")
    links = [(a.get_text(), a["href"]) for a in toc.find_all("a")]

    assert [text for text, _ in links] == ["Concentration of sales", "Order frequency", "Next steps"]
    for _, href in links:
        assert href.startswith("#")
        assert tree.find(id=href[1:]).name in ("h2", "h3")
    nested = toc.find("ol").find("ol")
    assert [a.get_text() for a in nested.find_all("a")] == ["Order frequency"]


def test_figures_and_tables_are_numbered(client_html: str) -> None:
    tree = soup(client_html)

    figures = tree.select("figure.kam-figure")
    assert [f.figcaption.get_text() for f in figures] == ["Figure 1"]
    assert figures[0].img["alt"] == "Figure 1"
    assert figures[0].img["src"].startswith("data:image/png;base64,")
    assert [c.get_text() for c in tree.select("main table > caption")] == ["Table 1: Top accounts"]


def test_tables_without_caption_get_a_number(png: str) -> None:
    nb = stage_notebook(png)
    nb.cells.append(v4.new_markdown_cell("| a | b |\n|---|---|\n| 1 | 2 |"))

    tree = soup(render_notebook_html(nb, **PAGE))

    assert [c.get_text() for c in tree.select("main table > caption")] == ["Table 1: Top accounts", "Table 2"]


def test_print_and_phone_css_are_inline(client_html: str) -> None:
    style = "".join(s.get_text() for s in soup(client_html).find_all("style"))

    assert "size: A4;" in style and 'counter(page) " of " counter(pages)' in style  # page numbers
    assert "break-before: page" in style
    assert "@media (max-width: 600px)" in style
    assert "overflow-x: auto" in style
    assert 'name="viewport"' in client_html or "name=viewport" in client_html


def test_rendering_is_deterministic_apart_from_the_date(notebook: nbformat.NotebookNode) -> None:
    rerun = copy.deepcopy(notebook)
    rerun.metadata["papermill"] = {"start_time": "2025-11-24T08:00:00", "duration": 12.3}
    for number, cell in enumerate(rerun.cells):
        cell.id = f"other-id-{number}"
        cell.metadata["execution"] = {"iopub.execute_input": f"2025-11-24T08:00:{number:02d}"}
        cell.metadata["papermill"] = {"duration": 0.1 * number, "status": "completed"}

    first = render_notebook_html(notebook, **PAGE)
    second = render_notebook_html(rerun, **PAGE)
    next_day = render_notebook_html(rerun, **{**PAGE, "report_date": datetime.date(2025, 11, 24)})

    assert first == second
    assert next_day.replace("24 November 2025", "23 November 2025") == first


def test_svg_figures_render_identically_across_runs(png: str) -> None:
    def svg(salt: str) -> str:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg"><metadata><dc:date>' + salt + "</dc:date></metadata>"
            f'<defs><clipPath id="p{salt}"><rect width="1" height="1"/></clipPath></defs>'
            f'<path clip-path="url(#p{salt})" d="M0 0"/></svg>'
        )

    def notebook_with(salt: str) -> nbformat.NotebookNode:
        nb = v4.new_notebook()
        nb.cells = [
            v4.new_code_cell(
                "plot()", outputs=[v4.new_output("display_data", data={"image/svg+xml": svg(salt)})]
            )
        ]
        return nb

    assert render_notebook_html(notebook_with("a1b2c3"), **PAGE) == render_notebook_html(
        notebook_with("ffee99"), **PAGE
    )


def test_rendering_leaves_the_notebook_unchanged(notebook: nbformat.NotebookNode) -> None:
    before = nbformat.writes(notebook)

    render_notebook_html(notebook, **PAGE)

    assert nbformat.writes(notebook) == before


def test_page_with_a_few_figures_stays_small() -> None:
    images = [png_bytes() for _ in range(3)]
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("## Figures")] + [
        v4.new_code_cell(
            "plot()",
            outputs=[v4.new_output("display_data", data={"image/png": base64.b64encode(i).decode()})],
        )
        for i in images
    ]

    page = render_notebook_html(nb, **PAGE)

    embedded = sum(len(base64.b64encode(i)) for i in images)
    assert len(page.encode("utf-8")) < embedded + 30_000  # a few KB of CSS and markup around the figures


def test_active_outputs_are_dropped_or_fall_back(png: str) -> None:
    nb = v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    nb.cells = [
        v4.new_code_cell(
            "widget",
            outputs=[
                v4.new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                        "text/plain": "IntSlider(value=3)",
                    },
                )
            ],
        ),
        v4.new_code_cell(
            "chart",
            outputs=[
                v4.new_output(
                    "display_data",
                    data={
                        "text/html": '<div id="x"></div><script src="https://cdn.example/plot.js"></script>',
                        "image/png": png,
                    },
                )
            ],
        ),
        v4.new_code_cell(
            "js", outputs=[v4.new_output("display_data", data={"application/javascript": "alert(1)"})]
        ),
    ]

    page = render_notebook_html(nb, **PAGE)
    analyst = render_notebook_html(nb, **PAGE, with_code=True)

    assert_safe_page(page)
    assert_safe_page(analyst)
    assert "IntSlider(value=3)" not in page  # a widget means nothing on paper
    assert "IntSlider(value=3)" in analyst  # the analyst sees what was there
    assert [f.figcaption.get_text() for f in soup(page).select("figure.kam-figure")] == ["Figure 1"]
    assert "alert(1)" not in page


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param("![logo](https://tracker.example/logo.png)", id="remote-image"),
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param('<link rel="stylesheet" href="https://fonts.example/css">', id="remote-stylesheet"),
        pytest.param("[raw data](file:///home/analyst/acme/sales.xlsx)", id="local-file-link"),
    ],
)
def test_unsafe_markdown_is_refused(markdown: str) -> None:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(markdown)]

    with pytest.raises(ReportSafetyError):
        render_notebook_html(nb, **PAGE)


def test_papermill_error_banners_stay_out_of_the_client_report(notebook: nbformat.NotebookNode) -> None:
    banner = v4.new_markdown_cell(
        '<span style="color:red">An Exception was encountered at '
        '<a href="#papermill-error-cell">In [4]</a>.</span>',
        metadata={"tags": [PAPERMILL_ERROR_TAG]},
    )
    notebook.cells.insert(0, banner)

    assert "An Exception was encountered" not in render_notebook_html(notebook, **PAGE)
    assert "An Exception was encountered" in render_notebook_html(notebook, **PAGE, with_code=True)


# --------------------------------------------------------------------------------------------
# A real run: papermill executes a small notebook once for this module


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """A stage-like notebook run by papermill with the venv's python3 kernel; it fails on purpose."""
    folder = tmp_path_factory.mktemp("executed")
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        v4.new_code_cell('client_name = "Demo"', metadata={"tags": ["parameters"]}),
        v4.new_markdown_cell("# Account screening"),
        v4.new_markdown_cell("## Set-up"),
        v4.new_code_cell(
            "import warnings\nfrom kamtools.figures import configure_report_figures\n"
            "configure_report_figures()\nwarnings.warn('/home/analyst/acme/sales.csv has 2 blank rows')"
        ),
        v4.new_markdown_cell("## Revenue by account"),
        v4.new_code_cell(
            "import pandas as pd\nfrom kamtools.tables import format_table\n"
            "top = pd.DataFrame({'account': ['Northwind', client_name], 'revenue': [1234567.0, None]})\n"
            "format_table(top, currency='EUR', money=['revenue'], caption='Top accounts')"
        ),
        v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots()\nax.bar(['A', 'B'], [3, 5])\nplt.show()"
        ),
        v4.new_markdown_cell("## Concentration of sales"),
        v4.new_code_cell("raise ValueError('details for the analyst only: /home/analyst')"),
        v4.new_markdown_cell("## Never reached"),
        v4.new_code_cell("print('not reached')"),
    ]
    source, target = folder / "stage.ipynb", folder / "stage.out.ipynb"
    nbformat.write(nb, source)
    with pytest.MonkeyPatch.context() as patch:
        # tests run with MPLBACKEND=Agg, which the kernel would inherit and then show no figures
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        with pytest.raises(papermill.PapermillExecutionError):
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters={"client_name": "Bolt & <Nuts>"},
                kernel_name="python3",
                progress_bar=False,
                cwd=str(folder),
                execution_timeout=120,
            )
    return nbformat.read(target, as_version=4)


def test_executed_failure_is_named_by_its_section(executed: nbformat.NotebookNode) -> None:
    assert failed_step_description(executed) == "Concentration of sales"


def test_executed_notebook_renders_as_a_clean_client_report(executed: nbformat.NotebookNode) -> None:
    page = render_notebook_html(executed, **PAGE)
    tree = soup(page)

    assert_safe_page(page)
    for leak in (
        "Traceback",
        "ValueError",
        "/home/analyst",
        "UserWarning",
        "papermill",
        "Exception",
        "client_name",
    ):
        assert leak not in page
    assert page.count(FAILED_STEP_SENTENCE) == 1
    assert "not reached" not in page
    assert [c.get_text() for c in tree.select("main table > caption")] == ["Table 1: Top accounts"]
    assert "€1.2m" in page and "n/a" in page
    assert "Bolt &amp; &lt;Nuts&gt;" in page and "<Nuts>" not in page


def test_executed_figure_is_a_print_resolution_png(executed: nbformat.NotebookNode) -> None:
    page = render_notebook_html(executed, **PAGE)
    images = soup(page).select("figure.kam-figure img")

    assert len(images) == 1
    data = base64.b64decode(images[0]["src"].split(",", 1)[1])
    assert data.startswith(b"\x89PNG")
    assert png_width(data) > 7.0 * 150 * 0.8  # 7-inch figure at 150 dpi, less the tight bbox


def test_configure_report_figures_sets_print_resolution_and_a_fixed_svg_salt() -> None:
    with mpl.rc_context():
        configure_report_figures()

        assert mpl.rcParams["figure.dpi"] == 110
        assert mpl.rcParams["savefig.dpi"] == 150
        assert mpl.rcParams["svg.hashsalt"] == "kamtools"
        assert mpl.rcParams["axes.spines.top"] is False


# --------------------------------------------------------------------------------------------
# failed_step_description


def failing(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_failed_step_is_none_when_nothing_failed(notebook: nbformat.NotebookNode) -> None:
    nb = copy.deepcopy(notebook)
    nb.cells = [
        cell for cell in nb.cells if not any(o.output_type == "error" for o in cell.get("outputs", []))
    ]

    assert failed_step_description(nb) is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param(
            [
                v4.new_markdown_cell("## Set-up"),
                v4.new_code_cell("ok"),
                v4.new_markdown_cell("Intro text.\n\n## Concentration of sales\n\nSome words."),
                v4.new_code_cell("fail", outputs=[error_output()]),
                v4.new_markdown_cell("## Later"),
                v4.new_code_cell("fail again", outputs=[error_output()]),
            ],
            "Concentration of sales",
            id="nearest-heading-above-first-failure",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("### **Order** `frequency` by [segment](#seg)"),
                v4.new_code_cell("x", outputs=[error_output()]),
            ],
            "Order frequency by segment",
            id="markdown-formatting-removed",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("Price & margin\n--------------"),
                v4.new_code_cell("x", outputs=[error_output()]),
            ],
            "Price & margin",
            id="setext-heading",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("<h2>Share of wallet</h2>"),
                v4.new_code_cell("x", outputs=[error_output()]),
            ],
            "Share of wallet",
            id="html-heading",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("## Real section\n\n```python\n# not a heading\n```"),
                v4.new_code_cell("x", outputs=[error_output()]),
            ],
            "Real section",
            id="comment-in-code-fence-ignored",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("## Loading"),
                v4.new_markdown_cell("Execution stopped here", metadata={"tags": [PAPERMILL_ERROR_TAG]}),
                v4.new_code_cell("x", metadata={"papermill": {"exception": True}}),
            ],
            "Loading",
            id="papermill-exception-marker",
        ),
        pytest.param(
            [v4.new_code_cell("x", outputs=[error_output()]), v4.new_markdown_cell("## Too late")],
            OPENING_STEPS,
            id="failure-before-any-heading",
        ),
        pytest.param(
            [
                v4.new_markdown_cell("## Wrap-up"),
                v4.new_code_cell(
                    "sys.exit(0)",
                    outputs=[v4.new_output("error", ename="SystemExit", evalue="0", traceback=[])],
                ),
            ],
            None,
            id="clean-sys-exit-is-not-a-failure",
        ),
    ],
)
def test_failed_step_description(cells: list[nbformat.NotebookNode], expected: str | None) -> None:
    assert failed_step_description(failing(*cells)) == expected


# --------------------------------------------------------------------------------------------
# Error page


def test_error_page_names_stage_and_step_without_technical_detail() -> None:
    page = render_error_html(
        client_name=CLIENT,
        period="FY 2025",
        stage_title="Needs analysis",
        failed_step="Concentration of <sales>",
        report_date=DATE,
    )
    text = soup(page).get_text(" ", strip=True)

    assert_safe_page(page)
    assert "Needs analysis" in text
    assert "could not be completed" in text
    assert "Concentration of <sales>" in text and "Concentration of &lt;sales&gt;" in page
    assert "analyst has the technical details" in text
    assert f"Confidential: prepared for {CLIENT}" in text
    assert CLIENT not in page
    for technical in ("Traceback", "Error:", "Exception", "<pre"):
        assert technical not in page


# --------------------------------------------------------------------------------------------
# Pack index


@pytest.fixture
def stages() -> list[StageSummary]:
    return [
        StageSummary(
            "screening", "Account screening", "screening.html", "done", "12 accounts; 3 <key> accounts"
        ),
        StageSummary("needs", "Needs analysis", "needs.html", "failed", "Stopped at: Concentration of sales"),
        StageSummary("planning", "Account plan", "planning.html", "not run"),
    ]


def test_index_lists_every_stage_with_status_summary_and_link(stages: list[StageSummary]) -> None:
    page = render_index_html(
        client_name=CLIENT, period="FY 2025", report_date=DATE, kamtools_version="9.9.9", stages=stages
    )
    tree = soup(page)
    entries = tree.select("li.kam-stage")

    assert_safe_page(page)
    assert external_references(page) == []  # sibling links are part of the pack
    assert [e.find("h2").get_text() for e in entries] == [
        "Account screening",
        "Needs analysis",
        "Account plan",
    ]
    assert [e.select_one(".kam-status").get_text() for e in entries] == [
        "Done",
        "Could not be completed",
        "Not run",
    ]
    assert [[(a["href"], a.get_text()) for a in e.find_all("a")] for e in entries] == [
        [("screening.html", "Open the Account screening report")],
        [("needs.html", "See what happened")],
        [],
    ]
    assert "12 accounts; 3 &lt;key&gt; accounts" in page
    assert "kamtools 9.9.9" in tree.find("footer").get_text()
    assert "23 November 2025" in page
    assert f"Confidential: prepared for {CLIENT_ESCAPED}" in page and CLIENT not in page


@pytest.mark.parametrize(
    ("html_file", "status"),
    [
        pytest.param("../other/screening.html", "done", id="parent-folder"),
        pytest.param("/tmp/screening.html", "done", id="absolute"),
        pytest.param("C:screening.html", "done", id="drive"),
        pytest.param("screening.pdf", "done", id="not-html"),
        pytest.param("screening.html", "skipped", id="unknown-status"),
    ],
)
def test_stage_summary_rejects_bad_values(html_file: str, status: str) -> None:
    with pytest.raises(ValueError, match="StageSummary 'screening'"):
        StageSummary("screening", "Account screening", html_file, status)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# external_references


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param('<img src="data:image/png;base64,AAAA">', [], id="data-uri"),
        pytest.param('<a href="#section-2">next</a>', [], id="in-page-anchor"),
        pytest.param('<a href="needs.html">Needs</a>', [], id="sibling-link"),
        pytest.param('<a href="screening.html#top">Screening</a>', [], id="sibling-link-with-anchor"),
        pytest.param(
            '<img src="https://cdn.example/x.png">', ["https://cdn.example/x.png"], id="remote-image"
        ),
        pytest.param(
            '<img src="HTTP://CDN.EXAMPLE/x.png">', ["HTTP://CDN.EXAMPLE/x.png"], id="upper-case-scheme"
        ),
        pytest.param(
            '<script src="//cdn.example/x.js"></script>', ["//cdn.example/x.js"], id="protocol-relative"
        ),
        pytest.param(
            '<link rel="stylesheet" href="http://x.example/a.css">',
            ["http://x.example/a.css"],
            id="stylesheet",
        ),
        pytest.param('<iframe src="https://x.example/"></iframe>', ["https://x.example/"], id="iframe"),
        pytest.param('<img src="file:///home/a/x.png">', ["file:///home/a/x.png"], id="file-url"),
        pytest.param('<img src="/home/analyst/x.png">', ["/home/analyst/x.png"], id="absolute-path"),
        pytest.param('<img src="C:\\Users\\a\\x.png">', ["C:\\Users\\a\\x.png"], id="windows-path"),
        pytest.param('<img src="chart.png">', ["chart.png"], id="relative-resource-not-embedded"),
        pytest.param(
            '<a href="../other-client/index.html">x</a>', ["../other-client/index.html"], id="climbs-out"
        ),
        pytest.param('<a href="https://example.com">site</a>', ["https://example.com"], id="hyperlink"),
        pytest.param(
            '<img srcset="a.png 1x, https://x.example/b.png 2x">',
            ["a.png", "https://x.example/b.png"],
            id="srcset",
        ),
        pytest.param(
            "<div style=\"background: url('https://x.example/bg.png')\"></div>",
            ["https://x.example/bg.png"],
            id="style-attribute",
        ),
        pytest.param(
            '<style>@import "https://x.example/f.css"; p { background: url(data:image/png;base64,AA) }'
            " h1 { background: url(https://x.example/h.png) }</style>",
            ["https://x.example/f.css", "https://x.example/h.png"],
            id="style-element",
        ),
        pytest.param(
            '<img src="&#104;ttps://x.example/e.png">', ["https://x.example/e.png"], id="entity-encoded"
        ),
        pytest.param(
            '<img src=" ht\ttps://x.example/t.png">', [" ht\ttps://x.example/t.png"], id="tab-in-scheme"
        ),
        pytest.param(
            '<meta http-equiv="refresh" content="0; url=https://x.example/">',
            ["https://x.example/"],
            id="refresh",
        ),
        pytest.param(
            '<svg><image xlink:href="https://x.example/s.png"/></svg>',
            ["https://x.example/s.png"],
            id="svg-image",
        ),
        pytest.param("<p>see https://example.com in the text</p>", [], id="plain-text-url"),
    ],
)
def test_external_references(page: str, expected: list[str]) -> None:
    assert external_references(page) == expected


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("<IMG SRC = 'https://x.example/a.png'>", id="upper-case-spaced"),
        pytest.param("<img/src=https://x.example/a.png>", id="slash-separated"),
        pytest.param("<SVG><IMAGE XLINK:HREF='https://x.example/a.png'/></SVG>", id="upper-case-xlink"),
        pytest.param("<button formaction='https://x.example/'>go</button>", id="formaction"),
        pytest.param("<link imagesrcset='https://x.example/a.png 2x'>", id="imagesrcset"),
        pytest.param("<td bac\u212aground='https://x.example/a.png'>", id="kelvin-sign-lowercases-to-k"),
        pytest.param('<div STYLE="background:url(https://x.example/a.png)">', id="style-attribute"),
        pytest.param("<STYLE>@import 'https://x.example/a.css';</STYLE>", id="style-element"),
        pytest.param(
            "<META HTTP-EQUIV='refresh' content='0; url=https://x.example/'>", id="refresh-upper-case"
        ),
        pytest.param("<object DATA='https://x.example/a.swf'></object>", id="object-data"),
    ],
)
def test_external_references_in_any_spelling_the_parser_accepts(page: str) -> None:
    # Text without a URL-bearing attribute or <style> is not parsed at all: every spelling the
    # parser reads as one must still be parsed and reported.
    assert external_references(page) == [
        "https://x.example/a.png"
        if "png" in page
        else "https://x.example/a.css"
        if "css" in page
        else "https://x.example/a.swf"
        if "swf" in page
        else "https://x.example/"
    ]


def test_outputs_without_references_are_not_parsed(monkeypatch) -> None:
    from kamtools import page_references

    def refuse_to_parse(*_args, **_kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(page_references._ReferenceCollector, "feed", refuse_to_parse)
    table = '<table class="kam-table"><tr><th>data source</th><td>€2.3m</td><td>srcset</td></tr></table>'
    assert external_references(table) == []
    with pytest.raises(AssertionError, match="parsed"):
        external_references('<img src="x.png">')


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param('<a href="https://example.com/prices">prices</a>', [], id="web-link-allowed"),
        pytest.param('<a href="mailto:kam@example.com">mail</a>', [], id="mail-link-allowed"),
        pytest.param(
            '<img src="https://x.example/p.png">', ["https://x.example/p.png"], id="image-still-reported"
        ),
        pytest.param(
            '<link href="https://x.example/a.css">', ["https://x.example/a.css"], id="link-tag-still-reported"
        ),
        pytest.param(
            '<iframe src="https://x.example/"></iframe>', ["https://x.example/"], id="iframe-still-reported"
        ),
        pytest.param(
            '<a href="file:///home/a/sales.xlsx">data</a>',
            ["file:///home/a/sales.xlsx"],
            id="file-link-reported",
        ),
        pytest.param(
            '<a href="/home/a/sales.xlsx">data</a>', ["/home/a/sales.xlsx"], id="path-link-reported"
        ),
        pytest.param(
            '<a href="javascript:alert(1)">x</a>', ["javascript:alert(1)"], id="javascript-link-reported"
        ),
    ],
)
def test_external_references_allowing_hyperlinks(page: str, expected: list[str]) -> None:
    assert external_references(page, allow_hyperlinks=True) == expected


def test_template_is_found_from_the_package_location() -> None:
    from kamtools.report import TEMPLATE_BASEDIR, TEMPLATE_NAME

    assert Path(kamtools.__file__).resolve().parents[1] / "templates" / "nbconvert" == TEMPLATE_BASEDIR
    assert (TEMPLATE_BASEDIR / TEMPLATE_NAME / "conf.json").is_file()


def test_sections_after_the_opening_ones_start_a_printed_page(png: str) -> None:
    nb = stage_notebook(png)
    nb.cells += [v4.new_markdown_cell(f"## Section {n}") for n in range(3)]

    tree = soup(render_notebook_html(nb, **PAGE))

    breaks = [
        h.get_text(strip=True).rstrip("¶")
        for h in tree.select("main h2")
        if "kam-break" in h.get("class", [])
    ]
    headings = [h.get_text(strip=True).rstrip("¶") for h in tree.select("main h2")]
    assert breaks == headings[2:] and len(headings) >= 4


def test_the_report_exporter_makes_nbconverts_page_in_one_parse():
    """ReportExporter hands over nbconvert's own page as a soup: the same alt texts and tabindex."""
    from nbconvert import HTMLExporter

    from kamtools.report_exporter import MISSING_ALT_TEXT, ReportExporter

    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell('## Part\n\n<img src="data:image/png;base64,iVBORw0KGgo=">'),
        v4.new_code_cell(
            "x = 1",
            execution_count=1,
            outputs=[
                v4.new_output("display_data", data={"text/html": "<p>shown</p>", "text/plain": "shown"})
            ],
        ),
    ]
    ours, _ = ReportExporter(template_name="lab").soup_from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert str(ours) == theirs
    assert MISSING_ALT_TEXT in theirs and 'tabindex="0"' in theirs  # both steps were exercised
