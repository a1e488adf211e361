"""A small training loop: `fit`, `evaluate`, `predict`, callbacks and the `History` they record.

The loop is the one you write by hand in the book's early chapters, plus bookkeeping::

    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        # evaluate on val_loader with model.eval() and mininn.no_grad()
        scheduler.step()

Example
-------
>>> import numpy as np
>>> import mininn
>>> from mininn import nn, optim
>>> from mininn.data import DataLoader, TensorDataset
>>> from mininn.train import fit, evaluate
>>> _ = mininn.manual_seed(0)
>>> X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
>>> y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
>>> opt = optim.Adam(model.parameters(), lr=0.05)
>>> history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=5, progress=False)
>>> sorted(history.history)
['accuracy', 'loss', 'lr', 'seconds']
>>> evaluate(model, loader, nn.CrossEntropyLoss())["accuracy"] > 0.9
True
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from mininn.nn.module import Module
from mininn.tensor import Tensor, no_grad

__all__ = ["History", "Callback", "EarlyStopping", "fit", "evaluate", "predict"]

MetricFn = Callable[[np.ndarray, np.ndarray], float]


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------


class History:
    """Per-epoch values recorded by `fit`.

    ``history["loss"]`` is a shortcut for ``history.history["loss"]``; ``len(history)`` is
    the number of epochs.

    Attributes
    ----------
    history : dict[str, list[float]]
        One list per quantity, one entry per completed epoch: ``"loss"`` and each training
        metric (e.g. ``"accuracy"``), ``"val_loss"`` / ``"val_<metric>"`` when there is a
        validation loader, ``"lr"`` (learning rate used during the epoch) and ``"seconds"``
        (wall-clock time of the epoch, validation included).
    epoch : list[int]
        Epoch numbers, starting at 0.

    >>> from mininn.train import History
    >>> history = History()
    >>> history.append(0, {"loss": 0.9, "accuracy": 0.6})
    >>> history.append(1, {"loss": 0.5, "accuracy": 0.8})
    >>> len(history), history["loss"], history.epoch
    (2, [0.9, 0.5], [0, 1])
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's values."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self)}{', last: ' + last if last else ''})"

    def plot(self, metrics: Sequence[str] = ("loss", "accuracy")) -> Any:
        """Training (and validation) curves, one panel per metric; returns the Figure.

        See `mininn.plot.plot_history`.
        """
        from mininn.plot import plot_history

        return plot_history(self, metrics)


# ---------------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------------


