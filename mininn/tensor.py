"""Tensor, Function and reverse-mode automatic differentiation.

A `Tensor` holds an ndarray (`.data`) and, after `backward()`, its gradient (`.grad`).
Every differentiable operation is a `Function` with a `forward(ctx, *arrays)` and a
`backward(ctx, grad)` that work on plain ndarrays. `Function.apply` runs `forward` and, when
gradients are wanted, records the inputs in a graph node. `Tensor.backward()` walks that graph
in reverse topological order (iteratively, so a chain of 10,000 operations works) and calls
each `backward`, summing gradients where a tensor is used more than once and summing away
broadcast axes so every gradient has its input's shape.
"""

from __future__ import annotations

import contextlib
import numbers
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "Tensor",
    "Function",
    "Context",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "manual_seed",
    "default_generator",
    "tensor",
    "zeros",
    "ones",
    "randn",
    "rand",
]

DEFAULT_DTYPE = np.float32

# ---------------------------------------------------------------------------------------------
# Global state: gradient recording and the random generator
# ---------------------------------------------------------------------------------------------

_state = threading.local()


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block.

    >>> import mininn
    >>> with mininn.no_grad():
    ...     inside = mininn.is_grad_enabled()
    >>> mininn.is_grad_enabled(), inside
    (True, False)
    """
    return getattr(_state, "grad_enabled", True)


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self.prev
        return False


def no_grad() -> _GradMode:
    """Context manager (or decorator) that turns graph recording off.

    >>> import mininn
    >>> x = mininn.ones(2, 3, requires_grad=True)
    >>> with mininn.no_grad():
    ...     y = x * 2      # y.requires_grad is False, nothing is recorded
    >>> y.shape, y.requires_grad
    ((2, 3), False)
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (or decorator) that turns graph recording back on inside `no_grad`.

    >>> import mininn
    >>> x = mininn.ones(3, requires_grad=True)
    >>> with mininn.no_grad():
    ...     with mininn.enable_grad():
    ...         y = x * 2
    >>> y.shape, y.requires_grad
    ((3,), True)
    """
    return _GradMode(True)


_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed mininn's one random generator (used by initialisers, dropout and data shuffling).

    Same seed and same thread count give the same numbers. `default_generator()` returns the
    generator itself.

    >>> import mininn
    >>> mininn.manual_seed(0)
    >>> a = mininn.randn(2, 3)
    >>> mininn.manual_seed(0)
    >>> bool((a.data == mininn.randn(2, 3).data).all())
    True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def default_generator() -> np.random.Generator:
    """The generator that `manual_seed` seeds.

    >>> import mininn
    >>> mininn.manual_seed(0)
    >>> mininn.default_generator().random((2, 3)).shape
    (2, 3)
    """
    return _generator


# ---------------------------------------------------------------------------------------------
# Converting user data to arrays
# ---------------------------------------------------------------------------------------------


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn `data` into an ndarray, refusing what is not numeric.

    Python numbers and lists become float32 (the library's default). NumPy arrays keep a
    floating dtype (float32 or float64; float16 is widened to float32) and integer or bool
    arrays keep theirs (useful for labels and masks). An explicit `dtype` wins.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fiub":
            raise TypeError(f"Tensor dtype must be a real numeric type, got {dtype}")
    is_array = isinstance(data, np.ndarray | np.generic)
    try:
        arr = np.asarray(data)
    except (ValueError, TypeError) as e:
        raise TypeError(
            f"Tensor data must be numeric; could not convert {type(data).__name__}: {e}"
        ) from e
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"Tensor data must be numbers (int, float or bool); got an array of dtype "
            f"{arr.dtype} from {type(data).__name__}"
        )
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if not is_array:
        return arr.astype(DEFAULT_DTYPE)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    return arr


# ---------------------------------------------------------------------------------------------
# Function and its context
# ---------------------------------------------------------------------------------------------


class Context:
    """What a Function's forward leaves for its backward.

    `save_for_backward(*arrays)` stores arrays, read back as `saved_tensors`. Any other
    attribute (`ctx.axis = axis`) can be set freely. `needs_input_grad[i]` says whether input
    `i` wants a gradient, so backward can skip work.

    >>> import numpy as np
    >>> from mininn import Context
    >>> ctx = Context(needs_input_grad=(True, False))
    >>> ctx.save_for_backward(np.zeros((2, 3)))
    >>> [a.shape for a in ctx.saved_tensors], ctx.needs_input_grad
    ([(2, 3)], (True, False))
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[np.ndarray, ...] = ()

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        self.saved_tensors = arrays


