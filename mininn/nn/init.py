"""Weight initialisers (in place, with mininn's generator; see `mininn.manual_seed`).

Xavier/Glorot keeps the variance of activations about constant through layers with
symmetric activations (tanh); He/Kaiming does the same for ReLU, which zeroes half its input.

>>> import mininn
>>> from mininn import nn
>>> mininn.manual_seed(0)
>>> layer = nn.Linear(128, 64)
>>> w = nn.init.kaiming_normal_(layer.weight)  # in place; returns its argument
>>> w is layer.weight, w.shape, bool(abs(w.data.std() - (2 / 128) ** 0.5) < 0.02)
(True, (64, 128), True)
"""

from __future__ import annotations

import math

import numpy as np

from mininn.tensor import Tensor, default_generator

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "constant_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return _fans(t)[0 if mode == "fan_in" else 1]


def _fans(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got {t.shape}"
        )
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activation variance steady for a given nonlinearity.

    >>> import mininn
    >>> mininn.nn.init.calculate_gain("tanh"), mininn.nn.init.calculate_gain("linear")
    (1.6666666666666667, 1.0)
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t.data = values.astype(t.dtype).reshape(t.shape)
    return t


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill `t` in place with draws from U(a, b); returns `t`. Any shape.

    >>> import mininn
    >>> w = mininn.nn.init.uniform_(mininn.zeros(2, 3), -1.0, 1.0)
    >>> w.shape, bool(((w.data >= -1) & (w.data <= 1)).all())
    ((2, 3), True)
    """
    return _fill(t, default_generator().uniform(a, b, size=t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill `t` in place with draws from N(mean, std^2); returns `t`. Any shape.

    >>> import mininn
    >>> mininn.nn.init.normal_(mininn.zeros(4, 5), std=0.01).shape
    (4, 5)
    """
    return _fill(t, default_generator().normal(mean, std, size=t.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    """Fill `t` in place with `value`; returns `t`. Any shape.

    >>> import mininn
    >>> mininn.nn.init.constant_(mininn.zeros(2), 0.5).data
    array([0.5, 0.5], dtype=float32)
    """
    return _fill(t, np.full(t.shape, value))


def zeros_(t: Tensor) -> Tensor:
    """Fill `t` in place with zeros; returns `t`. Any shape.

    >>> import mininn
    >>> mininn.nn.init.zeros_(mininn.ones(2)).data
    array([0., 0.], dtype=float32)
    """
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    """Fill `t` in place with ones; returns `t`. Any shape.

    >>> import mininn
    >>> mininn.nn.init.ones_(mininn.zeros(2)).data
    array([1., 1.], dtype=float32)
    """
    return constant_(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Xavier/Glorot uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    `t` has at least 2 dimensions, like a weight of shape (out, in, kh, kw): ``fan_in`` is
    ``in * kh * kw``, ``fan_out`` is ``out * kh * kw``. Fills in place; returns `t`.

    >>> import mininn
    >>> w = mininn.nn.init.xavier_uniform_(mininn.zeros(256, 784))
    >>> bool(abs(w.data).max() <= (6 / (784 + 256)) ** 0.5)
    True
    """
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Xavier/Glorot normal: N(0, s^2) with ``s = gain * sqrt(2 / (fan_in + fan_out))``.

    Shapes and fans as in `xavier_uniform_`. Fills in place; returns `t`.

    >>> import mininn
    >>> mininn.nn.init.xavier_normal_(mininn.zeros(256, 784)).shape
    (256, 784)
    """
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He/Kaiming uniform: U(-b, b) with ``b = calculate_gain(nonlinearity, a) * sqrt(3 / fan)``.

    `fan` is ``fan_in`` or ``fan_out`` (`mode`) of a weight of shape (out, in, kh, kw), as in
    `xavier_uniform_`; `a` is the negative slope of a leaky ReLU. Fills in place; returns `t`.

    >>> import mininn
    >>> w = mininn.nn.init.kaiming_uniform_(mininn.zeros(128, 64), nonlinearity="relu")
    >>> bool(abs(w.data).max() <= (6 / 64) ** 0.5)
    True
    """
    fan = _fan(t, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He/Kaiming normal: N(0, s^2) with ``s = calculate_gain(nonlinearity, a) / sqrt(fan)``.

    Arguments and shapes as in `kaiming_uniform_`. Fills in place; returns `t`.

    >>> import mininn
    >>> mininn.nn.init.kaiming_normal_(mininn.zeros(16, 3, 5, 5), nonlinearity="relu").shape
    (16, 3, 5, 5)
    """
    fan = _fan(t, mode)
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
