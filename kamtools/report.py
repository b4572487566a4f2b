"""Client-ready HTML: stage reports from executed notebooks, the pack index and the error page.

A stage report goes to the client, an outsider, so every page this module writes follows the
same rules:

- no code, no prompts, no warnings, no tracebacks (an analyst copy with code is available);
- self-contained and inert: a strict Content-Security-Policy, no ``<script>`` at all, no
  stylesheet, font or image from anywhere but the file itself (figures are PNG data URIs);
- every client-supplied string (client name, period, stage title, summaries) is escaped;
- the same notebook always gives the same page, apart from the report date.

The stage report is rendered by one :class:`nbconvert.HTMLExporter` with the ``kamtools``
template (``templates/nbconvert/kamtools``, extending nbconvert's ``lab`` template), then
finished here: a table of contents from the h2/h3 headings, numbered figures and tables, and a
final check that nothing active or remote slipped through (:class:`ReportSafetyError`). The rows
of the report tables (:mod:`kamtools.tables`) are set aside while the page is parsed and put back
into its text: they are most of a page's tags and nothing here changes them.
"""

from __future__ import annotations

import datetime
import functools
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import nbformat
from bs4 import BeautifulSoup, Tag
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from nbconvert.preprocessors import Preprocessor
from pygments.formatters import HtmlFormatter
from traitlets import Bool
from traitlets.config import Config

from kamtools import __version__
from kamtools.page_references import external_references
from kamtools.paths import NBCONVERT_TEMPLATES_DIR
from kamtools.report_exporter import ReportExporter
from kamtools.tables import restore_table_bodies, set_aside_table_bodies

TEMPLATE_BASEDIR = NBCONVERT_TEMPLATES_DIR
"""Folder holding nbconvert template directories; ``kamtools`` is the one used here."""

TEMPLATE_NAME = "kamtools"

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
"""Nothing may load or run except inline styles and data-URI images and fonts."""

FAILED_STEP_SENTENCE = "This step could not be completed."
"""What the client reads where a cell failed, instead of a traceback."""

OPENING_STEPS = "The opening steps, before the first section"
"""Step description when a notebook fails before its first heading."""

OPENING_SECTIONS = 2
"""Sections printed on the cover page; each later section starts a new page."""

REMOVE_CELL_TAG = "remove-cell"
REMOVE_INPUT_TAG = "remove-input"
REMOVE_OUTPUT_TAG = "remove-output"
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"

StageStatus = Literal["done", "failed", "not run"]