class Callback:
    """Base class for code that runs at fixed points of `fit`.

    `fit` sets ``callback.model`` and ``callback.history`` before training starts, then calls
    ``on_train_begin()``, ``on_epoch_end(epoch, logs)`` after every epoch (epoch counts from
    0; ``logs`` is that epoch's dict of values, the same keys as ``History.history``) and
    ``on_train_end()`` at the end, even when training stops early. If ``on_epoch_end``
    returns True, training stops after that epoch.

    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
    """

    model: Module | None = None
    history: History | None = None

    def on_train_begin(self) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch (training and validation done); return True to stop."""
        return None

    def on_train_end(self) -> None:
        """Called once after the last epoch."""


_HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "f1", "precision", "recall")


class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"`` (the default, which needs a
        ``val_loader``) or ``"val_accuracy"``.
    patience : int
        Number of epochs without improvement after which training stops.
    mode : "min", "max" or "auto"
        Whether lower or higher is better; ``"auto"`` picks "max" for names ending in
        accuracy/acc/auc/f1/precision/recall and "min" otherwise (losses).
    restore_best_weights : bool
        At the end of training, whether it stopped early or ran all its epochs, load the
        parameters (and buffers) of the best epoch back into the model.
    min_delta : float
        Smallest change that counts as an improvement.

    After training, ``best`` is the best value, ``best_epoch`` its epoch (from 0) and
    ``stopped_epoch`` the epoch after which training stopped (None if it did not stop early).

    >>> stopper = EarlyStopping(monitor="val_loss", patience=3)
    >>> # history = fit(model, loss_fn, opt, train_loader, val_loader, epochs=100,
    >>> #               callbacks=[stopper])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 3,
        mode: str = "auto",
        restore_best_weights: bool = True,
        min_delta: float = 0.0,
    ):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if int(patience) != patience or patience < 0:
            raise ValueError(f"patience must be a non-negative integer, got {patience}")
        if mode == "auto":
            mode = "max" if monitor.lower().endswith(_HIGHER_IS_BETTER) else "min"
        self.monitor, self.patience, self.mode = monitor, int(patience), mode
        self.restore_best_weights, self.min_delta = restore_best_weights, abs(float(min_delta))
        self.on_train_begin()

    def on_train_begin(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, np.ndarray] | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        if self.monitor not in logs:
            hint = " (pass val_loader to fit)" if self.monitor.startswith("val_") else ""
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not among the epoch's "
                f"values {sorted(logs)}{hint}"
            )
        value = float(logs[self.monitor])
        if self._improved(value) or self.best_epoch is None:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights and self.model is not None:
                self.best_state = self.model.state_dict()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self) -> None:
        if self.restore_best_weights and self.best_state is not None and self.model is not None:
            self.model.load_state_dict(self.best_state)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})"
        )


class _FunctionCallback(Callback):
    """Wraps a plain function ``fn(epoch, logs) -> bool | None`` as a callback."""

    def __init__(self, fn: Callable[[int, dict[str, float]], Any]):
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs)


# ---------------------------------------------------------------------------------------------
# Metrics used inside the loop
# ---------------------------------------------------------------------------------------------


def _accuracy_batch(out: np.ndarray, y: np.ndarray) -> float:
    """Fraction correct in one batch: argmax of (B, C) scores, or sign of (B,)/(B, 1) logits."""
    if out.ndim == 2 and out.shape[1] > 1:
        if y.ndim != 1:
            raise ValueError(
                f"the 'accuracy' metric needs (B,) class labels as targets, got shape {y.shape}; "
                "pass metrics=None (e.g. for regression) or your own metric function"
            )
        pred = out.argmax(axis=1)
    else:
        pred = out.reshape(len(out)) > 0
        y = y.reshape(len(y))
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(
                "the 'accuracy' metric with one output per example needs 0/1 targets (binary "
                "logits); pass metrics=None for regression"
            )
    return float(np.count_nonzero(pred == y)) / len(y)


_METRICS: dict[str, MetricFn] = {"accuracy": _accuracy_batch, "acc": _accuracy_batch}


def _resolve_metrics(metrics: Any) -> list[tuple[str, MetricFn]]:
    """[(name, fn), ...] from None, a name, a function, a list of them, or a {name: fn} dict."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    items = metrics.items() if isinstance(metrics, dict) else ((None, m) for m in metrics)
    out: list[tuple[str, MetricFn]] = []
    for name, m in items:
        if isinstance(m, str):
            if m not in _METRICS:
                raise ValueError(
                    f"unknown metric {m!r}; known names are {sorted(_METRICS)}, or pass a "
                    "function fn(outputs, targets) -> float of NumPy arrays"
                )
            out.append((name or ("accuracy" if m == "acc" else m), _METRICS[m]))
        elif callable(m):
            out.append((name or getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"a metric is a name or a function, got {type(m).__name__}")
    names = [name for name, _ in out]
    clash = {n for n in names if names.count(n) > 1} | ({"loss", "lr", "seconds"} & set(names))
    if clash:
        raise ValueError(
            f"metric names must be distinct and not 'loss', 'lr' or 'seconds'; clash on "
            f"{sorted(clash)}: give functions distinct names or pass a dict {{name: fn}}"
        )
    return out


def _split_batch(batch: Any) -> tuple[tuple[Any, ...], Any]:
    """(inputs, target) from a batch ``(x, y)`` or ``(x1, ..., xk, y)``."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(
            "training and evaluation batches must be (inputs, targets) tuples, as a DataLoader "
            "over TensorDataset(X, y) yields"
        )
    return tuple(batch[:-1]), batch[-1]


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _batch_size(y: Any) -> int:
    return len(y)


def _save_modes(model: Module) -> list[tuple[Module, bool]]:
    return [(m, m.training) for m in model.modules()]


def _restore_modes(modes: list[tuple[Module, bool]]) -> None:
    for m, training in modes:
        object.__setattr__(m, "training", training)


# ---------------------------------------------------------------------------------------------
# Progress bar
# ---------------------------------------------------------------------------------------------


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - any failure means "not a notebook"
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _show_progress(progress: bool | str) -> bool:
    if progress == "auto":
        try:
            tty = sys.stdout.isatty()
        except (AttributeError, ValueError):
            tty = False
        return tty or _in_notebook()
    if isinstance(progress, bool):
        return progress
    raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")


def _format_logs(logs: dict[str, float]) -> dict[str, str]:
    return {k: f"{v:.4g}" for k, v in logs.items() if k not in ("lr", "seconds")}


# ---------------------------------------------------------------------------------------------
# evaluate, predict, fit
# ---------------------------------------------------------------------------------------------


def evaluate(
    model: Module,
    loader: Iterable[Any],
    loss_fn: Callable[[Any, Any], Tensor] | None = None,
    metrics: Iterable[str | MetricFn] | None = ("accuracy",),
) -> dict[str, float]:
    """Loss and metrics of `model` on every batch of `loader`, without training.

    Runs in evaluation mode (``model.eval()``) under ``mininn.no_grad()``, then puts every
    sub-module back in the mode it was in before.

    Parameters
    ----------
    model : Module
    loader : iterable of ``(x, y)`` batches (a DataLoader); ``(x1, ..., xk, y)`` calls
        ``model(x1, ..., xk)``
    loss_fn : callable ``loss_fn(outputs, targets) -> scalar Tensor``, optional
        Should average over the batch (``reduction="mean"``, the default of mininn's losses).
    metrics : names (``"accuracy"``) or functions ``fn(outputs, targets) -> float`` taking
        NumPy arrays ``(B, ...)`` and ``(B,)`` (named by their ``__name__``), or a dict
        ``{name: fn}``

    Returns
    -------
    dict with ``"loss"`` (if `loss_fn` is given) and one entry per metric. Each is the mean
    over examples: per-batch values weighted by batch size. That is exact for the loss and
    accuracy; for a metric that is not a mean over examples (F1, AUC), call `predict` and
    `mininn.metrics` on all the outputs instead.

    >>> # evaluate(model, test_loader, nn.CrossEntropyLoss())
    >>> # {'loss': 0.3121, 'accuracy': 0.8894}
    """
    return _evaluate(model, loader, loss_fn, _resolve_metrics(metrics))


def _evaluate(model, loader, loss_fn, named) -> dict[str, float]:
    modes = _save_modes(model)
    model.eval()
    try:
        with no_grad():
            totals, n = _evaluate_loop(model, loader, loss_fn, named)
    finally:
        _restore_modes(modes)
    if n == 0:
        raise ValueError("evaluate got an empty loader")
    return {k: v / n for k, v in totals.items()}


def _evaluate_loop(model, loader, loss_fn, named):
    totals: dict[str, float] = {}
    if loss_fn is not None:
        totals["loss"] = 0.0
    for name, _ in named:
        totals[name] = 0.0
    n = 0
    for batch in loader:
        inputs, y = _split_batch(batch)
        out = model(*inputs)
        b = _batch_size(y)
        if loss_fn is not None:
            totals["loss"] += float(_data(loss_fn(out, y))) * b
        if named:
            out_np, y_np = _data(out), _data(y)
            for name, fn in named:
                totals[name] += float(fn(out_np, y_np)) * b
        n += b
    return totals, n


def predict(model: Module, loader: Iterable[Any]) -> np.ndarray:
    """The model's outputs for every batch of `loader`, concatenated along axis 0.

    Runs like `evaluate` (eval mode, no_grad, modes restored afterwards).

    Parameters
    ----------
    model : Module
    loader : iterable of batches ``(x,)``, ``(x, y)`` or ``(x1, ..., xk, y)``: with two or
        more elements the last one is taken to be the target and ignored. A bare Tensor or
        array batch is also accepted.

    Returns
    -------
    ndarray (N, ...) : e.g. (N, C) logits for a classifier; ``.argmax(axis=1)`` gives labels.

    >>> # logits = predict(model, test_loader)          # (10000, 10)
    >>> # labels = logits.argmax(axis=1)
    """
    outputs = []
    modes = _save_modes(model)
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (tuple, list)):
                    inputs = tuple(batch) if len(batch) == 1 else tuple(batch[:-1])
                else:
                    inputs = (batch,)
                outputs.append(_data(model(*inputs)))
    finally:
        _restore_modes(modes)
    if not outputs:
        raise ValueError("predict got an empty loader")
    return np.concatenate(outputs, axis=0)


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any] | None = None,
    epochs: int = 1,
    scheduler: Any = None,
    callbacks: Sequence[Callback | Callable[[int, dict[str, float]], Any]] = (),
    metrics: Iterable[str | MetricFn] | None = ("accuracy",),
    progress: bool | str = "auto",
) -> History:
    """Train `model` for `epochs` passes over `train_loader` and record the results.

    Each epoch: ``model.train()``; for every batch ``(x, y)``: forward, ``loss_fn``,
    ``optimizer.zero_grad()``, ``backward()``, ``optimizer.step()``. Then, with a
    `val_loader`, `evaluate` (``model.eval()`` and ``mininn.no_grad()``); then the
    callbacks; then ``scheduler.step()`` (once per epoch).

    Parameters
    ----------
    model : Module
    loss_fn : callable ``loss_fn(outputs, targets) -> scalar Tensor`` averaging over the
        batch, e.g. ``nn.CrossEntropyLoss()``
    optimizer : a mininn optimizer
    train_loader : iterable of ``(x, y)`` batches (x: (B, ...), y: (B,) or (B, ...))
    val_loader : like `train_loader`, optional
    epochs : int
    scheduler : optional learning-rate scheduler, stepped once at the end of every epoch
    callbacks : `Callback` objects (e.g. `EarlyStopping`) or functions
        ``fn(epoch, logs) -> bool | None``; returning True stops training
    metrics : names (``"accuracy"``), functions ``fn(outputs, targets) -> float`` of NumPy
        arrays (named by their ``__name__``), or a dict ``{name: fn}``. Training metrics are
        averaged over the epoch's batches (weighted by batch size) while the weights change;
        validation metrics use the end-of-epoch weights. ``None`` or ``()`` for none (e.g.
        regression).
    progress : True, False or "auto"
        A tqdm progress bar per epoch showing the running loss (and, at the end of the epoch,
        all the epoch's values). "auto" shows it when standard output is a terminal or a
        Jupyter notebook. False prints nothing.

    Returns
    -------
    History
        ``history.history`` maps "loss", each metric, "val_loss" and "val_<metric>" (with a
        `val_loader`), "lr" and "seconds" to per-epoch lists. "loss" is the mean training
        loss over the epoch's examples, "lr" the learning rate used during the epoch
        (``optimizer.param_groups[0]["lr"]``, read before the scheduler steps).

    Notes
    -----
    The model is left in evaluation mode (``model.eval()``) at the end, ready for
    predictions; the next `fit` switches it back to training mode. Callbacks run in order
    every epoch; with ``EarlyStopping(restore_best_weights=True)`` the returned model holds
    the best epoch's weights, while the History still lists every epoch that was run.

    >>> # history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
    >>> #               train_loader, val_loader, epochs=10)
    >>> # history.plot()
    """
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs}")
    named = _resolve_metrics(metrics)
    show = _show_progress(progress)
    history = History()
    cbs = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]
    for cb in cbs:
        cb.model, cb.history = model, history
        cb.on_train_begin()

    tqdm = None
    if show:
        with warnings.catch_warnings():  # no "IProgress not found" when ipywidgets is missing
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm

    bar = None
    try:
        for epoch in range(int(epochs)):
            start = time.perf_counter()
            lr = float(optimizer.param_groups[0]["lr"])
            model.train()
            total = len(train_loader) if hasattr(train_loader, "__len__") else None
            # The bar is updated by hand (not by wrapping the loader) so that it stays open for
            # the end-of-epoch summary.
            if tqdm is not None:
                bar = tqdm(
                    total=total, desc=f"epoch {epoch + 1}/{epochs}", leave=True, mininterval=2.0
                )
            loss_sum, n = 0.0, 0
            metric_sums = [0.0] * len(named)
            last_refresh = start
            for batch in train_loader:
                inputs, y = _split_batch(batch)
                out = model(*inputs)
                loss = loss_fn(out, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                b = _batch_size(y)
                loss_sum += float(loss.data) * b
                n += b
                if named:
                    out_np, y_np = _data(out), _data(y)
                    for i, (_, fn) in enumerate(named):
                        metric_sums[i] += float(fn(out_np, y_np)) * b
                if bar is not None:
                    bar.update()
                    now = time.perf_counter()
                    if now - last_refresh > 0.2:  # formatting the postfix is not free
                        bar.set_postfix(loss=f"{loss_sum / n:.4g}", refresh=False)
                        last_refresh = now
            if n == 0:
                raise ValueError("the training loader yielded no batches")

            logs: dict[str, float] = {"loss": loss_sum / n}
            for (name, _), s in zip(named, metric_sums, strict=True):
                logs[name] = s / n
            if val_loader is not None:
                val = _evaluate(model, val_loader, loss_fn, named)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = lr
            logs["seconds"] = time.perf_counter() - start
            history.append(epoch, logs)
            if bar is not None:
                bar.set_postfix(_format_logs(logs), refresh=True)
                bar.close()
                bar = None

            stop = False
            for cb in cbs:
                stop = bool(cb.on_epoch_end(epoch, dict(logs))) or stop
            if scheduler is not None:
                scheduler.step()
            if stop:
                break
    finally:
        if bar is not None:  # interrupted mid-epoch
            bar.close()
        model.eval()
    for cb in cbs:
        cb.on_train_end()
    return history
