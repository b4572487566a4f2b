"""Does an HTML page stand alone? Every reference in it that points outside the file.

A client report is mailed around and opened offline, years later, by outsiders: it must load
nothing from anywhere (no tracking pixel, no remote font, no path of the analyst's machine).
:func:`external_references` finds what would break that rule; :mod:`kamtools.report` refuses to
write a page that has any.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_URL_ATTRIBUTES = frozenset(
    {"src", "href", "xlink:href", "poster", "data", "action", "formaction", "background", "manifest", "ping"}
)
_SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
_NAVIGATION = frozenset({("a", "href"), ("area", "href")})
_CSS_REFERENCE = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_WINDOWS_DRIVE = re.compile(r"^[a-z]:[\\/]", re.IGNORECASE)
_MAY_REFER = re.compile(
    r"(?:src|href|poster|data|action|background|manifest|ping|srcset|style|http-equiv)\s*=|<style"
)
"""What lowercased HTML must contain to hold a reference at all: every reference the parser finds
is the value of one of these attributes (``xlink:href``, ``formaction``, ``imagesrcset`` end in
one; ``http-equiv`` marks a refresh) or CSS inside a ``<style>`` element, and the parser knows
attributes and tags by their lowercased names. Most outputs of a report (tables, sentences) have
none of these and are not parsed: the check of a plan's 370 outputs took ~0.4 s of its page."""


def external_references(page: str, *, allow_hyperlinks: bool = False) -> list[str]:
    """List every reference in an HTML page that points outside the file itself.

    Checked: URL attributes (``src``, ``href``, ``srcset``, ``poster``, ``data``, ``action``,
    ``xlink:href``, ...), ``url(...)`` in ``style`` attributes and ``<style>`` elements, CSS
    ``@import`` and ``<meta http-equiv="refresh">``. A reference points outside when it has a
    scheme other than ``data:`` (``http:``, ``https:``, ``file:``, ``mailto:``, ...), is
    protocol-relative (``//host``), an absolute or drive path, or climbs out with ``..``.

    Not reported: ``data:`` URIs, in-page ``#anchors``, and relative links to files of the
    same report pack (``<a href="screening.html">``). A relative *resource* (``<img
    src="chart.png">``, a stylesheet) is reported, since the page would not stand alone.

    Parameters
    ----------
    page : str
        HTML text (a whole page or a fragment).
    allow_hyperlinks : bool
        Accept ``http:``, ``https:`` and ``mailto:`` links that the reader has to click
        (``<a href>``, ``<area href>``): they load nothing by themselves. Images, stylesheets,
        scripts and frames are still reported, as are ``file:`` links and absolute paths.

    Returns
    -------
    list of str
        The offending references in document order (empty when the page stands alone).
    """
    if not _MAY_REFER.search(page.lower()):
        return []
    collector = _ReferenceCollector()
    collector.feed(page)
    collector.close()
    return [
        value
        for tag, attribute, value in collector.references
        if _points_outside(
            value, navigation=(tag, attribute) in _NAVIGATION, allow_hyperlinks=allow_hyperlinks
        )
    ]


def _points_outside(value: str, *, navigation: bool, allow_hyperlinks: bool) -> bool:
    # Browsers drop tabs and newlines anywhere in a URL, and control characters and spaces around it.
    ref = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", value))
    if not ref or ref.startswith("#"):
        return False
    scheme = _SCHEME.match(ref)
    if _WINDOWS_DRIVE.match(ref):
        return True
    if scheme:
        name = scheme.group(1).lower()
        if name == "data":
            return False
        return not (navigation and allow_hyperlinks and name in ("http", "https", "mailto"))
    if ref.startswith(("/", "\\")):
        return True
    if not navigation:
        return True
    path = re.split(r"[?#]", ref, maxsplit=1)[0]
    return ".." in re.split(r"[\\/]", path)


class _ReferenceCollector(HTMLParser):
    """Collect (tag, attribute, value) for every URL-bearing attribute and CSS url()."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[str, str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRIBUTES:
                self.references.append((tag, name, value))
            elif name in _SRCSET_ATTRIBUTES:
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if url:
                        self.references.append((tag, name, url))
            elif name == "style":
                self._add_css(tag, value)
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match:
                self.references.append((tag, "content", match.group(1).strip()))
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._add_css("style", data)

    def _add_css(self, tag: str, css: str) -> None:
        for match in _CSS_REFERENCE.finditer(css):
            url = next((group for group in match.groups() if group is not None), "")
            self.references.append((tag, "css", url))