STATUS_LABELS: dict[str, str] = {
    "done": "Done",
    "failed": "Could not be completed",
    "not run": "Not run",
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Output mimetypes that would run code in the reader's browser, or need a script to show.
_ACTIVE_MIMETYPES = (
    "application/javascript",
    _WIDGET_VIEW,
    "application/vnd.jupyter.widget-state+json",
    "text/vnd.mermaid",
)
_ACTIVE_HTML = re.compile(r"<\s*(?:script|iframe|frame|object|embed|applet|link|meta|base)\b", re.IGNORECASE)
# Text-only results that are a notebook's by-products, not findings: "<Axes: title={...}>",
# "[<matplotlib.lines.Line2D at 0x7f...>]", "Text(0.5, 1.0, 'Revenue')" from ax.set_title(...).
_OBJECT_REPR = re.compile(
    r"\s*(?:\[?<[A-Za-z_][\w.]*(?:[ :][^\n]*)?>.*|Text\(-?[\d.e+-]+, -?[\d.e+-]+, '.*'\)\s*)", re.DOTALL
)
_VOLATILE_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled", "ExecuteTime")
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_TABLE_BODIES = "kamtools_table_bodies"
"""Key of the resources entry in which the preprocessor hands the table rows it took out over."""


class ReportSafetyError(ValueError):
    """A rendered page would run a script or load something from outside the file.

    Raised instead of writing a page that breaks the client-report rules; the message names
    what was found so the notebook can be fixed (embed the image, drop the widget, ...).
    """


@dataclass(frozen=True)
class StageSummary:
    """One stage as listed on the report pack's index page.

    Attributes
    ----------
    key : str
        Stage key as used across kamtools (``"screening"``, ``"needs"``, ...).
    title : str
        Title shown to the client ("Account screening").
    html_file : str
        The stage's report file, a plain file name next to the index ("screening.html").
    status : {"done", "failed", "not run"}
        Whether the stage ran to the end, failed (its file is then the error page) or was not run.
    summary : str
        One line in plain words for the reader ("12 accounts screened; 3 qualify as key accounts").
    """

    key: str
    title: str
    html_file: str
    status: StageStatus
    summary: str = ""

    def __post_init__(self) -> None:
        if self.status not in get_args(StageStatus):
            allowed = ", ".join(repr(s) for s in get_args(StageStatus))
            raise ValueError(f"StageSummary {self.key!r}: status {self.status!r} is not one of {allowed}")
        name = self.html_file
        if not name.endswith(".html") or name.startswith(".") or any(sep in name for sep in ("/", "\\", ":")):
            raise ValueError(
                f"StageSummary {self.key!r}: html_file {name!r} must be a plain .html file name "
                "next to the index (no folders, no absolute paths)"
            )


# --------------------------------------------------------------------------------------------
# Stage reports


def render_notebook_html(
    nb: nbformat.NotebookNode,
    *,
    client_name: str,
    period: str,
    stage_title: str,
    report_date: datetime.date,
    with_code: bool = False,
) -> str:
    """Render an executed stage notebook as a self-contained, script-free HTML report.

    The client version (default) shows markdown and outputs only: no code, prompts, stderr
    (warnings) or tracebacks; a failed cell reads "This step could not be completed.". Cells
    tagged ``remove-cell`` disappear, ``remove-input`` lose their input and ``remove-output``
    their outputs. The page gets a cover (client, period, stage, date, confidentiality line),
    a table of contents from the h2/h3 headings, numbered figures and tables, print CSS and a
    footer with the kamtools version.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (as written by papermill). It is not modified.
    client_name, period, stage_title : str
        Shown on the cover; escaped here, so pass them as plain text.
    report_date : datetime.date
        Date printed on the cover. The only thing that may differ between two renders of the
        same notebook.
    with_code : bool
        The analyst copy: keeps code inputs, warnings and tracebacks and says on the cover that
        it is not for the client.

    Returns
    -------
    str
        The complete HTML page.

    Raises
    ------
    ReportSafetyError
        If the page would still contain a script or a reference to a remote or local resource
        (for instance a markdown image linked from the web).
    """
    exporter = _stage_exporter(with_code=with_code)
    page = _page_fields(
        client_name=client_name,
        period=period,
        title=stage_title,
        report_date=report_date,
        analyst=with_code,
    )
    soup, resources = exporter.soup_from_notebook_node(nb, resources={"kamtools": page})
    marker, bodies = resources[_TABLE_BODIES]
    return _checked(restore_table_bodies(_finish_report(soup), bodies, marker=marker))


@functools.cache
def _stage_exporter(*, with_code: bool) -> ReportExporter:
    """The one HTMLExporter for a stage report, configured for the client or the analyst.

    Built once per process and mode: compiling the template costs more than a conversion, and
    the exporter keeps no state between conversions (its preprocessors work on a copy).
    """
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {REMOVE_CELL_TAG}
    config.TagRemovePreprocessor.remove_input_tags = {REMOVE_INPUT_TAG}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {REMOVE_OUTPUT_TAG}
    exporter = ReportExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_BASEDIR)],
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # The notebook is checked against its schema once, after the last preprocessor, instead
        # of after each of the thirteen: the same check, a tenth of a page's rendering saved.
        optimistic_validation=True,
    )
    exporter.register_preprocessor(_ReportPreprocessor(analyst=with_code), enabled=True)
    return exporter


