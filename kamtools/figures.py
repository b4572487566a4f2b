"""Shared chart helpers for every stage: report figure set-up, captions, colours, money axes.

Charts are seaborn-style: data first, options keyword-only, ``ax`` in and out (see each stage's
``plots`` module). Colours of tiers are data (:data:`TIER_COLOURS`), the same in every chart and
report table; numbers on axes are written by :mod:`kamtools.formatting`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from kamtools.formatting import MINUS, number_text

__all__ = [
    "OTHER_COLOUR",
    "REFERENCE_STYLE",
    "TIER_COLOURS",
    "axes_or_current",
    "axis_money",
    "column_label",
    "configure_report_figures",
    "currency_formatter",
    "money_formatter",
    "money_value_axis",
    "no_data",
    "show_figure",
    "spread_positions",
    "tier_colour",
]

TIER_COLOURS: dict[str, str] = {
    "key": "#1f4e79",
    "growth": "#2e8b57",
    "at_risk": "#a04000",
    "maintain": "#8c9aa6",
    "review": "#c0392b",
    "inactive": "#d5d8dc",
    "new": "#e69f00",
    "lost": "#5d6d7e",
}
"""One colour per tier (and for "new"/"lost" in transitions), used by every chart."""

REFERENCE_STYLE: dict[str, object] = {"color": "#7f7f7f", "linestyle": "--", "linewidth": 1}
OTHER_COLOUR = "#999999"


def axis_money(value: float, _position: object = None) -> str:
    """A money amount on an axis or in a chart label: "1,234,567" (the axis label names the currency)."""
    return number_text(value, minus=MINUS)


money_formatter = FuncFormatter(axis_money)
"""Tick formatter for money axes: thousands separators, no decimals."""


def currency_formatter(currency: str, *, minus: str = "-") -> FuncFormatter:
    """Tick formatter for money axes with the currency and k/m: "€250k", "€1.5m", "£40".

    ``minus`` writes negative amounts (``MINUS`` for "−€1.2m").
    """
    from kamtools.formatting import money_text

    return FuncFormatter(
        lambda value, _position=None: money_text(value, currency, compact=True).replace("-", minus)
    )


def spread_positions(wanted: list[float], *, gap: float, low: float = 0.0, high: float = 1.0) -> list[float]:
    """Label positions as close to ``wanted`` as possible but at least ``gap`` apart (repel).

    ``wanted`` are the positions, in any order, along one axis (axes fraction, say); the result
    keeps their order, pushes crowded labels apart evenly and keeps them within ``low`` and
    ``high`` when there is room. Used to place chart labels so they never overlap.
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [wanted[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    if placed and placed[0] < low:
        shift = low - placed[0]
        placed = [p + shift for p in placed]
    out = [0.0] * len(wanted)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def axes_or_current(ax: Axes | None) -> Axes:
    """The Axes given, or the current one (seaborn-style ``ax=None``)."""
    return ax if ax is not None else plt.gca()


def column_label(column: str) -> str:
    """Readable name of a column: "gross_profit" → "gross profit", "margin_pct" → "margin"."""
    return column.removesuffix("_pct").replace("_", " ")


def tier_colour(tier: str) -> str:
    """The colour of a tier in every chart (grey for anything unknown)."""
    return TIER_COLOURS.get(tier, OTHER_COLOUR)


def money_value_axis(ax: Axes, label: str, *, formatter: FuncFormatter = money_formatter) -> Axes:
    """A column chart's value axis in money: ticks by ``formatter``, ``label`` (naming the
    currency), and no vertical grid lines between the columns."""
    ax.yaxis.set_major_formatter(formatter)
    ax.set_ylabel(label)
    ax.grid(axis="x", visible=False)
    return ax


def no_data(ax: Axes, message: str) -> Axes:
    """Write ``message`` in the middle of an empty chart instead of drawing axes without data."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=OTHER_COLOUR)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


# --------------------------------------------------------------------------------------------
# Figures


def configure_report_figures(*, screen_dpi: int = 110, print_dpi: int = 150) -> None:
    """Set matplotlib and seaborn up for report figures; call once at the top of a notebook.

    Figures are embedded as PNG at ``print_dpi`` so the printed A4 report stays sharp while the
    page scales them to the column width on screen. The seaborn theme is clean (white grid, no
    top/right spines) and ``svg.hashsalt`` is fixed so any SVG output is reproducible. Text is
    never parsed as maths: a customer named ``$\\frac$ Trading`` is drawn as written.

    Parameters
    ----------
    screen_dpi : int
        ``figure.dpi``: size of figures drawn interactively.
    print_dpi : int
        ``savefig.dpi`` and the inline backend's PNG resolution.

    Notes
    -----
    This changes global matplotlib state on purpose (it is the notebook's set-up step). Inside
    IPython it also makes the inline backend emit PNG only, at ``print_dpi``.
    """
    import matplotlib as mpl
    import matplotlib.pyplot  # activates the backend before rcParams are set
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="deep")
    mpl.rcParams.update(
        {
            "figure.dpi": screen_dpi,
            "savefig.dpi": print_dpi,
            "savefig.bbox": "tight",
            "figure.figsize": (7.0, 4.0),
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "svg.hashsalt": "kamtools",
            "svg.fonttype": "none",
            # Customer names are client text: "$...$" in one is a name, never maths to typeset.
            "text.parse_math": False,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", dpi=print_dpi, metadata={"Software": None})


def show_figure(fig: Figure, *, caption: str) -> None:
    """Show a matplotlib figure in the notebook as a PNG with a caption for the report.

    The report numbers it ("Figure 3: caption"). The figure is closed afterwards so that the
    inline backend does not show it a second time.
    """
    import io as _bytes_io  # a name apart from kamtools.io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = _bytes_io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="png"), metadata={"image/png": {"caption": caption}})
