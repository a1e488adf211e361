"""Gradient utilities.

>>> import mininn
>>> from mininn import nn
>>> layer = nn.Linear(3, 2)
>>> (100 * layer(mininn.ones(4, 3))).sum().backward()
>>> norm = nn.utils.clip_grad_norm_(layer.parameters(), max_norm=1.0)
>>> layer.weight.grad.shape, bool(norm > 1.0)
((2, 3), True)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mininn.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients together so their joint norm is at most `max_norm`.

    Returns the norm before clipping (as PyTorch does). Parameters without a gradient are
    skipped.

    >>> import mininn
    >>> from mininn import nn
    >>> layer = nn.Linear(3, 2)
    >>> (layer(mininn.ones(4, 3)) * 100).sum().backward()
    >>> norm = nn.utils.clip_grad_norm_(layer.parameters(), max_norm=1.0)  # norm before clipping
    >>> norm > 1.0, round(nn.utils.clip_grad_norm_(layer.parameters(), max_norm=1.0), 4)
    (True, 1.0)
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g.astype(np.float64)) ** norm_type).sum()) for g in grads))
        total = total ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * np.asarray(coef, dtype=p.grad.dtype)
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, as PyTorch's
    ``clip_grad_value_`` (each ``p.grad`` is replaced by its clamped copy).

    Unlike `clip_grad_norm_`, this changes the gradient's direction; parameters without a
    gradient are skipped.

    >>> clip_grad_value_(model.parameters(), 0.5)  # doctest: +SKIP
    """
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if p.grad is not None:
            p.grad = np.clip(p.grad, -clip_value, clip_value).astype(p.grad.dtype, copy=False)
