"""Loss functions as fused Functions: one forward and one backward each, no chain of small ops.

Available as `mininn.functional.mse_loss`, `l1_loss`, `huber_loss`, `cross_entropy`,
`binary_cross_entropy_with_logits` (and as modules in `mininn.nn`). Each takes
`reduction='mean' | 'sum' | 'none'` as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mininn.tensor import Function, Tensor

__all__ = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "cross_entropy",
    "binary_cross_entropy_with_logits",
    "MSE",
    "L1",
    "Huber",
    "CrossEntropy",
    "BCEWithLogits",
]

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _grad_scale(grad: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """The incoming gradient spread over the elements of the unreduced loss."""
    if reduction == "mean":
        return grad / n
    return grad  # 'sum' (a scalar, broadcast) or 'none' (already elementwise)


class MSE(Function):
    """Squared error ``(x - y)**2``, reduced (mean, sum or none); backward: ``2 (x - y) grad``.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.MSE.apply(mininn.randn(4, 2), mininn.randn(4, 2), reduction='none').shape
    (4, 2)
    """

    @staticmethod
    def forward(ctx, x, y, reduction):
        d = x - y
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        g = 2 * _grad_scale(grad, ctx.reduction, d.size) * d
        return g, -g


class L1(Function):
    """Absolute error ``|x - y|``, reduced (mean, sum or none); backward: ``sign(x - y) grad``.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.L1.apply(mininn.randn(4, 2), mininn.randn(4, 2), reduction='mean').shape
    ()
    """

    @staticmethod
    def forward(ctx, x, y, reduction):
        d = x - y
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(np.abs(d), reduction)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        g = _grad_scale(grad, ctx.reduction, d.size) * np.sign(d)
        return g, -g


class Huber(Function):
    """0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) beyond: quadratic near 0, linear far.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Huber.apply(mininn.randn(4, 2), mininn.randn(4, 2), reduction='sum', delta=1.0).shape
    ()
    """

    @staticmethod
    def forward(ctx, x, y, reduction, delta):
        d = x - y
        a = np.abs(d)
        loss = np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))
        ctx.save_for_backward(d)
        ctx.reduction, ctx.delta = reduction, delta
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        g = _grad_scale(grad, ctx.reduction, d.size) * np.clip(d, -ctx.delta, ctx.delta)
        return g, -g


class CrossEntropy(Function):
    """Softmax cross-entropy from logits (N, C) and integer classes (N,), fused.

    With label smoothing e the target is (1 - e) one_hot + e / C; the gradient with respect
    to the logits is softmax(logits) - target, per example.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> logits, target = mininn.randn(4, 3), [0, 2, 1, 0]
    >>> F.cross_entropy(logits, target).shape  # applies CrossEntropy
    ()
    """

    @staticmethod
    def forward(ctx, logits, targets, reduction, label_smoothing):
        m = logits.max(axis=1, keepdims=True)
        shifted = logits - m
        lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        logp = shifted - lse  # log-softmax
        n, c = logits.shape
        rows = np.arange(n)
        loss = -logp[rows, targets]
        if label_smoothing:
            loss = (1 - label_smoothing) * loss - label_smoothing * logp.mean(axis=1)
        ctx.save_for_backward(logp, targets)
        ctx.reduction, ctx.smoothing = reduction, label_smoothing
        return _reduce(loss.astype(logits.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        logp, targets = ctx.saved_tensors
        n, c = logp.shape
        g = np.exp(logp)  # softmax, a fresh array we may change in place
        e = ctx.smoothing
        if e:
            g -= e / c
        g[np.arange(n), targets] -= 1 - e
        scale = _grad_scale(np.asarray(grad, dtype=g.dtype), ctx.reduction, n)
        g *= scale[:, None] if scale.ndim == 1 else scale
        return g, None


class BCEWithLogits(Function):
    """Binary cross-entropy from logits: max(x, 0) - x y + log(1 + e^-|x|), never overflowing.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.BCEWithLogits.apply(mininn.randn(4), mininn.rand(4), reduction='none').shape
    (4,)
    """

    @staticmethod
    def forward(ctx, x, y, reduction):
        loss = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        z = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))  # stable sigmoid
        g = _grad_scale(grad, ctx.reduction, x.size)
        return g * (s - y), g * -x


# ---------------------------------------------------------------------------------------------


def _check(name: str, x: Tensor, y: Tensor, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if x.shape != y.shape:
        raise ValueError(
            f"{name}: input of shape {x.shape} and target of shape {y.shape} must have the "
            "same shape (broadcasting them is almost always a bug)"
        )


def _tensor(v: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(v, Tensor):
        return v
    arr = np.asarray(v)
    if like is not None and arr.dtype.kind in "fiub" and like.dtype.kind == "f":
        arr = arr.astype(like.dtype)
    return Tensor(arr)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error: mean((input - target)^2).

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.mse_loss(np.zeros((4, 2)), np.ones((4, 2))).item()
    1.0
    >>> F.mse_loss(np.zeros((4, 2)), np.ones((4, 2)), reduction="none").shape
    (4, 2)
    """
    x = _tensor(input)
    y = _tensor(target, x)
    _check("mse_loss", x, y, reduction)
    return MSE.apply(x, y, reduction=reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error: mean(|input - target|).

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.l1_loss(np.zeros((4, 2)), np.full((4, 2), -2.0)).item()
    2.0
    """
    x = _tensor(input)
    y = _tensor(target, x)
    _check("l1_loss", x, y, reduction)
    return L1.apply(x, y, reduction=reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """Huber loss: squared error for |input - target| <= delta, absolute error beyond.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.huber_loss(np.zeros(2), np.array([0.5, 3.0]), reduction="none").data.tolist()
    [0.125, 2.5]
    """
    x = _tensor(input)
    y = _tensor(target, x)
    _check("huber_loss", x, y, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return Huber.apply(x, y, reduction=reduction, delta=float(delta))


def cross_entropy(
    input: Any,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) and integer class targets.

    input: logits of shape (N, C); target: integers in [0, C) of shape (N,).

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> logits, target = np.zeros((4, 3)), np.array([0, 2, 1, 0])
    >>> round(F.cross_entropy(logits, target).item(), 4)  # log(3)
    1.0986
    >>> F.cross_entropy(logits, target, reduction="none").shape
    (4,)
    """
    x = _tensor(input)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if x.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"cross_entropy expects floating logits, got dtype {x.dtype}")
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy expects integer class indices as targets, got dtype {t.dtype} "
            "(for probabilities use a one-hot formulation yourself)"
        )
    if t.shape != (x.shape[0],):
        raise ValueError(
            f"cross_entropy: logits of shape {x.shape} need targets of shape ({x.shape[0]},), "
            f"got {t.shape}"
        )
    if t.size and (t.min() < 0 or t.max() >= x.shape[1]):
        bad = t[(t < 0) | (t >= x.shape[1])][0]
        raise ValueError(
            f"cross_entropy: target {bad} is out of range for {x.shape[1]} classes "
            f"(targets must be in [0, {x.shape[1] - 1}])"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return CrossEntropy.apply(
        x, Tensor(t.astype(np.int64)), reduction=reduction, label_smoothing=float(label_smoothing)
    )


def binary_cross_entropy_with_logits(
    input: Any,  # noqa: A002
    target: Any,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy between sigmoid(input) and targets in [0, 1], from logits.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> loss = F.binary_cross_entropy_with_logits(np.zeros((4, 1)), np.ones((4, 1)))
    >>> loss.shape, round(loss.item(), 4)  # log(2)
    ((), 0.6931)
    """
    x = _tensor(input)
    y = _tensor(target, x)
    _check("binary_cross_entropy_with_logits", x, y, reduction)
    if y.dtype.kind != "f":
        y = Tensor(y.data.astype(x.dtype))
    return BCEWithLogits.apply(x, y, reduction=reduction)
