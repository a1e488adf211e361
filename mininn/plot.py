"""Plotting helpers shared by the book's notebooks.

`use_book_style()` is called once at the top of every notebook. It gives figures an opaque
white background (so they stay readable in the website's dark mode), a consistent size and
resolution, and a light grid.

The other helpers draw the pictures the book keeps coming back to; each returns the Matplotlib
Figure (and accepts an existing ``ax`` where that makes sense, to combine panels):

- `image_grid`: a grid of grayscale images with their labels.
- `plot_history`: training and validation curves from `mininn.train.fit`.
- `plot_confusion_matrix`: an annotated confusion matrix with a colour bar.
- `plot_roc`: a ROC curve with the chance diagonal.

>>> import numpy as np
>>> from mininn import plot
>>> fig = plot.image_grid(np.random.rand(16, 28, 28), labels=np.arange(16) % 10)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np

__all__ = [
    "use_book_style",
    "BOOK_STYLE",
    "image_grid",
    "plot_history",
    "plot_confusion_matrix",
    "plot_roc",
]

#: The Matplotlib settings `use_book_style` applies (``matplotlib.rcParams`` names ->
#: values): an opaque white background, so figures stay readable in dark mode, plus the
#: book's figure size, resolution and light grid, with no top or right spine.
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

    >>> import matplotlib.pyplot as plt
    >>> from mininn.plot import use_book_style
    >>> with plt.rc_context():  # restores the previous settings afterwards
    ...     use_book_style()
    ...     fig, ax = plt.subplots()
    >>> fig.get_size_inches().tolist(), fig.dpi, ax.xaxis.get_gridlines()[0].get_visible()
    ([6.4, 4.0], 90.0, True)
    >>> plt.close(fig)
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


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def _numpy(x: Any) -> np.ndarray:
    from mininn.tensor import Tensor

    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _new_axes(ax: Any, figsize: tuple[float, float] | None = None) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _label_text(label: Any, class_names: Sequence[str] | None) -> str:
    if class_names is not None:
        value = np.asarray(label)
        if value.dtype.kind in "iub" or (value.dtype.kind == "f" and float(value).is_integer()):
            return str(class_names[int(value)])
    if isinstance(label, np.generic):
        label = label.item()
    return str(label)


def image_grid(
    images: Any,
    labels: Any = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Show images in a grid, each with its label as a small title.

    Parameters
    ----------
    images : (N, H, W) or (N, 1, H, W) array or Tensor (grayscale); (N, H, W, 3) and
        (N, 3, H, W) are shown in colour. All images share one intensity scale (0..255 for
        uint8, otherwise the overall min..max), so brightness is comparable across tiles.
    labels : (N,) labels, optional
        Integers are looked up in `class_names` when it is given; anything else is shown as
        text (e.g. ``"7 (pred 1)"``).
    class_names : list of str, optional
    ncols : int
        Images per row (fewer if there are fewer images).
    ax : Axes, optional
        Draw the grid inside this Axes (its frame is hidden); by default a new figure sized
        to the grid.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    >>> from mininn.datasets import FashionMNIST  # doctest: +SKIP
    >>> ds = FashionMNIST(train=False)  # doctest: +SKIP
    >>> fig = image_grid(ds.data[:16], ds.targets[:16], ds.classes)  # doctest: +SKIP
    """
    imgs = _numpy(images)
    if imgs.ndim == 4 and imgs.shape[1] in (1, 3) and imgs.shape[-1] not in (1, 3):
        imgs = imgs.transpose(0, 2, 3, 1)  # channels last for imshow
    if imgs.ndim == 4 and imgs.shape[-1] == 1:
        imgs = imgs[..., 0]
    if imgs.ndim == 2:
        imgs = imgs[None]
    if not (imgs.ndim == 3 or (imgs.ndim == 4 and imgs.shape[-1] == 3)):
        raise ValueError(
            f"images must have shape (N, H, W), (N, 1, H, W) or (N, H, W, 3), got {imgs.shape}"
        )
    n = len(imgs)
    if n == 0:
        raise ValueError("image_grid got no images")
    if labels is not None:
        labels = _numpy(labels) if not isinstance(labels, (list, tuple)) else list(labels)
        if len(labels) != n:
            raise ValueError(f"got {n} images but {len(labels)} labels")
    if int(ncols) < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols}")
    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)
    texts = [_label_text(lab, class_names) for lab in labels] if labels is not None else None
    # Room above each image for its label, in inches: 8-point text, as many lines as it has.
    n_lines = max(t.count("\n") + 1 for t in texts) if texts else 0
    label_in = (n_lines * 10 + 4) / 72 if texts else 0.04
    cell = 1.2  # inches per image when we make the figure
    if ax is None:
        import matplotlib.pyplot as plt

        top = 0.4 if title else 0.05  # inches above the grid, for the title
        height = nrows * (cell + label_in) + top
        fig = plt.figure(figsize=(ncols * cell, height))
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.99 - top / height))
    else:
        fig = ax.figure
    row_in = ax.get_position().height * fig.get_figheight() / nrows
    label_room = min(0.5, label_in / row_in)  # the same room as a fraction of a row
    ax.set_axis_off()
    if title:
        ax.set_title(title)

    if imgs.dtype == np.uint8:
        vmin, vmax = 0, 255
    else:
        imgs = imgs.astype(np.float32, copy=False)
        vmin, vmax = float(imgs.min()), float(imgs.max())
        if vmin == vmax:
            vmax = vmin + 1.0
    if imgs.ndim == 4 and imgs.dtype != np.uint8:
        imgs = (imgs - vmin) / (vmax - vmin)  # colour images must be in [0, 1] for imshow

    w, h = 1.0 / ncols, 1.0 / nrows
    gap = 0.04
    for i in range(n):
        r, c = divmod(i, ncols)
        left = c * w + gap * w / 2
        bottom = 1.0 - (r + 1) * h + gap * h / 2
        sub = ax.inset_axes([left, bottom, w * (1 - gap), h * (1 - label_room - gap / 2)])
        sub.imshow(imgs[i], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        sub.set_axis_off()
        if texts is not None:
            sub.set_title(texts[i], fontsize=8, pad=2)
    return fig


def _history_dict(history: Any) -> dict[str, list[float]]:
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict):
        raise TypeError(
            f"plot_history needs a History or a dict of lists, got {type(history).__name__}"
        )
    return hist