class _Node:
    """A recorded application of a Function: what backward needs to continue the walk."""

    __slots__ = ("fn", "ctx", "inputs")

    def __init__(self, fn: type[Function], ctx: Context, inputs: tuple[Tensor, ...]):
        self.fn, self.ctx, self.inputs = fn, ctx, inputs


class Function:
    """A differentiable operation on ndarrays.

    Subclasses define two static methods::

        class Mul(Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, grad):
                a, b = ctx.saved_tensors
                return grad * b, grad * a

    and are called with `Mul.apply(x, y)`. Positional arguments are the inputs (Tensors, or
    numbers and arrays taken as constants); keyword arguments are passed to `forward` as
    settings (`Sum.apply(x, axis=0)`). `backward` returns one gradient per positional input,
    of that input's shape or broadcastable to it, or None where there is none.

    >>> import numpy as np
    >>> from mininn import Function, Tensor
    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, a):
    ...         ctx.save_for_backward(a)
    ...         return a * a
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (a,) = ctx.saved_tensors
    ...         return (2 * a * grad,)
    >>> x = Tensor(np.ones((2, 3)), requires_grad=True)
    >>> y = Square.apply(x)
    >>> y.sum().backward()
    >>> y.shape, x.grad.shape
    ((2, 3), (2, 3))
    """

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError  # abstract: every Function defines its own

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError  # abstract: every Function defines its own

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        needs = tuple(t.requires_grad for t in tensors)
        record = is_grad_enabled() and any(needs)
        ctx = Context(needs)
        out = cls.forward(ctx, *(t.data for t in tensors), **kwargs)
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        result = Tensor._wrap(out, requires_grad=record)
        if record:
            result._node = _Node(cls, ctx, tensors)
        return result


# ---------------------------------------------------------------------------------------------
# Tensor
# ---------------------------------------------------------------------------------------------


