"""Graded exercises of the pooling chapter: forward and backward passes of max pooling and of
average pooling, and a classifier on top of global average pooling.

Every reference is computed here in float64 from the case's inputs, by loops that follow the
definitions (one window at a time), never by `mininn` and never by the student's code. Max
pooling's backward sends each window's gradient to its *first* maximum in row-major order,
found by a scalar loop with a strict `>`, as in `mininn` and PyTorch; several cases are built
from small integers and zero backgrounds so that windows are full of exact ties.

Float32 cases use multiples of 1/2 (and windows of 2 x 2 or 4 x 4 where a mean is taken), so
every sum and mean is exact in float32 in any order and the float64 answer rounded to float32
is the only right one. Float64 cases use random normal inputs and a tolerance of 1e-7 where
results are sums that may nearly cancel; max pooling only copies values and is compared
tightly.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64, F64_SUMS = 1e-5, 1e-12, 1e-7


def _size(size: int, k: int, stride: int) -> int:
    return (size - k) // stride + 1


def _halves(rng: np.random.Generator, shape, low: int = -6, high: int = 7) -> np.ndarray:
    """Multiples of 1/2 in [low/2, high/2): exact in float32, with ties."""
    return rng.integers(low, high, shape).astype(np.float32) / 2


def _with_background(rng: np.random.Generator, shape) -> np.ndarray:
    """Float64 images like Fashion-MNIST: zero background, a few repeated bright levels."""
    x = rng.integers(0, 4, shape).astype(np.float64)  # levels 0..3: many exact ties
    x[..., : shape[-2] // 2, : shape[-1] // 2] = 0.0  # a blank quarter: windows of four zeros
    return x


def _first_max(window: np.ndarray) -> tuple[int, int]:
    """(row, column) of the first maximum of a 2-D window, reading row by row."""
    best, where = window[0, 0], (0, 0)
    for a in range(window.shape[0]):
        for b in range(window.shape[1]):
            if window[a, b] > best:  # strict: a later tie never replaces the first maximum
                best, where = window[a, b], (a, b)
    return where


def _forward_reference(x, k, stride, reduce):
    """Each k x k window (no padding) reduced by `reduce` over axes (2, 3), in float64."""
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    out = np.empty((n, c, _size(h, k, stride), _size(w, k, stride)))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
            out[:, :, i, j] = reduce(window)
    return out


def _max_forward_reference(x, k, stride):
    return _forward_reference(x, k, stride, lambda win: win.max(axis=(2, 3)))


def _max_backward_reference(grad, x, k, stride):
    x, g = np.asarray(x, np.float64), np.asarray(grad, np.float64)
    n, c = x.shape[:2]
    dx = np.zeros_like(x)
    for m in range(n):
        for ch in range(c):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    r0, c0 = i * stride, j * stride
                    a, b = _first_max(x[m, ch, r0 : r0 + k, c0 : c0 + k])
                    dx[m, ch, r0 + a, c0 + b] += g[m, ch, i, j]
    return dx


def _avg_forward_reference(x, k, stride):
    return _forward_reference(x, k, stride, lambda win: win.sum(axis=(2, 3)) / (k * k))


def _avg_backward_reference(grad, x, k, stride):
    g = np.asarray(grad, np.float64)
    dx = np.zeros(np.shape(x))
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            share = g[:, :, i, j] / (k * k)
            dx[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += share[
                :, :, None, None
            ]
    return dx


def _grad_for(rng, x, k, stride, halves=False):
    shape = (x.shape[0], x.shape[1], _size(x.shape[2], k, stride), _size(x.shape[3], k, stride))
    if halves or x.dtype == np.float32:
        return _halves(rng, shape).astype(x.dtype)
    return rng.standard_normal(shape)


# Hand-made ties: the first maximum is at (0, 1), (0, 0), (0, 1) and (1, 0) of the four windows.
_TIES = np.array(
    [
        [1.0, 3.0, 5.0, 5.0],
        [3.0, 2.0, 5.0, 5.0],
        [0.0, 2.0, 0.0, 0.0],
        [2.0, 2.0, 4.0, 1.0],
    ]
).reshape(1, 1, 4, 4)


# ---------------------------------------------------------------------------------------------
# 1. Forward pass of max pooling
# ---------------------------------------------------------------------------------------------


def _max_forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, x, k, stride, hidden=False):
        ref = _max_forward_reference(x, k, stride).astype(x.dtype)
        return Case(name, (x, k, stride), ref, F32 if x.dtype == np.float32 else F64, hidden)

    x = rng.standard_normal((2, 3, 6, 6))
    return [
        case("(2, 3, 6, 6), k=2, stride=2", x, 2, 2),
        case("float32 inputs", _halves(rng, (2, 2, 8, 8)), 2, 2),
        case("all values negative", -np.abs(x) - 1.0, 2, 2),
        case("overlapping windows: k=3, stride=1", rng.standard_normal((1, 2, 5, 6)), 3, 1),
        case("gaps between windows: k=2, stride=3", rng.standard_normal((2, 1, 8, 8)), 2, 3),
        case(
            "7 x 7 input, k=2: the last row and column are dropped",
            rng.standard_normal((2, 2, 7, 7)),
            2,
            2,
        ),
        case("a batch of one, a 5 x 8 image", rng.standard_normal((1, 1, 5, 8)), 2, 2),
        case("zero background and ties", _with_background(rng, (2, 2, 8, 8)), 2, 2),
        case("(4, 3, 11, 9), k=3, stride=2", rng.standard_normal((4, 3, 11, 9)), 3, 2, True),
        case("float32, k=4, stride=4", _halves(rng, (3, 2, 12, 16)), 4, 4, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Backward pass of max pooling (ties go to the first maximum)
# ---------------------------------------------------------------------------------------------


def _max_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, x, k, stride, hidden=False, grad=None):
        g = _grad_for(rng, x, k, stride) if grad is None else grad.astype(x.dtype)
        ref = _max_backward_reference(g, x, k, stride).astype(x.dtype)
        tol = F32 if x.dtype == np.float32 else F64_SUMS
        return Case(name, (g, x, k, stride), ref, tol, hidden)

    return [
        case("(2, 3, 6, 6), k=2, stride=2", rng.standard_normal((2, 3, 6, 6)), 2, 2),
        case("float32 inputs", rng.standard_normal((2, 2, 6, 8)).astype(np.float32), 2, 2),
        case(
            "hand-made ties: the first maximum, row by row, wins",
            _TIES,
            2,
            2,
            grad=np.array([[[[10.0, 20.0], [30.0, 40.0]]]]),
        ),
        case("an all-zero image: every window is a four-way tie", np.zeros((1, 2, 4, 6)), 2, 2),
        case("zero background and ties", _with_background(rng, (2, 2, 8, 8)), 2, 2),
        case(
            "overlapping windows with ties: k=3, stride=1",
            _with_background(rng, (1, 2, 6, 6)),
            3,
            1,
        ),
        case("overlapping windows: k=3, stride=2", rng.standard_normal((2, 2, 7, 7)), 3, 2),
        case("gaps between windows: k=2, stride=3", rng.standard_normal((1, 2, 8, 8)), 2, 3),
        case("a batch of one, a 7 x 5 image", rng.standard_normal((1, 1, 7, 5)), 2, 2),
        case("float32 ties, k=3, stride=2", _halves(rng, (3, 2, 9, 9), 0, 3), 3, 2, True),
        case(
            "(4, 3, 10, 12), zero background",
            _with_background(rng, (4, 3, 10, 12)),
            2,
            2,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Forward pass of average pooling
# ---------------------------------------------------------------------------------------------


def _avg_forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, x, k, stride, hidden=False):
        ref = _avg_forward_reference(x, k, stride).astype(x.dtype)
        tol = F32 if x.dtype == np.float32 else F64_SUMS
        return Case(name, (x, k, stride), ref, tol, hidden)

    return [
        case("(2, 3, 6, 6), k=2, stride=2", rng.standard_normal((2, 3, 6, 6)), 2, 2),
        case("float32 inputs", _halves(rng, (2, 2, 8, 8)), 2, 2),
        case(
            "integer-valued float64 input, k=3, stride=3",
            rng.integers(0, 256, (2, 1, 9, 9)).astype(np.float64),
            3,
            3,
        ),
        case("overlapping windows: k=3, stride=1", rng.standard_normal((1, 2, 5, 6)), 3, 1),
        case("gaps between windows: k=2, stride=3", rng.standard_normal((2, 1, 8, 8)), 2, 3),
        case("a batch of one, a 7 x 5 image", rng.standard_normal((1, 1, 7, 5)), 2, 2),
        case("(4, 3, 11, 9), k=3, stride=2", rng.standard_normal((4, 3, 11, 9)), 3, 2, True),
        case("float32, k=4, stride=2", _halves(rng, (2, 3, 10, 12)), 4, 2, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Backward pass of average pooling
# ---------------------------------------------------------------------------------------------


def _avg_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, x, k, stride, hidden=False):
        g = _grad_for(rng, x, k, stride)
        ref = _avg_backward_reference(g, x, k, stride).astype(x.dtype)
        tol = F32 if x.dtype == np.float32 else F64_SUMS
        return Case(name, (g, x, k, stride), ref, tol, hidden)

    return [
        case("(2, 3, 6, 6), k=2, stride=2", rng.standard_normal((2, 3, 6, 6)), 2, 2),
        case("float32 inputs", _halves(rng, (2, 2, 8, 8)), 2, 2),
        case("overlapping windows: k=3, stride=1", rng.standard_normal((1, 2, 5, 6)), 3, 1),
        case("overlapping windows: k=4, stride=2 (float32)", _halves(rng, (2, 1, 8, 10)), 4, 2),
        case("gaps between windows: k=2, stride=3", rng.standard_normal((2, 1, 8, 8)), 2, 3),
        case(
            "7 x 7 input, k=2: the last row and column get nothing",
            rng.standard_normal((1, 2, 7, 7)),
            2,
            2,
        ),
        case("a batch of one, one channel", rng.standard_normal((1, 1, 4, 4)), 2, 2),
        case("(4, 3, 11, 9), k=3, stride=2", rng.standard_normal((4, 3, 11, 9)), 3, 2, True),
    ]


# ---------------------------------------------------------------------------------------------
# 5. A linear classifier on global average pooling
# ---------------------------------------------------------------------------------------------


def _gap_head_reference(x, W, b):
    x, W, b = (np.asarray(a, np.float64) for a in (x, W, b))
    return x.mean(axis=(2, 3)) @ W.T + b


def _gap_head_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, x, W, b, hidden=False):
        ref = _gap_head_reference(x, W, b).astype(x.dtype)
        tol = F32 if x.dtype == np.float32 else F64_SUMS
        return Case(name, (x, W, b), ref, tol, hidden)

    def head(c, k, dtype=np.float64):
        if dtype == np.float32:
            return _halves(rng, (k, c)), _halves(rng, (k,))
        return rng.standard_normal((k, c)), rng.standard_normal(k)

    return [
        case("N=3, C=4, 5 x 5 maps, 10 classes", rng.standard_normal((3, 4, 5, 5)), *head(4, 10)),
        case("float32 inputs, 4 x 4 maps", _halves(rng, (2, 3, 4, 4)), *head(3, 5, np.float32)),
        case("a batch of one, 1 x 1 maps", rng.standard_normal((1, 6, 1, 1)), *head(6, 3)),
        case("non-square 3 x 7 maps", rng.standard_normal((2, 2, 3, 7)), *head(2, 4)),
        case(
            "zero weights: the logits are b",
            rng.standard_normal((2, 3, 4, 4)),
            np.zeros((5, 3)),
            rng.standard_normal(5),
        ),
        case(
            "N=8, C=32, 7 x 7 maps", rng.standard_normal((8, 32, 7, 7)), *head(32, 10), hidden=True
        ),
    ]


EXERCISES = [
    Exercise(
        id="pooling.max_pool_forward",
        function="max_pool_forward",
        points=2,
        chapter="pooling",
        title="forward pass of max pooling",
        hint="loop over output positions (i, j); the window starts at row i*stride, col j*stride",
        make_cases=_max_forward_cases,
    ),
    Exercise(
        id="pooling.max_pool_backward",
        function="max_pool_backward",
        points=3,
        chapter="pooling",
        title="backward pass of max pooling, ties included",
        hint="add each window's gradient at its first maximum only; np.argmax returns the first",
        make_cases=_max_backward_cases,
    ),
    Exercise(
        id="pooling.avg_pool_forward",
        function="avg_pool_forward",
        points=2,
        chapter="pooling",
        title="forward pass of average pooling",
        hint="the same loop as max pooling, with the mean of each window",
        make_cases=_avg_forward_cases,
    ),
    Exercise(
        id="pooling.avg_pool_backward",
        function="avg_pool_backward",
        points=2,
        chapter="pooling",
        title="backward pass of average pooling",
        hint="each window adds grad / k**2 to all of its k*k positions (+= for overlaps)",
        make_cases=_avg_backward_cases,
    ),
    Exercise(
        id="pooling.global_avg_pool_head",
        function="global_avg_pool_head",
        points=2,
        chapter="pooling",
        title="a linear classifier on global average pooling",
        hint="average over the last two axes to get (N, C), then a linear layer: @ W.T + b",
        make_cases=_gap_head_cases,
    ),
]