def plot_history(history: Any, metrics: Sequence[str] = ("loss", "accuracy")) -> Any:
    """Training and validation curves, one panel per metric.

    Parameters
    ----------
    history : `mininn.train.History` (from `fit`) or a dict of per-epoch lists
    metrics : names to plot, e.g. ``("loss", "accuracy")`` or ``("loss", "lr")``
        Each panel shows ``history[name]`` ("train") and ``history["val_" + name]``
        ("validation") when present. Names recorded under neither key are skipped.

    Returns
    -------
    matplotlib.figure.Figure

    >>> fig = plot_history({"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}, ["loss"])
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    hist = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    shown = [m for m in metrics if m in hist or f"val_{m}" in hist]
    if not shown:
        raise ValueError(f"none of {list(metrics)} was recorded; the history has {sorted(hist)}")
    fig, axes = plt.subplots(1, len(shown), figsize=(4.8 * len(shown), 3.6), squeeze=False)
    for ax, name in zip(axes[0], shown, strict=True):
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            values = hist.get(key)
            if values is not None and len(values):
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, marker="o" if len(values) <= 30 else None, ms=3,
                        label=label)  # fmt: skip
        pretty = name.replace("_", " ")
        ax.set_title(pretty[0].upper() + pretty[1:])
        ax.set_xlabel("epoch")
        ax.set_ylabel(pretty)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    cm: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool | str = False,
    ax: Any = None,
    title: str = "Confusion matrix",
) -> Any:
    """An annotated confusion matrix (rows: true class, columns: predicted class).

    Parameters
    ----------
    cm : (K, K) counts, e.g. from `mininn.metrics.confusion_matrix`
    class_names : K names for the tick labels, optional (default 0 .. K-1)
    normalize : False, True / "true", "pred" or "all"
        True or "true" divides each row by its sum, so the diagonal is each class's recall;
        "pred" divides each column (precision); "all" divides by the total. Empty rows or
        columns give 0.
    ax : Axes, optional
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    >>> fig = plot_confusion_matrix([[50, 2], [5, 43]], ["cat", "dog"], normalize=True)
    """
    counts = _numpy(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {counts.shape}")
    k = counts.shape[0]
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"got {len(class_names)} class names for a {k}x{k} matrix")
    if normalize not in (False, True, "true", "pred", "all"):
        raise ValueError(
            f"normalize must be False, True, 'true', 'pred' or 'all', got {normalize!r}"
        )
    values = counts.astype(np.float64)
    if normalize:
        if normalize in (True, "true"):
            den = values.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            den = values.sum(axis=0, keepdims=True)
        else:
            den = np.full((1, 1), values.sum())
        values = np.divide(values, den, out=np.zeros_like(values), where=den != 0)

    size = max(4.0, 0.55 * k + 2.0)
    fig, ax = _new_axes(ax, figsize=(size + 1.0, size))
    im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(np.arange(k), labels=names, rotation=45 if class_names is not None else 0,
                  ha="right" if class_names is not None else "center")  # fmt: skip
    ax.set_yticks(np.arange(k), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    ax.grid(False)
    if k <= 30:
        threshold = (1.0 if normalize else values.max()) / 2  # where the colour turns dark
        fontsize = 9 if k <= 10 else 7
        for i in range(k):
            for j in range(k):
                v = values[i, j]
                text = f"{v:.2f}" if normalize else f"{int(round(v))}"
                ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                        color="white" if v > threshold else "black")  # fmt: skip
    return fig


def plot_roc(
    fpr: Any, tpr: Any, auc_value: float | None = None, ax: Any = None, label: str | None = None
) -> Any:
    """A ROC curve (true- vs false-positive rate) with the chance diagonal.

    Call it again with the same `ax` to compare several models on one plot.

    Parameters
    ----------
    fpr, tpr : (T,) arrays from `mininn.metrics.roc_curve`
    auc_value : float, optional
        Shown in the legend, e.g. from `mininn.metrics.auc(fpr, tpr)`.
    ax : Axes, optional
    label : str, optional
        Legend entry for this curve (default "ROC").

    Returns
    -------
    matplotlib.figure.Figure

    >>> fig = plot_roc([0, 0, 0.5, 1], [0, 0.5, 1, 1], auc_value=0.875)
    """
    x, y = _numpy(fpr).astype(np.float64), _numpy(tpr).astype(np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(f"fpr and tpr must be 1-D of the same length, got {x.shape}, {y.shape}")
    fig, ax = _new_axes(ax, figsize=(4.8, 4.4))
    text = label or "ROC"
    if auc_value is not None:
        text += f" (AUC = {auc_value:.3f})"
    if not any(line.get_gid() == "chance" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], ls="--", color="gray", lw=1, label="chance", gid="chance")
    ax.plot(x, y, lw=2, label=text, drawstyle="default")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right")
    return fig