class _ReportPreprocessor(Preprocessor):
    """Make a notebook copy fit for a report: stable, inert and, for the client, quiet.

    Always: drops timing and papermill metadata, numbers cell ids, removes output
    representations that need a script (widgets, JavaScript, HTML with scripts or remote
    resources) and gives SVG ids stable names. For the client only: drops stderr streams,
    widgets, bare object reprs (``<Axes: ...>``, ``Text(0.5, 1.0, '...')``), papermill's red
    error banners and code cells left without anything to show.
    """

    analyst = Bool(False, help="Keep diagnostics (stderr, tracebacks, papermill banners).")

    def preprocess(
        self, nb: nbformat.NotebookNode, resources: dict[str, Any]
    ) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        nb.metadata.pop("papermill", None)
        nb.metadata.pop("widgets", None)
        kept = []
        figure_count = 0
        for cell in nb.cells:
            if not self.analyst and PAPERMILL_ERROR_TAG in cell.metadata.get("tags", []):
                continue
            for key in _VOLATILE_CELL_METADATA:
                cell.metadata.pop(key, None)
            if cell.cell_type == "code":
                outputs = []
                for output in cell.outputs:
                    shown = self._shown_output(output)
                    if shown is None:
                        continue
                    if "image/svg+xml" in shown.get("data", {}):
                        figure_count += 1
                        shown.data["image/svg+xml"] = _normalise_svg(
                            shown.data["image/svg+xml"], prefix=f"kam-f{figure_count}-"
                        )
                    outputs.append(shown)
                cell.outputs = outputs
                if not self.analyst and not outputs:
                    continue
            kept.append(cell)
        for number, cell in enumerate(kept, start=1):
            if "id" in cell:
                cell.id = f"cell-{number}"
        nb.cells = kept
        resources[_TABLE_BODIES] = _set_aside_table_bodies(kept)
        return nb, resources

    def _shown_output(self, output: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
        if output.output_type == "stream":
            return output if self.analyst or output.get("name") != "stderr" else None
        if output.output_type not in ("display_data", "execute_result"):
            return output
        data = output.get("data", {})
        if not self.analyst and _WIDGET_VIEW in data:
            return None  # a widget does nothing in a static page; its text fallback means nothing
        for mimetype in _ACTIVE_MIMETYPES:
            data.pop(mimetype, None)
        markup = data.get("text/html")
        if markup is not None:
            markup = "".join(markup) if isinstance(markup, list) else markup
            if _ACTIVE_HTML.search(markup) or external_references(markup, allow_hyperlinks=True):
                data.pop("text/html")
        if not data:
            return None
        if not self.analyst and set(data) == {"text/plain"}:
            text = data["text/plain"]
            text = "".join(text) if isinstance(text, list) else text
            if _OBJECT_REPR.fullmatch(text):
                return None
        return output


def _set_aside_table_bodies(cells: list[nbformat.NotebookNode]) -> tuple[str, list[str]]:
    """Take the rows of the report tables out of the HTML outputs of ``cells`` (changed in place).

    The page is parsed to number tables and index headings; the rows of the tables, most of
    a report's tags, are parsed and written again for nothing. They come back into the page
    text afterwards (:func:`kamtools.tables.restore_table_bodies`), the same to the byte.
    Returns the comment marker (random, so no page text can pose as one) and the bodies.
    """
    marker = f"kam-table-body-{secrets.token_hex(8)}-"
    bodies: list[str] = []
    for cell in cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html")
            if markup is not None:
                markup = "".join(markup) if isinstance(markup, list) else markup
                output.data["text/html"], more = set_aside_table_bodies(
                    markup, marker=marker, first=len(bodies)
                )
                bodies.extend(more)
    return marker, bodies


def _normalise_svg(svg: str | list[str], *, prefix: str) -> str:
    """Rename every id in an SVG (and its ``#id`` references) to ``prefix`` + a counter.

    matplotlib derives clip-path and marker ids from a hash; renaming them in order of
    appearance makes the SVG identical between runs. Its ``<dc:date>`` metadata is dropped.
    """
    text = "".join(svg) if isinstance(svg, list) else svg
    text = re.sub(r"<dc:date>.*?</dc:date>", "", text, flags=re.DOTALL)
    ids = list(dict.fromkeys(_SVG_ID.findall(text)))
    if not ids:
        return text
    mapping = {old: f"{prefix}{number}" for number, old in enumerate(ids, start=1)}
    pattern = re.compile(r'(\bid="|#)(' + "|".join(re.escape(old) for old in ids) + r')(?=["\)\s])')
    return pattern.sub(lambda m: m.group(1) + mapping[m.group(2)], text)


def _finish_report(soup: BeautifulSoup) -> str:
    """Add the table of contents and number the figures and tables of a rendered report."""
    main = soup.find("main", class_="kam-content")
    if not isinstance(main, Tag):  # pragma: no cover - the template always writes it
        raise RuntimeError("kamtools template did not produce <main class='kam-content'>")
    headings = _unique_heading_ids(soup, main)
    for heading in [h for h in headings if h.name == "h2"][OPENING_SECTIONS:]:
        heading["class"] = [*heading.get("class", []), "kam-break"]
    if headings:
        _insert_contents(main, _table_of_contents(soup, headings), headings)
    for number, figure in enumerate(main.find_all("figure", class_="kam-figure"), start=1):
        caption = figure.find("figcaption")
        if isinstance(caption, Tag):
            text = caption.get_text(strip=True)
            caption.string = f"Figure {number}: {text}" if text else f"Figure {number}"
        image = figure.find("img")
        if isinstance(image, Tag):
            image["alt"] = f"Figure {number}"
    _number_tables(soup, main)
    return str(soup)


def _insert_contents(main: Tag, contents: Tag, headings: list[Tag]) -> None:
    """Put the table of contents after the opening section (the stage's summary, whatever its title).

    The reader gets the answer first, on the first screen, then the map of the rest.
    """
    sections = [h for h in headings if h.name == "h2"]
    block = sections[1] if len(sections) > 1 else None
    while block is not None and block.parent is not None and block.parent is not main:
        block = block.parent
    if block is not None and block.parent is main:
        block.insert_before(contents)
    else:
        main.insert_before(contents)


def _unique_heading_ids(soup: BeautifulSoup, main: Tag) -> list[Tag]:
    """Give every h2/h3 in the content a unique id (keeping nbconvert's ids where possible)."""
    taken = {str(tag["id"]) for tag in soup.find_all(id=True) if tag.name not in ("h2", "h3")}
    headings = main.find_all(["h2", "h3"])
    for number, heading in enumerate(headings, start=1):
        old = str(heading.get("id") or "")
        new = old or f"section-{number}"
        suffix = 2
        while new in taken:
            new = f"{old or f'section-{number}'}-{suffix}"
            suffix += 1
        taken.add(new)
        heading["id"] = new
        for link in heading.find_all("a", class_="anchor-link"):
            link["href"] = f"#{new}"
    return headings


def _heading_text(heading: Tag) -> str:
    parts = [
        str(node)
        for node in heading.find_all(string=True)
        if not any(
            isinstance(parent, Tag) and "anchor-link" in (parent.get("class") or [])
            for parent in node.parents
        )
    ]
    return " ".join("".join(parts).split())


def _table_of_contents(soup: BeautifulSoup, headings: list[Tag]) -> Tag:
    nav = soup.new_tag("nav", attrs={"class": "kam-toc", "aria-label": "Contents"})
    title = soup.new_tag("p", attrs={"class": "kam-toc-title"})
    title.string = "Contents"
    nav.append(title)
    top = soup.new_tag("ol")
    nav.append(top)
    current_sub: Tag | None = None
    last_item: Tag | None = None
    for heading in headings:
        item = soup.new_tag("li")
        link = soup.new_tag("a", href=f"#{heading['id']}")
        link.string = _heading_text(heading)
        item.append(link)
        if heading.name == "h3" and last_item is not None:
            if current_sub is None:
                current_sub = soup.new_tag("ol")
                last_item.append(current_sub)
            current_sub.append(item)
        else:
            top.append(item)
            last_item = item
            current_sub = None
    return nav


def _number_tables(soup: BeautifulSoup, main: Tag) -> None:
    """Prefix each top-level table's caption with "Table N" (adding a caption if it has none)."""
    number = 0
    for table in main.find_all("table"):
        if table.find_parent("table") is not None:
            continue
        number += 1
        label = soup.new_tag("span", attrs={"class": "kam-table-label"})
        label.string = f"Table {number}"
        caption = table.find("caption", recursive=False)
        if isinstance(caption, Tag) and caption.get_text(strip=True):
            caption.insert(0, label)
            label.insert_after(": ")
        else:
            if isinstance(caption, Tag):
                caption.decompose()
            caption = soup.new_tag("caption")
            caption.append(label)
            table.insert(0, caption)


# --------------------------------------------------------------------------------------------
# Pack index and error page


def render_index_html(
    *,
    client_name: str,
    period: str,
    report_date: datetime.date,
    kamtools_version: str,
    stages: Sequence[StageSummary],
) -> str:
    """Render the report pack's cover page: one entry per stage with status, summary and link.

    Parameters
    ----------
    client_name, period : str
        Shown on the cover; escaped here.
    report_date : datetime.date
        Date of the pack.
    kamtools_version : str
        Version that produced the pack (footer).
    stages : sequence of StageSummary
        In method order. Stages that ran (done or failed) link to their file, relatively, so
        the pack folder can be moved or zipped as a whole.

    Returns
    -------
    str
        The complete HTML page, with the same CSP and stylesheet as the stage reports.
    """
    page = _page_fields(
        client_name=client_name,
        period=period,
        title="Key account management report",
        report_date=report_date,
        version=kamtools_version,
    )
    entries = [
        {
            "key": html.escape(stage.key),
            "title": html.escape(stage.title),
            "summary": html.escape(stage.summary),
            "status": html.escape(stage.status.replace(" ", "-")),
            "status_label": html.escape(STATUS_LABELS[stage.status]),
            "href": html.escape(stage.html_file) if stage.status != "not run" else "",
            "link_text": (
                "See what happened"
                if stage.status == "failed"
                else f"Open the {html.escape(stage.title)} report"
            ),
        }
        for stage in stages
    ]
    template = _page_environment().get_template("pack_index.html.j2")
    return _checked(template.render(page=page, stages=entries))


def render_error_html(
    *,
    client_name: str,
    period: str,
    stage_title: str,
    failed_step: str,
    report_date: datetime.date,
) -> str:
    """Render the page a client receives instead of a stage report that could not be completed.

    It names the stage and the step that failed in plain words (see
    :func:`failed_step_description`), shows no technical detail and says that the analyst has
    the details.

    Parameters
    ----------
    client_name, period, stage_title, failed_step : str
        Plain text; escaped here.
    report_date : datetime.date
        Date printed on the cover.

    Returns
    -------
    str
        The complete HTML page.
    """
    page = _page_fields(
        client_name=client_name,
        period=period,
        title=stage_title,
        report_date=report_date,
    )
    template = _page_environment().get_template("error_page.html.j2")
    return _checked(template.render(page=page, failed_step=html.escape(failed_step)))


def failed_step_description(nb: nbformat.NotebookNode) -> str | None:
    """Name the step where an executed notebook failed, in the reader's words.

    The step is the nearest markdown heading above the first failed code cell (a cell with an
    error output, or one papermill marked with ``metadata.papermill.exception``). Papermill's
    own banner cells are ignored, and ``SystemExit`` with no code or 0 is not a failure (as in
    papermill).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    str or None
        The heading text, e.g. ``"Concentration of sales"``; :data:`OPENING_STEPS` if the
        failure comes before any heading; None if no cell failed.
    """
    heading: str | None = None
    for cell in nb.cells:
        if PAPERMILL_ERROR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "markdown":
            heading = _last_heading(cell.source) or heading
        elif cell.cell_type == "code" and _cell_failed(cell):
            return heading or OPENING_STEPS
    return None


def _cell_failed(cell: nbformat.NotebookNode) -> bool:
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
            continue
        return True
    return cell.get("metadata", {}).get("papermill", {}).get("exception") is True


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_HTML_HEADING = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]\s*>", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _last_heading(source: str | list[str]) -> str | None:
    """The text of the last heading in a markdown cell (ATX, setext or HTML), or None."""
    text = "".join(source) if isinstance(source, list) else source
    found: str | None = None
    in_fence = False
    previous = ""
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        atx = _ATX_HEADING.match(line)
        if atx and atx.group(1):
            found = _plain_heading(atx.group(1))
        elif (
            _SETEXT_UNDERLINE.match(line)
            and previous.strip()
            and not previous.lstrip().startswith(("#", "-", "*", "+", ">"))
        ):
            found = _plain_heading(previous)
        else:
            for match in _HTML_HEADING.finditer(line):
                found = _plain_heading(match.group(1))
        previous = line
    return found or None


