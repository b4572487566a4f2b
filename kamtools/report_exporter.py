"""The HTML exporter of stage reports: nbconvert's, with its page parsed once instead of twice.

nbconvert's :class:`~nbconvert.HTMLExporter` renders its template, parses the page with
BeautifulSoup (to give images without one an alternative text and make cells focusable) and
serialises it again; the report then parsed that text a second time to add its contents list
and numbers (:mod:`kamtools.report`). On a stage report of a thousand tags per table that
second parse and serialisation cost as much as everything else in the rendering, so
:meth:`ReportExporter.soup_from_notebook_node` does nbconvert's steps and hands over the soup
itself. The page is the same (a test compares it with nbconvert's own exporter).
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, Tag
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

MISSING_ALT_TEXT = "No description has been provided for this image"
"""nbconvert's alternative text for an image that has none."""


class ReportExporter(HTMLExporter):
    """:class:`~nbconvert.HTMLExporter` that can return its page as a soup (parsed once)."""

    def soup_from_notebook_node(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[BeautifulSoup, dict[str, Any]]:
        """The page of ``nb`` as :meth:`HTMLExporter.from_notebook_node` makes it, unserialised.

        The same steps as nbconvert 7's ``HTMLExporter.from_notebook_node``: the code
        highlighter and widget filter for this notebook, the template, then on the parsed page
        an alternative text for every image without one and ``tabindex`` on the cells' input
        and output areas. Returns the soup and the resources.
        """
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        soup = BeautifulSoup(page, features="html.parser")
        missing_alt = 0
        for image in soup.find_all("img", alt=False):
            image.attrs["alt"] = MISSING_ALT_TEXT
            missing_alt += 1
        if missing_alt:
            self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
        for wrapper in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
            for element in soup.find_all("div", class_=wrapper):
                if _inside_notebook(element):
                    element.attrs["tabindex"] = "0"
        return soup, resources


def _inside_notebook(element: Tag) -> bool:
    """Whether ``element`` lies inside an element of class ``jp-Notebook`` (CSS ``.jp-Notebook x``)."""
    return element.find_parent(class_="jp-Notebook") is not None
