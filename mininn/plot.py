"""Plotting helpers shared by the book's notebooks.

`use_book_style()` is called once at the top of every notebook. It gives figures an opaque
white background (so they stay readable in the website's dark mode), a consistent size and
resolution, and a light grid.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["use_book_style", "BOOK_STYLE"]

BOOK_STYLE: dict[str, object] = {
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "axes.facecolor": "white",
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def use_book_style() -> None:
    """Apply the book's Matplotlib settings (opaque white figures, size, grid).

    Call it after importing ``matplotlib.pyplot``: Jupyter's inline backend sets a
    transparent figure background when pyplot is first imported, and this undoes that.
    """
    mpl.rcParams.update(BOOK_STYLE)
    try:  # The inline backend keeps its own copy of figure settings; align it too.
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            from matplotlib_inline.backend_inline import InlineBackend

            cfg = InlineBackend.instance()
            cfg.rc = {
                **cfg.rc,
                **{k: BOOK_STYLE[k] for k in ("figure.facecolor", "figure.edgecolor")},
            }
            cfg.print_figure_kwargs = {
                **cfg.print_figure_kwargs,
                "facecolor": "white",
                "edgecolor": "white",
            }
    except Exception:  # noqa: BLE001 - outside IPython there is nothing more to do
        pass
