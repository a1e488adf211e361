"""Layers: Linear, activations, Dropout, BatchNorm1d, Flatten, Identity, and loss modules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import mininn.functional as F
from mininn.nn import init
from mininn.nn.module import Module, Parameter
from mininn.tensor import Tensor

__all__ = [
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "Dropout",
    "BatchNorm1d",
    "Flatten",
    "Identity",
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm2d",
]


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as in PyTorch.

    Initialised as PyTorch does: W and b uniform in +-1/sqrt(in_features).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> layer = nn.Linear(3, 5)
    >>> layer.weight.shape, layer.bias.shape, layer(mininn.randn(8, 3)).shape
    ((5, 3), (5,), (8, 5))
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32
    ):
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got ({in_features}, {out_features})")
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        init.uniform_(self.weight, -bound, bound)
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class ReLU(Module):
    """ReLU activation, elementwise: ``max(x, 0)``. Any shape in, the same shape out.

    >>> import mininn
    >>> mininn.nn.ReLU()(mininn.Tensor([[-1.0, 0.0, 2.0]])).data
    array([[0., 0., 2.]], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """Leaky ReLU, elementwise: ``x`` where ``x > 0``, else ``negative_slope * x``. Any shape in,
    the same shape out.

    >>> import mininn
    >>> mininn.nn.LeakyReLU(0.1)(mininn.Tensor([[-1.0, 0.0, 2.0]])).data
    array([[-0.1,  0. ,  2. ]], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Logistic sigmoid, elementwise: ``1 / (1 + exp(-x))``. Any shape in, the same shape out.

    >>> import mininn
    >>> mininn.nn.Sigmoid()(mininn.Tensor([0.0])).data
    array([0.5], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent, elementwise. Any shape in, the same shape out.

    >>> import mininn
    >>> mininn.nn.Tanh()(mininn.Tensor([0.0])).data
    array([0.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    """GELU activation, elementwise: ``x * Phi(x)`` with ``Phi`` the standard normal CDF. Any
    shape in, the same shape out.

    >>> import mininn
    >>> mininn.nn.GELU()(mininn.Tensor([0.0, 1.0])).data.round(4)
    array([0.    , 0.8413], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x)


class Softmax(Module):
    """Softmax along `axis` (default the last): non-negative values that sum to 1 along it.
    Any shape in, the same shape out.

    >>> import mininn
    >>> mininn.nn.Softmax(axis=1)(mininn.Tensor([[0.0, 0.0]])).data
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.axis)


class Dropout(Module):
    """Inverted dropout in training mode; the identity in evaluation mode.

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> drop, x = nn.Dropout(p=0.5), mininn.ones(4, 10)
    >>> drop(x).shape, bool((drop.eval()(x).data == 1).all())
    ((4, 10), True)
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs, with running statistics.

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> bn = nn.BatchNorm1d(3)
    >>> bn(mininn.randn(8, 3)).shape, bn.running_mean.shape
    ((8, 3), (3,))
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, np.float32))
        self.register_buffer("running_var", np.ones(num_features, np.float32))

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects input of shape (N, "
                f"{self.num_features}) or (N, {self.num_features}, L), got {x.shape}"
            )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of images (N, C, H, W): statistics per channel over N, H and W.

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> bn = nn.BatchNorm2d(3)
    >>> bn(mininn.randn(8, 3, 5, 5)).shape, bn.running_mean.shape
    ((8, 3, 5, 5), (3,))
    """

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}) expects input of shape "
                f"(N, {self.num_features}, H, W), got {x.shape}"
            )


class Conv2d(Module):
    """2-D convolution with weight (out_channels, in_channels, kh, kw), as in PyTorch.

    Input (N, in_channels, H, W), output (N, out_channels, OH, OW) with
    OH = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1. Initialised as PyTorch
    does: weight and bias uniform in +-1/sqrt(in_channels * kh * kw).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
    >>> conv.weight.shape, conv(mininn.randn(2, 3, 28, 28)).shape
    ((16, 3, 3, 3), (2, 16, 28, 28))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        bias: bool = True,
        dtype: Any = np.float32,
    ):
        super().__init__()
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(
                f"Conv2d needs positive channel counts, got ({in_channels}, {out_channels})"
            )
        where = "Conv2d"
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = F._pair_arg(kernel_size, "kernel_size", where, 1)
        self.stride = F._pair_arg(stride, "stride", where, 1)
        self.padding = F._pair_arg(padding, "padding", where, 0)
        self.dilation = F._pair_arg(dilation, "dilation", where, 1)
        shape = (out_channels, in_channels, *self.kernel_size)
        bound = 1.0 / math.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        init.uniform_(self.weight, -bound, bound)
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            s += f", stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        return s + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """Max pooling over kernel_size windows (stride defaults to kernel_size).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> nn.MaxPool2d(2)(mininn.randn(2, 16, 28, 28)).shape
    (2, 16, 14, 14)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__()
        F._pool_geometry(kernel_size, stride, padding, type(self).__name__)  # fail early
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(MaxPool2d):
    """Average pooling over kernel_size windows (stride defaults to kernel_size).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> nn.AvgPool2d(2)(mininn.randn(2, 16, 28, 28)).shape
    (2, 16, 14, 14)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; AdaptiveAvgPool2d(1) is global average pooling.

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> nn.AdaptiveAvgPool2d(1)(mininn.randn(2, 16, 7, 7)).shape
    (2, 16, 1, 1)
    """

    def __init__(self, output_size: Any):
        super().__init__()
        F._pair_arg(output_size, "output_size", "AdaptiveAvgPool2d", 1)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Flatten(Module):
    """Merge axes start_dim..end_dim into one (by default: everything but the batch axis).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> x = mininn.randn(2, 16, 7, 7)
    >>> nn.Flatten()(x).shape, nn.Flatten(start_dim=2)(x).shape
    ((2, 784), (2, 16, 49))
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        s = self.start_dim % x.ndim
        e = self.end_dim % x.ndim
        return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])


class Identity(Module):
    """Returns its input unchanged (a placeholder layer, e.g. a skipped block).

    >>> import mininn
    >>> x = mininn.Tensor([1.0])
    >>> mininn.nn.Identity()(x) is x
    True
    """

    def forward(self, x: Tensor) -> Tensor:
        return x


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, `F.mse_loss` as a module. ``input`` and ``target`` of the same shape;
    a scalar with ``reduction="mean"`` or ``"sum"``, the input's shape with ``"none"``.

    >>> import mininn
    >>> import numpy as np
    >>> mininn.nn.MSELoss()(mininn.Tensor([1.0, 3.0]), np.array([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, `F.l1_loss` as a module. ``input`` and ``target`` of the same shape;
    a scalar with ``reduction="mean"`` or ``"sum"``, the input's shape with ``"none"``.

    >>> import mininn
    >>> import numpy as np
    >>> mininn.nn.L1Loss(reduction="sum")(mininn.Tensor([1.0, -3.0]), np.array([0.0, 0.0])).item()
    4.0
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Huber loss, `F.huber_loss` as a module: quadratic for errors up to `delta`, linear
    beyond. ``input`` and ``target`` of the same shape; reduced as in `MSELoss`.

    >>> import mininn
    >>> import numpy as np
    >>> mininn.nn.HuberLoss(delta=1.0)(mininn.Tensor([0.5, 3.0]), np.array([0.0, 0.0])).item()
    1.3125
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits, `F.cross_entropy` as a module. ``input``: logits (N, C);
    ``target``: integer class labels (N,). A scalar with ``reduction="mean"`` or ``"sum"``,
    (N,) with ``"none"``; `label_smoothing` spreads that much of each target over all classes.

    >>> import mininn
    >>> import numpy as np
    >>> logits = mininn.Tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> loss = mininn.nn.CrossEntropyLoss()(logits, np.array([0, 1]))
    >>> round(loss.item(), 4)
    0.1269
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, `F.binary_cross_entropy_with_logits` as a module.
    ``input``: logits of any shape; ``target``: 0/1 values of the same shape. Reduced as in
    `MSELoss`.

    >>> import mininn
    >>> import numpy as np
    >>> loss = mininn.nn.BCEWithLogitsLoss()(mininn.Tensor([0.0, 0.0]), np.array([1.0, 0.0]))
    >>> round(loss.item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