def _sum_to_shape(grad: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """Undo broadcasting: sum `grad` over the axes that broadcasting added or stretched."""
    if grad.shape == shape:
        return grad
    try:
        np.broadcast_shapes(grad.shape, shape)
    except ValueError:
        raise ValueError(
            f"{where}: backward returned a gradient of shape {grad.shape} for an input of "
            f"shape {shape}; it must have the input's shape (or broadcast to it)"
        ) from None
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(
            f"{where}: backward returned a gradient of shape {grad.shape} with fewer axes than "
            f"its input's shape {shape}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise ValueError(
            f"{where}: backward returned a gradient of shape {grad.shape} for an input of "
            f"shape {shape}"
        )
    return grad


def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor `root` depends on, each after all the tensors it depends on.

    Iterative depth-first search: deep graphs (long chains) do not hit Python's recursion
    limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, children_done = stack.pop()
        if children_done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        if t._node is not None:
            for parent in t._node.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data : number, nested list, ndarray or Tensor
        Numbers and lists become float32; NumPy float arrays keep float32/float64; integer
        and bool arrays keep their dtype. Strings and other objects are refused (TypeError).
    requires_grad : bool
        Record operations on this tensor so `backward()` can fill `.grad`. Only floating
        tensors can require gradients.
    dtype : optional
        Force a dtype (for example ``np.float64`` for gradient checks).

    >>> import mininn
    >>> x = mininn.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.shape, x.dtype
    ((2, 2), dtype('float32'))
    >>> (x * x).sum().backward()
    >>> x.grad.shape
    (2, 2)
    """

    __array_priority__ = 1000  # ndarray op Tensor -> Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._node: _Node | None = None
        self._retain = False
        self.requires_grad = bool(requires_grad)

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        t = cls.__new__(cls)
        t.data, t.grad, t._node, t._retain = array, None, None, False
        t._requires_grad = requires_grad
        return t

    # -- attributes ---------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients; this one has dtype "
                f"{self.data.dtype}"
            )
        if not value and self._node is not None:
            raise RuntimeError(
                "requires_grad can only be turned off on a leaf tensor; use .detach() instead"
            )
        self._requires_grad = bool(value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements (as NumPy's `size`)."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an operation."""
        return self._node is None

    @property
    def grad_fn(self) -> type[Function] | None:
        """The Function that produced this tensor, or None for a leaf."""
        return None if self._node is None else self._node.fn

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != DEFAULT_DTYPE:
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node.fn.__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __hash__(self) -> int:  # comparisons return tensors, so hash by identity
        return id(self)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a Tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all() on .data"
            )
        return bool(self.data)

    # -- conversions --------------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied), like PyTorch's `.numpy()`."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, got shape {self.shape}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        """A tensor sharing the same data, cut from the graph (no gradient flows through)."""
        return Tensor._wrap(self.data, requires_grad=False)

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to `dtype`, without gradient tracking."""
        return Tensor(self.data.astype(dtype), dtype=dtype)

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor after `backward()` (useful for teaching)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retain = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # -- backward -----------------------------------------------------------------------------

    def backward(self, grad: Any = None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires it.

        For a one-element tensor (a loss) `grad` defaults to 1. For any other shape pass
        `grad`, the gradient of some scalar with respect to this tensor, of this tensor's
        shape. Gradients are added to leaves' `.grad` (call `zero_grad` between steps).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient only works on a one-element tensor (a "
                    f"scalar loss), but this tensor has shape {self.shape}. Reduce it first "
                    f"(for example y.sum().backward()), or pass the gradient of the final "
                    f"scalar with respect to it, an array of shape {self.shape}: "
                    f"y.backward(np.ones({self.shape}))"
                )
            grad = np.ones_like(self.data)
        else:
            grad = _as_array(grad)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward(grad): grad has shape {grad.shape} but the tensor has shape "
                    f"{self.shape}; they must match"
                )
            grad = grad.astype(self.data.dtype, copy=False)

        grads: dict[int, np.ndarray] = {id(self): grad}
        for t in reversed(_topological_order(self)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._node is None or t._retain:
                t.grad = g.copy() if t.grad is None else t.grad + g
            if t._node is None:
                continue
            node = t._node
            where = f"{node.fn.__name__}.backward"
            in_grads = node.fn.backward(node.ctx, g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if len(in_grads) != len(node.inputs):
                raise RuntimeError(
                    f"{where} returned {len(in_grads)} gradients for {len(node.inputs)} inputs"
                )
            for inp, ig in zip(node.inputs, in_grads, strict=True):
                if ig is None or not inp.requires_grad:
                    continue
                ig = _sum_to_shape(np.asarray(ig), inp.shape, where).astype(
                    inp.data.dtype, copy=False
                )
                prev = grads.get(id(inp))
                grads[id(inp)] = ig if prev is None else prev + ig

    # -- operators ----------------------------------------------------------------------------
    # The differentiable operations live in mininn.functional (imported as F at the bottom).

    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return F.pow(base, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # Comparisons give bool tensors and are never differentiated.
    def _compare(self, other: Any, op: Any) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(op(self.data, other)))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # -- methods ------------------------------------------------------------------------------

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return F.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return F.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return F.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two axes (by default the last two), as PyTorch's `transpose`."""
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims: int) -> Tensor:
        """Reorder all axes, as PyTorch's `permute` (NumPy's `transpose(axes)`)."""
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            dims = tuple(dims[0])
        return F.permute(self, dims)

    @property
    def T(self) -> Tensor:  # noqa: N802 - the conventional name
        """All axes reversed (the matrix transpose for 2-D tensors)."""
        return F.permute(self, tuple(reversed(range(self.ndim))))

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def relu(self) -> Tensor:
        return F.relu(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def sqrt(self) -> Tensor:
        return F.pow(self, 0.5)

    def abs(self) -> Tensor:
        return F.abs(self)


# ---------------------------------------------------------------------------------------------
# Creation helpers
# ---------------------------------------------------------------------------------------------


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Same as `Tensor(data, requires_grad, dtype)`, the spelling PyTorch readers expect.

    >>> import mininn
    >>> t = mininn.tensor([[1, 2, 3]], dtype="float32")
    >>> t.shape, t.dtype
    ((1, 3), dtype('float32'))
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE) -> Tensor:
    """A Tensor of zeros of the given shape (``zeros(2, 3)`` or ``zeros((2, 3))``), float32 by
    default.

    >>> import mininn
    >>> mininn.zeros(2, 3).shape
    (2, 3)
    """
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE) -> Tensor:
    """A Tensor of ones of the given shape (``ones(2, 3)`` or ``ones((2, 3))``), float32 by
    default.

    >>> import mininn
    >>> mininn.ones(2).data
    array([1., 1.], dtype=float32)
    """
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def randn(*shape: Any, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE) -> Tensor:
    """Standard normal samples from mininn's generator (see `manual_seed`).

    >>> import mininn
    >>> mininn.manual_seed(0)
    >>> x = mininn.randn(2, 3)
    >>> x.shape, x.dtype
    ((2, 3), dtype('float32'))
    """
    data = _generator.standard_normal(_shape(shape)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE) -> Tensor:
    """Uniform samples in [0, 1) from mininn's generator (see `manual_seed`).

    >>> import mininn
    >>> mininn.manual_seed(0)
    >>> x = mininn.rand(4, 5)
    >>> x.shape, bool((x.data >= 0).all() and (x.data < 1).all())
    ((4, 5), True)
    """
    data = _generator.random(_shape(shape)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


from mininn import functional as F  # noqa: E402  (functional needs Tensor defined first)
