"""Differentiable operations: each a `Function` whose forward and backward sit side by side.

Import it as ``import mininn.functional as F``. The lower-case functions at the end of each
group (`F.add`, `F.softmax`, ...) check their arguments and call `SomeFunction.apply`;
`Tensor`'s operators and methods call these same functions.

Conventions, so each backward reads at a glance:

- `grad` is the gradient of the final scalar with respect to this op's output.
- A backward returns one gradient per input. It may return a gradient of the broadcast
  shape: the engine sums it back to the input's shape.
- No backward changes `grad` in place: it may be shared with other ops.

>>> import mininn
>>> import mininn.functional as F
>>> x = mininn.ones(2, 3, requires_grad=True)
>>> y = F.softmax(F.add(x, 1.0), axis=1)  # (2, 3) -> (2, 3)
>>> y.shape, F.Softmax.apply(x, axis=1).shape
((2, 3), (2, 3))
"""

from __future__ import annotations

import builtins
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from mininn.tensor import Function, Tensor

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "matmul",
    "exp", "log", "abs", "relu", "sigmoid", "tanh", "leaky_relu", "gelu",
    "sum", "mean", "max", "reshape", "transpose", "permute", "getitem",
    "softmax", "log_softmax", "logsumexp", "concatenate", "stack",
    "linear", "dropout", "batch_norm",
    "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "mse_loss", "l1_loss", "huber_loss", "cross_entropy", "binary_cross_entropy_with_logits",
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowConstant", "MatMul",
    "Exp", "Log", "Abs", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "GELU",
    "Sum", "Mean", "Max", "Reshape", "Permute", "GetItem",
    "Softmax", "LogSoftmax", "LogSumExp", "Concatenate", "Stack",
    "Affine", "Dropout", "BatchNorm", "Conv2d", "MaxPool2d", "AvgPool2d",
    "MSE", "L1", "Huber", "CrossEntropy", "BCEWithLogits",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Make both operands tensors; a plain number takes the other operand's float dtype.

    So ``x * 2`` keeps float32 x in float32 and float64 x in float64, as in PyTorch.
    """

    def number(v: Any) -> bool:
        return isinstance(v, numbers.Number) and not isinstance(v, Tensor)

    if number(a) and isinstance(b, Tensor) and b.dtype.kind == "f":
        a = Tensor(np.asarray(a, dtype=b.dtype))
    if number(b) and isinstance(a, Tensor) and a.dtype.kind == "f":
        b = Tensor(np.asarray(b, dtype=a.dtype))
    a, b = _tensor(a), _tensor(b)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"shapes {a.shape} and {b.shape} cannot be broadcast together: compared from the "
            "right, each pair of sizes must be equal or one of them 1"
        ) from None
    return a, b


def _axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Normalise `axis` to a sorted tuple of non-negative axes, with a clear error."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for ax in items:
        if not isinstance(ax, numbers.Integral) or not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of `grad` (as size 1) so it broadcasts against the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


# ---------------------------------------------------------------------------------------------
# Arithmetic (broadcasting is undone by the engine)
# ---------------------------------------------------------------------------------------------


class Add(Function):
    """``a + b`` with broadcasting; backward passes `grad` to both inputs. Used by `add`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Add.apply(mininn.randn(2, 3), mininn.randn(1, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """``a - b`` with broadcasting; backward: ``grad`` and ``-grad``. Used by `sub`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Sub.apply(mininn.randn(2, 3), mininn.randn(3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


class Mul(Function):
    """``a * b`` with broadcasting; backward: ``grad * b`` and ``grad * a``. Used by `mul`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Mul.apply(mininn.randn(2, 3), mininn.randn(2, 1)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Div(Function):
    """``a / b`` with broadcasting; backward: ``grad / b`` and ``-grad * a / b**2``.

    Used by `div`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Div.apply(mininn.randn(2, 3), mininn.rand(2, 3) + 1).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad / b, -grad * a / (b * b)


class Neg(Function):
    """``-a``; backward: ``-grad``. Used by `neg`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Neg.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class PowConstant(Function):
    """a ** p for a constant number p.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.PowConstant.apply(mininn.randn(2, 3), exponent=2).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        p = ctx.exponent
        return grad * p * a ** (p - 1)


class Pow(Function):
    """a ** b where both may require gradients: d/da = b a^(b-1), d/db = a^b log a.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Pow.apply(mininn.rand(2, 3) + 1, mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        grad_a = grad * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        grad_b = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * np.where(a > 0, out * np.log(np.where(a > 0, a, 1)), 0)
        return grad_a, grad_b


def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b``, with NumPy broadcasting (the gradient is summed back to each
    input's shape). Tensors, arrays or numbers in; a Tensor of the broadcast shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.add(mininn.Tensor([1.0, 2.0]), mininn.Tensor([3.0, 4.0])).data
    array([4., 6.], dtype=float32)
    """
    return Add.apply(*_pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b``, broadcast as in `add`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.sub(mininn.Tensor([1.0, 2.0]), mininn.Tensor([3.0, 4.0])).data
    array([-2., -2.], dtype=float32)
    """
    return Sub.apply(*_pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b``, broadcast as in `add`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.mul(mininn.Tensor([1.0, 2.0]), mininn.Tensor([3.0, 4.0])).data
    array([3., 8.], dtype=float32)
    """
    return Mul.apply(*_pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise ``a / b``, broadcast as in `add`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.div(mininn.Tensor([1.0, 2.0]), mininn.Tensor([4.0, 4.0])).data
    array([0.25, 0.5 ], dtype=float32)
    """
    return Div.apply(*_pair(a, b))


def neg(a: Any) -> Tensor:
    """Elementwise ``-a``; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.neg(mininn.Tensor([1.0, -2.0])).data
    array([-1.,  2.], dtype=float32)
    """
    return Neg.apply(_tensor(a))


def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - mirrors torch.pow
    """a ** exponent; a constant exponent is not differentiated.

    >>> import mininn.functional as F
    >>> F.pow([[1.0, 2.0, 3.0]], 2).shape
    (1, 3)
    """
    if isinstance(exponent, numbers.Real) and not isinstance(exponent, Tensor):
        return PowConstant.apply(_tensor(a), exponent=exponent)
    return Pow.apply(*_pair(a, exponent))


# ---------------------------------------------------------------------------------------------
# Matrix product
# ---------------------------------------------------------------------------------------------


class MatMul(Function):
    """a @ b with NumPy's rules: 1-D operands are vectors, leading axes broadcast.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.MatMul.apply(mininn.randn(5, 2, 3), mininn.randn(3, 4)).shape
    (5, 2, 4)
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # Treat vectors as 1-row / 1-column matrices, then drop that axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., :, 0]
        return grad_a, grad_b


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with shape checks that name both shapes.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.matmul(np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)
    """
    a, b = _tensor(a), _tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs tensors with at least one dimension, got shapes {a.shape} and "
            f"{b.shape}; use * to multiply by a scalar"
        )
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        which = "the only axis" if b.ndim == 1 else "the second-to-last axis"
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match: the last axis of the first "
            f"({a.shape[-1]}) must equal {which} of the second ({inner_b})"
        )
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be "
                "broadcast together"
            ) from None
    return MatMul.apply(a, b)


# ---------------------------------------------------------------------------------------------
# Elementwise functions
# ---------------------------------------------------------------------------------------------


class Exp(Function):
    """``exp(a)``; backward: ``grad * exp(a)``. Used by `exp`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Exp.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """``log(a)``; backward: ``grad / a``. Used by `log`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Log.apply(mininn.rand(2, 3) + 1).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Abs(Function):
    """``|a|``; backward: ``grad * sign(a)`` (0 at 0). Used by `abs`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Abs.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.sign(a)


class ReLU(Function):
    """``max(a, 0)``; backward: `grad` where ``a > 0``, else 0. Used by `relu`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.ReLU.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (a > 0)


class Sigmoid(Function):
    """1 / (1 + e^-a), computed without overflow for large |a|.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Sigmoid.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        z = np.exp(-np.abs(a))  # in (0, 1]: never overflows
        out = np.where(a >= 0, 1 / (1 + z), z / (1 + z)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s * (1 - s)


class Tanh(Function):
    """``tanh(a)``; backward: ``grad * (1 - tanh(a)**2)``. Used by `tanh`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Tanh.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t * t)


def exp(a: Any) -> Tensor:
    """Elementwise exponential; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.exp(mininn.Tensor([0.0])).data
    array([1.], dtype=float32)
    """
    return Exp.apply(_tensor(a))


def log(a: Any) -> Tensor:
    """Elementwise natural logarithm (of positive values); the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.log(mininn.Tensor([1.0])).data
    array([0.], dtype=float32)
    """
    return Log.apply(_tensor(a))


def abs(a: Any) -> Tensor:  # noqa: A001 - mirrors torch.abs
    """Elementwise absolute value; the same shape out (gradient 0 at 0).

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.abs(mininn.Tensor([-2.0, 3.0])).data
    array([2., 3.], dtype=float32)
    """
    return Abs.apply(_tensor(a))


def relu(a: Any) -> Tensor:
    """Elementwise ``max(a, 0)``; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.relu(mininn.Tensor([-1.0, 2.0])).data
    array([0., 2.], dtype=float32)
    """
    return ReLU.apply(_tensor(a))


def sigmoid(a: Any) -> Tensor:
    """Elementwise logistic sigmoid ``1 / (1 + exp(-a))``; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.sigmoid(mininn.Tensor([0.0])).data
    array([0.5], dtype=float32)
    """
    return Sigmoid.apply(_tensor(a))


def tanh(a: Any) -> Tensor:
    """Elementwise hyperbolic tangent; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.tanh(mininn.Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    return Tanh.apply(_tensor(a))


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


class Sum(Function):
    """Sum over axes; backward broadcasts `grad` back to the input's shape. Used by `sum`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Sum.apply(mininn.randn(2, 3, 4), axes=(1,), keepdims=False).shape
    (2, 4)
    """

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return np.broadcast_to(_expand(grad, ctx.axes, ctx.keepdims), ctx.shape)


class Mean(Function):
    """Mean over axes; backward broadcasts `grad` divided by the count. Used by `mean`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Mean.apply(mininn.randn(2, 3, 4), axes=(0, 2), keepdims=True).shape
    (1, 3, 1)
    """

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        ctx.count = int(np.prod([a.shape[i] for i in axes]))
        return a.mean(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        g = _expand(grad, ctx.axes, ctx.keepdims) / ctx.count
        return np.broadcast_to(g, ctx.shape)


class Max(Function):
    """Largest value along axes. Tied maxima share the gradient equally (as torch.amax).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Max.apply(mininn.randn(2, 3, 4), axes=(2,), keepdims=False).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        out = a.max(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        mask = a == out
        share = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad, ctx.axes, ctx.keepdims) * share


def _reduce(fn: type[Function], a: Any, axis: Any, keepdims: bool) -> Tensor:
    a = _tensor(a)
    axes = _axes(axis, a.ndim)
    if fn is Max and a.size == 0:
        raise ValueError(f"max of an empty tensor (shape {a.shape}) is undefined")
    return fn.apply(a, axes=axes, keepdims=bool(keepdims))


def sum(a: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over `axis` (an int, a tuple of ints, or None for all axes). The summed axes are
    dropped, or kept with length 1 when `keepdims`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.sum(mininn.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).data
    array([4., 6.], dtype=float32)
    """
    return _reduce(Sum, a, axis, keepdims)


def mean(a: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis`; axes and `keepdims` as in `sum`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.mean(mininn.Tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    2.5
    """
    return _reduce(Mean, a, axis, keepdims)


def max(a: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over `axis`; axes and `keepdims` as in `sum`. The gradient goes to the
    maxima (split evenly between ties).

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.max(mininn.Tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1).data
    array([5., 4.], dtype=float32)
    """
    return _reduce(Max, a, axis, keepdims)


# ---------------------------------------------------------------------------------------------
# Shape operations and indexing
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    """A new shape for the same values; backward reshapes `grad` back. Used by `reshape`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Reshape.apply(mininn.randn(2, 3, 4), shape=(6, 4)).shape
    (6, 4)
    """

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    """Reorder axes; backward applies the inverse permutation.

    Used by `permute` and `transpose`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Permute.apply(mininn.randn(2, 3, 4), dims=(2, 0, 1)).shape
    (4, 2, 3)
    """

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims))


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, numbers.Integral | slice) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """``a[index]``; backward scatters `grad` into zeros of a's shape (adding repeats).

    Used by `getitem`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.GetItem.apply(mininn.randn(5, 3), index=slice(1, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        if _is_basic(ctx.index):
            out[ctx.index] = grad
        else:  # an index may repeat: add every contribution
            np.add.at(out, ctx.index, grad)
        return out


def reshape(a: Any, shape: Sequence[int]) -> Tensor:
    """The same values in a new `shape` (one entry may be -1); the gradient is reshaped back.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.reshape(mininn.zeros(6), (2, 3)).shape
    (2, 3)
    """
    a = _tensor(a)
    shape = tuple(int(s) for s in shape)
    try:
        np.empty(a.shape, dtype=np.bool_).reshape(shape)  # cheap check for a clear message
    except ValueError:
        raise ValueError(
            f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) into shape {shape}"
        ) from None
    return Reshape.apply(a, shape=shape)


def permute(a: Any, dims: Sequence[int]) -> Tensor:
    """Reorder the axes: output axis ``i`` is input axis ``dims[i]``.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.permute(mininn.zeros(2, 3, 4), (2, 0, 1)).shape
    (4, 2, 3)
    """
    a = _tensor(a)
    dims = tuple(int(d) % builtins.max(a.ndim, 1) for d in dims)
    if sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute: {dims} is not an ordering of the {a.ndim} axes of {a.shape}")
    return Permute.apply(a, dims=dims)


def transpose(a: Any, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap axes `dim0` and `dim1` (by default the last two).

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.transpose(np.zeros((2, 3, 4))).shape, F.transpose(np.zeros((2, 3, 4)), 0, 2).shape
    ((2, 4, 3), (4, 3, 2))
    """
    a = _tensor(a)
    if a.ndim < 2 and (dim0, dim1) == (-2, -1):
        return permute(a, tuple(range(a.ndim)))
    d0, d1 = _axes(dim0, a.ndim)[0], _axes(dim1, a.ndim)[0]
    dims = list(range(a.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(a, dims=tuple(dims))


def _plain_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(a: Any, index: Any) -> Tensor:
    """``a[index]`` with NumPy indexing (slices, integers, integer or boolean arrays); the
    gradient is scattered back, adding up repeated indices.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.getitem(mininn.Tensor([[1.0, 2.0], [3.0, 4.0]]), (slice(None), 1)).data
    array([2., 4.], dtype=float32)
    """
    a = _tensor(a)
    index = _plain_index(index)
    try:
        a.data[index]
    except IndexError as e:
        raise IndexError(
            f"index {index!r} is invalid for a tensor of shape {a.shape}: {e}"
        ) from None
    return GetItem.apply(a, index=index)


# ---------------------------------------------------------------------------------------------
# Softmax family: stable for inputs as large as +-1e4
# ---------------------------------------------------------------------------------------------


class LogSumExp(Function):
    """log(sum(exp(a))) along axes, computed as m + log(sum(exp(a - m))) with m = max(a).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.LogSumExp.apply(mininn.randn(2, 5), axes=(1,), keepdims=False).shape
    (2,)
    """

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # all -inf along an axis: log(0) = -inf, correct
            out = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return _expand(grad, ctx.axes, ctx.keepdims) * np.exp(a - out)  # grad * softmax(a)


class Softmax(Function):
    """Softmax ``s`` along an axis; backward: ``s * (grad - sum(grad * s))`` along it.

    Used by `softmax`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Softmax.apply(mininn.randn(2, 5), axis=1).shape
    (2, 5)
    """

    @staticmethod
    def forward(ctx, a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        s = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(s)
        ctx.axis = axis
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """Log-softmax along an axis; backward: ``grad - softmax * sum(grad)`` along it.

    Used by `log_softmax`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.LogSoftmax.apply(mininn.randn(2, 5), axis=1).shape
    (2, 5)
    """

    @staticmethod
    def forward(ctx, a, axis):
        m = a.max(axis=axis, keepdims=True)
        out = a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.axis, keepdims=True)


def _one_axis(a: Tensor, axis: int, name: str) -> int:
    if a.ndim == 0:
        raise ValueError(f"{name} needs a tensor with at least one dimension, got a scalar")
    return _axes(axis, a.ndim)[0]


def logsumexp(a: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(a)))`` over `axis`, computed stably; axes and `keepdims` as in `sum`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.logsumexp(mininn.Tensor([[0.0, 0.0]]), axis=1).data.round(4)
    array([0.6931], dtype=float32)
    """
    a = _tensor(a)
    return LogSumExp.apply(a, axes=_axes(axis, a.ndim), keepdims=bool(keepdims))


def softmax(a: Any, axis: int = -1) -> Tensor:
    """Softmax along `axis`: ``exp(a) / sum(exp(a))``, computed stably. The same shape out;
    the values along `axis` are positive and sum to 1.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.softmax(mininn.Tensor([[0.0, 0.0]])).data
    array([[0.5, 0.5]], dtype=float32)
    """
    a = _tensor(a)
    return Softmax.apply(a, axis=_one_axis(a, axis, "softmax"))


def log_softmax(a: Any, axis: int = -1) -> Tensor:
    """The logarithm of `softmax` along `axis`, computed stably; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.log_softmax(mininn.Tensor([[0.0, 0.0]])).data.round(4)
    array([[-0.6931, -0.6931]], dtype=float32)
    """
    a = _tensor(a)
    return LogSoftmax.apply(a, axis=_one_axis(a, axis, "log_softmax"))


# ---------------------------------------------------------------------------------------------
# Joining tensors
# ---------------------------------------------------------------------------------------------


class Concatenate(Function):
    """Join tensors along an existing axis; backward splits `grad` into the pieces.

    Used by `concatenate`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Concatenate.apply(mininn.randn(2, 3), mininn.randn(4, 3), axis=0).shape
    (6, 3)
    """

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


class Stack(Function):
    """Join tensors along a new axis; backward takes each slice of `grad`. Used by `stack`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Stack.apply(mininn.randn(2, 3), mininn.randn(2, 3), axis=0).shape
    (2, 2, 3)
    """

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


def _sequence(tensors: Any, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{name} expects a list or tuple of tensors, got {type(tensors).__name__}")
    if len(tensors) == 0:
        raise ValueError(f"{name} needs at least one tensor")
    return [_tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; all other sizes must agree.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.concatenate([np.zeros((2, 3)), np.ones((5, 3))], axis=0).shape
    (7, 3)
    """
    ts = _sequence(tensors, "concatenate")
    ndim = ts[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in ts):
        raise ValueError(
            "concatenate needs tensors with the same number (>= 1) of dimensions, got shapes "
            f"{[t.shape for t in ts]}"
        )
    ax = _axes(axis, ndim)[0]
    for t in ts:
        if t.shape[:ax] + t.shape[ax + 1 :] != ts[0].shape[:ax] + ts[0].shape[ax + 1 :]:
            raise ValueError(
                f"concatenate along axis {axis}: shapes {[t.shape for t in ts]} differ on "
                "another axis"
            )
    return Concatenate.apply(*ts, axis=ax)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> F.stack([np.zeros((2, 3)), np.ones((2, 3))], axis=0).shape
    (2, 2, 3)
    """
    ts = _sequence(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack needs tensors of one shape, got {[t.shape for t in ts]}")
    ax = _axes(axis, ts[0].ndim + 1)[0]
    return Stack.apply(*ts, axis=ax)


# ---------------------------------------------------------------------------------------------
# Layers: linear map, activations with a parameter, dropout, batch normalisation
# ---------------------------------------------------------------------------------------------


class Affine(Function):
    """x @ w.T + b: the Function behind `F.linear` and `nn.Linear`, fused for speed.

    x: (..., in), w: (out, in), b: (out,) or absent. Backward sums over every leading axis.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Affine.apply(mininn.randn(8, 3), mininn.randn(5, 3), mininn.randn(5)).shape
    (8, 5)
    """

    @staticmethod
    def forward(ctx, x, w, *bias):
        ctx.save_for_backward(x, w)
        ctx.has_bias = bool(bias)
        out = x @ w.T
        if bias:
            out += bias[0]  # out is a fresh array: adding in place is safe
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        g2 = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ w if ctx.needs_input_grad[0] else None
        grad_w = g2.T @ x.reshape(-1, x.shape[-1]) if ctx.needs_input_grad[1] else None
        if ctx.has_bias:
            return grad_x, grad_w, g2.sum(axis=0)
        return grad_x, grad_w


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    >>> import numpy as np
    >>> import mininn.functional as F
    >>> x, w, b = np.ones((8, 3)), np.ones((5, 3)), np.zeros(5)
    >>> F.linear(x, w, b).shape
    (8, 5)
    """
    x, weight = _tensor(x), _tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features in "
            f"its last axis, but the weight of shape {weight.shape} expects {weight.shape[1]}"
        )
    if bias is None:
        return Affine.apply(x, weight)
    bias = _tensor(bias)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return Affine.apply(x, weight, bias)


class LeakyReLU(Function):
    """`a` where positive, else ``negative_slope * a``; backward scales `grad` the same way.

    Used by `leaky_relu`.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.LeakyReLU.apply(mininn.randn(2, 3), negative_slope=0.01).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return np.where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return np.where(a > 0, grad, grad * ctx.slope)


def leaky_relu(a: Any, negative_slope: float = 0.01) -> Tensor:
    """Elementwise ``a`` where ``a > 0``, else ``negative_slope * a``; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.leaky_relu(mininn.Tensor([-1.0, 2.0]), 0.1).data
    array([-0.1,  2. ], dtype=float32)
    """
    return LeakyReLU.apply(_tensor(a), negative_slope=float(negative_slope))


class GELU(Function):
    """x * Phi(x) with the exact normal CDF (Numba kernels in mininn.kernels.activations).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.GELU.apply(mininn.randn(2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a):
        from mininn.kernels.activations import gelu

        ctx.save_for_backward(a)
        return gelu(a)

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.activations import gelu_grad

        (a,) = ctx.saved_tensors
        return grad * gelu_grad(a)


def gelu(a: Any) -> Tensor:
    """Elementwise GELU, ``a * Phi(a)`` with ``Phi`` the standard normal CDF; the same shape out.

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.gelu(mininn.Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    a = _tensor(a)
    if a.dtype.kind != "f":
        raise TypeError(f"gelu needs a floating tensor, got dtype {a.dtype}")
    return GELU.apply(a)


class Dropout(Function):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Dropout.apply(mininn.randn(2, 3), mask=mininn.ones(2, 3).data * 2).shape
    (2, 3)
    """

    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        return a * mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask


def dropout(a: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Dropout with mininn's generator (see `mininn.manual_seed`); identity when not training.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x = mininn.ones(4, 10)
    >>> F.dropout(x, p=0.5).shape, bool((F.dropout(x, training=False).data == 1).all())
    ((4, 10), True)
    """
    from mininn.tensor import default_generator

    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    a = _tensor(a)
    if not training or p == 0.0:
        return a
    if p == 1.0:
        return a * 0.0
    keep = default_generator().random(a.shape, dtype=np.float32) >= p
    mask = keep.astype(a.dtype) / np.asarray(1.0 - p, dtype=a.dtype)
    return Dropout.apply(a, mask=mask)


class BatchNorm(Function):
    """Normalise each feature over the batch (and spatial) axes, then scale and shift.

    Training: the batch's mean and biased variance, computed by the forward kernel and written
    into `mean` and `var`. Evaluation: `mean` and `var` are the given running statistics.
    x: (N, C) or (N, C, L...); weight, bias: (C,). The arithmetic runs in Numba kernels over
    x viewed as (N, C, M); `mininn.kernels.norm` holds them and the NumPy references.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x = mininn.randn(8, 3, 4, 4)  # F.batch_norm applies BatchNorm
    >>> F.batch_norm(x, None, None, training=True).shape
    (8, 3, 4, 4)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, eps, batch_stats):
        from mininn.kernels.norm import batch_norm_forward

        x3 = np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)
        y = batch_norm_forward(x3, weight, bias, mean, var, eps, batch_stats)
        ctx.save_for_backward(x3, weight, mean, var)
        ctx.eps, ctx.batch_stats = eps, batch_stats
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.norm import batch_norm_backward

        x3, weight, mean, var = ctx.saved_tensors
        g3 = np.ascontiguousarray(grad).reshape(x3.shape)
        grad_x, grad_w, grad_b = batch_norm_backward(
            g3, x3, weight, mean, var, ctx.eps, ctx.batch_stats
        )
        return grad_x.reshape(grad.shape), grad_w, grad_b


def batch_norm(
    x: Any,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation as in PyTorch; updates the running statistics in place when training.

    The running variance is updated with the unbiased batch variance, the normalisation uses
    the biased one (PyTorch's convention).

    >>> import numpy as np
    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, mean, var = mininn.randn(8, 3), np.zeros(3, np.float32), np.ones(3, np.float32)
    >>> F.batch_norm(x, mean, var, training=True).shape
    (8, 3)
    """
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C) or (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    weight = _tensor(np.ones(c, x.dtype) if weight is None else weight)
    bias = _tensor(np.zeros(c, x.dtype) if bias is None else bias)
    if weight.shape != (c,) or bias.shape != (c,):
        raise ValueError(
            f"batch_norm: input has {c} channels (shape {x.shape}) but weight and bias have "
            f"shapes {weight.shape} and {bias.shape}"
        )
    if training:
        n = x.size // c
        if n < 2:
            raise ValueError(
                f"batch_norm in training mode needs more than one value per channel, got input "
                f"of shape {x.shape}"
            )
        mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)  # the kernel fills them
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
    out = BatchNorm.apply(
        x,
        weight,
        bias,
        mean=mean,
        var=var,
        eps=float(eps),
        batch_stats=bool(training),
    )
    if training and running_mean is not None and running_var is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (n / (n - 1))
    return out


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (kernels in mininn.kernels.conv and mininn.kernels.pool)
# ---------------------------------------------------------------------------------------------


def _pair_arg(value: Any, name: str, where: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each at least `minimum`, as a pair; a clear error otherwise."""
    if isinstance(value, numbers.Integral):
        pair = (value, value)
    else:
        try:
            pair = tuple(value)
        except TypeError:
            pair = ()
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) for v in pair):
        raise TypeError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    if builtins.min(pair) < minimum:
        raise ValueError(f"{where}: {name} must be at least {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _image_batch(x: Tensor, where: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{where} expects a batch of images of shape (N, C, H, W), got {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{where} expects float32 or float64 input, got {x.dtype}")


def _weight_grad(g: np.ndarray, cols: np.ndarray, block: int = 2048) -> np.ndarray:
    """g (O, M) @ cols.T (M, K), summed over blocks of M when the result is small.

    OpenBLAS is slow on one product whose result is tiny and whose inner dimension is long
    (LeNet's first layer: (6, 100352) @ (100352, 25)); the same sum over blocks of 2048
    columns was measured 3-4x faster (2.1 against 0.6 ms), and no faster for larger results.
    Otherwise the product is computed transposed, (cols @ g.T).T: the same numbers, measured
    faster on every layer of the CNN chapters (6.3 against 8.1 ms for (128, 32, 14, 14) -> 64,
    0.5 against 0.9 ms for LeNet's second layer).
    """
    o, m = g.shape
    if o * cols.shape[0] > 1024 or m <= 2 * block:
        return (cols @ g.T).T
    out = g[:, :block] @ cols[:, :block].T
    for start in range(block, m, block):
        out += g[:, start : start + block] @ cols[:, start : start + block].T
    return out


class Conv2d(Function):
    """2-D convolution (cross-correlation) of x (N, C, H, W) with w (O, C, KH, KW): im2col + @.

    Forward: cols = im2col(x) of shape (C*KH*KW, N*OH*OW); out = W @ cols (+ b), reordered
    to (N, O, OH, OW). Backward: dW = dout @ cols^T, dx = col2im(W^T @ dout), db = the sum
    of dout over N, OH and OW (dout flattened to (O, N*OH*OW)).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w = mininn.randn(2, 3, 8, 8), mininn.randn(4, 3, 3, 3)
    >>> F.Conv2d.apply(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1)).shape
    (2, 4, 6, 6)
    """

    @staticmethod
    def forward(ctx, x, w, *bias, stride, padding, dilation):
        from mininn.kernels.conv import columns_to_images, conv_output_size, im2col

        n, c, h, wd = x.shape
        o, _, kh, kw = w.shape
        oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
        ow = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
        cols = im2col(np.ascontiguousarray(x), kh, kw, *stride, *padding, *dilation, oh, ow)
        w2 = w.reshape(o, -1)
        b = bias[0] if bias else np.zeros(o, dtype=x.dtype)
        out = columns_to_images(w2 @ cols, b, n, oh, ow)  # reorder and add bias in one pass
        ctx.save_for_backward(cols, w2)
        ctx.geometry = (x.shape, w.shape, stride, padding, dilation, oh, ow)
        ctx.has_bias = bool(bias)
        return out

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.conv import col2im

        cols, w2 = ctx.saved_tensors
        (n, c, h, wd), wshape, stride, padding, dilation, oh, ow = ctx.geometry
        g = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(wshape[0], -1)  # (O, N*P)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            dcols = w2.T @ g  # (C*KH*KW, N*P)
            grad_x = col2im(dcols, n, c, h, wd, *wshape[2:], *stride, *padding, *dilation, oh, ow)
        if ctx.needs_input_grad[1]:
            grad_w = _weight_grad(g, cols).reshape(wshape)
        if ctx.has_bias:
            return grad_x, grad_w, g.sum(axis=1)
        return grad_x, grad_w


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
) -> Tensor:
    """2-D convolution as in PyTorch: x (N, C, H, W), weight (O, C, KH, KW), bias (O,).

    Returns (N, O, OH, OW) with OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w = mininn.randn(2, 3, 8, 8), mininn.randn(4, 3, 3, 3)
    >>> F.conv2d(x, w, padding=1).shape, F.conv2d(x, w, stride=2).shape
    ((2, 4, 8, 8), (2, 4, 3, 3))
    """
    from mininn.kernels.conv import conv_output_size

    x, weight = _tensor(x), _tensor(weight)
    _image_batch(x, "conv2d")
    stride = _pair_arg(stride, "stride", "conv2d", 1)
    padding = _pair_arg(padding, "padding", "conv2d", 0)
    dilation = _pair_arg(dilation, "dilation", "conv2d", 1)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (O, C, KH, KW), got {weight.shape}")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"conv2d: input of shape {x.shape} has {x.shape[1]} channels, but the weight of "
            f"shape {weight.shape} expects {weight.shape[1]}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(f"conv2d: input is {x.dtype} but weight is {weight.dtype}")
    oh = conv_output_size(x.shape[2], weight.shape[2], stride[0], padding[0], dilation[0])
    ow = conv_output_size(x.shape[3], weight.shape[3], stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"conv2d: a {weight.shape[2]}x{weight.shape[3]} kernel with padding {padding} and "
            f"dilation {dilation} does not fit in a {x.shape[2]}x{x.shape[3]} input"
        )
    if bias is None:
        return Conv2d.apply(x, weight, stride=stride, padding=padding, dilation=dilation)
    bias = _tensor(bias)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return Conv2d.apply(x, weight, bias, stride=stride, padding=padding, dilation=dilation)


def _pool_geometry(kernel_size, stride, padding, where):
    """Kernel, stride (default: the kernel) and padding as checked pairs."""
    kernel = _pair_arg(kernel_size, "kernel_size", where, 1)
    stride = kernel if stride is None else _pair_arg(stride, "stride", where, 1)
    padding = _pair_arg(padding, "padding", where, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{where}: padding {padding} must be at most half the kernel size {kernel}"
        )
    return kernel, stride, padding


def _pool_args(x, kernel_size, stride, padding, where):
    x = _tensor(x)
    _image_batch(x, where)
    kernel, stride, padding = _pool_geometry(kernel_size, stride, padding, where)
    oh = (x.shape[2] + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (x.shape[3] + 2 * padding[1] - kernel[1]) // stride[1] + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{where}: a {kernel} window does not fit in input of shape {x.shape}")
    return x, kernel, stride, padding, oh, ow


class MaxPool2d(Function):
    """Max over each window; backward sends each window's gradient to its first maximum.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.max_pool2d(mininn.randn(2, 3, 8, 8), 2).shape  # applies MaxPool2d
    (2, 3, 4, 4)
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, oh, ow):
        from mininn.kernels.pool import max_pool2d_forward

        x = np.ascontiguousarray(x)
        out, ctx.argmax = max_pool2d_forward(x, *kernel, *stride, *padding, oh, ow)
        ctx.size = x.shape[2:]
        return out

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.pool import max_pool2d_backward

        return (max_pool2d_backward(np.ascontiguousarray(grad), ctx.argmax, *ctx.size),)


class AvgPool2d(Function):
    """Mean over each window (padding counted as zeros); backward spreads the gradient evenly.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.avg_pool2d(mininn.randn(2, 3, 8, 8), 2).shape  # applies AvgPool2d
    (2, 3, 4, 4)
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, oh, ow):
        from mininn.kernels.pool import avg_pool2d_forward

        ctx.args = (kernel, stride, padding, x.shape[2:])
        return avg_pool2d_forward(np.ascontiguousarray(x), *kernel, *stride, *padding, oh, ow)

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.pool import avg_pool2d_backward

        kernel, stride, padding, size = ctx.args
        g = np.ascontiguousarray(grad)
        return (avg_pool2d_backward(g, *kernel, *stride, *padding, *size),)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max pooling as in PyTorch (stride defaults to kernel_size; padding never wins).

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.max_pool2d(mininn.ones(2, 3, 8, 8), 2).shape
    (2, 3, 4, 4)
    """
    x, kernel, stride, padding, oh, ow = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    return MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, oh=oh, ow=ow)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Average pooling as in PyTorch (zero padding included in the mean).

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.avg_pool2d(mininn.ones(2, 3, 8, 8), 3, stride=1, padding=1).shape
    (2, 3, 8, 8)
    """
    x, kernel, stride, padding, oh, ow = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    return AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, oh=oh, ow=ow)


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size; 1 gives global average pooling.

    Supported when the input's height and width are multiples of the output size (then the
    windows are equal and do not overlap, as in PyTorch).

    >>> import mininn
    >>> import mininn.functional as F
    >>> F.adaptive_avg_pool2d(mininn.ones(2, 3, 7, 7), 1).shape
    (2, 3, 1, 1)
    """
    x = _tensor(x)
    _image_batch(x, "adaptive_avg_pool2d")
    out = _pair_arg(output_size, "output_size", "adaptive_avg_pool2d", 1)
    h, w = x.shape[2:]
    if h % out[0] or w % out[1]:
        raise ValueError(
            f"adaptive_avg_pool2d: input size {h}x{w} is not a multiple of output size "
            f"{out[0]}x{out[1]} (mininn supports equal windows only)"
        )
    if out == (1, 1):
        return mean(x, axis=(2, 3), keepdims=True)
    return avg_pool2d(x, (h // out[0], w // out[1]))


# Losses live in mininn.losses (one fused Function each) and are part of this namespace.
from mininn.losses import (  # noqa: E402
    L1,
    MSE,
    BCEWithLogits,
    CrossEntropy,
    Huber,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
)

# Recurrent layers and the embedding lookup live in mininn.functional_rnn (one Function per
# layer and sequence, kernels in mininn.kernels.rnn) and are part of this namespace.
__all__ += ["embedding", "lstm", "gru", "rnn", "Embedding", "LSTM", "GRU", "RNN"]
from mininn.functional_rnn import GRU, LSTM, RNN, Embedding, embedding, gru, lstm, rnn  # noqa: E402