def _plain_heading(markdown: str) -> str:
    """Markdown heading text without links, emphasis, code marks or tags."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*{1,3}|_{1,3})(\S(?:.*?\S)?)\1", r"\2", text)
    text = text.replace("`", "")
    return " ".join(html.unescape(text).split())


# --------------------------------------------------------------------------------------------
# Page parts and safety


def _long_date(day: datetime.date) -> str:
    """``23 November 2025``, independent of the machine's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@functools.cache
def _report_css() -> str:
    return (TEMPLATE_BASEDIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


@functools.cache
def _code_css() -> str:
    """Pygments colours for the analyst copy (plain colours, no JupyterLab theme variables)."""
    return HtmlFormatter(style="default").get_style_defs(".highlight")


@functools.cache
def _page_environment() -> Environment:
    # autoescape stays off as in nbconvert, whose templates share the page macros: every value
    # reaching a template is escaped with html.escape in this module first.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_BASEDIR / TEMPLATE_NAME)),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _page_fields(
    *,
    client_name: str,
    period: str,
    title: str,
    report_date: datetime.date,
    version: str = __version__,
    analyst: bool = False,
) -> dict[str, Any]:
    """Everything the page macros show, client-supplied text escaped (``version``: of kamtools)."""
    return {
        "client": html.escape(client_name),
        "period": html.escape(period),
        "title": html.escape(title),
        "date": html.escape(_long_date(report_date)),
        "version": html.escape(version),
        "analyst": analyst,
        "csp": html.escape(CONTENT_SECURITY_POLICY),
        "css": _report_css(),
        "code_css": _code_css() if analyst else "",
    }


def _checked(page: str) -> str:
    """Return ``page`` if it holds no script and loads nothing from outside itself."""
    if re.search(r"<\s*script\b", page, flags=re.IGNORECASE):
        raise ReportSafetyError(
            "The report contains a <script> element (from a raw or markdown cell?); "
            "client reports must not run any script."
        )
    outside = external_references(page, allow_hyperlinks=True)
    if outside:
        shown = ", ".join(repr(ref[:80]) for ref in outside[:5])
        raise ReportSafetyError(
            f"The report refers to {len(outside)} resource(s) outside the file: {shown}. "
            "Embed images as attachments or PNG outputs, and remove links to local files."
        )
    return page
