"""Graded exercises of the convolution chapter: output sizes, receptive fields, the forward
pass, im2col, and the two halves of the backward pass of a 2-D convolution.

Every reference is computed here in float64 from the case's inputs by loops over the output
positions that follow the definition (a window of the padded input times the kernel), never
by im2col and never by the student's code. Float32 cases use inputs that are multiples of 1/2
with small magnitudes, so every product and every partial sum is exact in float32 in any
order, and the float64 answer rounded to float32 is the only right one. Float64 cases use
random normal inputs and a tolerance of 1e-7, loose enough for any summation order of the
few dozen products in each entry.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64_SUMS = 1e-5, 1e-7


def _size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    span = dilation * (kernel - 1) + 1  # width of the dilated kernel
    room = size + 2 * padding - span  # how far the kernel can slide
    return room // stride + 1 if room >= 0 else 0


# ---------------------------------------------------------------------------------------------
# Loops over output positions: the definition of the convolution and of its gradients
# ---------------------------------------------------------------------------------------------


def _windows(x_shape, w_shape, stride, padding, dilation):
    """For every output position (y, xo): the slices of the padded input it reads."""
    _, _, h, wd = x_shape
    _, _, kh, kw = w_shape
    oh = _size(h, kh, stride, padding, dilation)
    ow = _size(wd, kw, stride, padding, dilation)
    for y in range(oh):
        for xo in range(ow):
            rows = slice(y * stride, y * stride + dilation * (kh - 1) + 1, dilation)
            cols = slice(xo * stride, xo * stride + dilation * (kw - 1) + 1, dilation)
            yield y, xo, rows, cols


def _pad(x, p):
    return np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (p, p), (p, p)))


def _forward_reference(x, w, b, stride, padding, dilation=1):
    xp, w = _pad(x, padding), np.asarray(w, np.float64)
    n, o = x.shape[0], w.shape[0]
    oh = _size(x.shape[2], w.shape[2], stride, padding, dilation)
    ow = _size(x.shape[3], w.shape[3], stride, padding, dilation)
    out = np.empty((n, o, oh, ow))
    for y, xo, rows, cols in _windows(x.shape, w.shape, stride, padding, dilation):
        out[:, :, y, xo] = np.einsum("nckl,ockl->no", xp[:, :, rows, cols], w)
    return out + np.asarray(b, np.float64).reshape(1, o, 1, 1)


def _im2col_reference(x, kh, kw, stride, padding, dilation):
    """Column (n, y, xo) is the window of output position (y, xo) of image n, flattened."""
    xp = _pad(x, padding)
    n, c = x.shape[:2]
    oh = _size(x.shape[2], kh, stride, padding, dilation)
    ow = _size(x.shape[3], kw, stride, padding, dilation)
    cols = np.empty((c * kh * kw, n, oh, ow))
    for y, xo, rows, cl in _windows(x.shape, (1, c, kh, kw), stride, padding, dilation):
        cols[:, :, y, xo] = xp[:, :, rows, cl].reshape(n, c * kh * kw).T
    return cols.reshape(c * kh * kw, n * oh * ow)


def _backward_reference(grad, x, w, stride, padding):
    """dx, dw, db by the chain rule, one output position at a time."""
    g, w = np.asarray(grad, np.float64), np.asarray(w, np.float64)
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for y, xo, rows, cols in _windows(x.shape, w.shape, stride, padding, 1):
        dxp[:, :, rows, cols] += np.einsum("no,ockl->nckl", g[:, :, y, xo], w)
        dw += np.einsum("no,nckl->ockl", g[:, :, y, xo], xp[:, :, rows, cols])
    h, wd = x.shape[2:]
    return dxp[:, :, padding : padding + h, padding : padding + wd], dw, g.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------------------------------------
# Random inputs
# ---------------------------------------------------------------------------------------------


def _layer(rng, n, c, h, wd, o, k, *, halves=False):
    """x (n, c, h, wd), w (o, c, k, k), b (o,): normal, or small multiples of 1/2 in float32."""
    if halves:
        x = rng.integers(-3, 4, (n, c, h, wd)).astype(np.float32) / 2
        w = rng.integers(-3, 4, (o, c, k, k)).astype(np.float32) / 2
        b = rng.integers(-3, 4, o).astype(np.float32) / 2
        return x, w, b
    x, w = rng.standard_normal((n, c, h, wd)), rng.standard_normal((o, c, k, k))
    return x, w, rng.standard_normal(o)


def _tol(dtype) -> float:
    return F32 if dtype == np.float32 else F64_SUMS


# ---------------------------------------------------------------------------------------------
# 1. Output size
# ---------------------------------------------------------------------------------------------


def _output_size_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, size, kernel, stride, padding, dilation, hidden=False):
        args = (int(size), int(kernel), int(stride), int(padding), int(dilation))
        return Case(name, args, int(_size(*args)), 0.0, hidden)

    low, high = [1, 1, 1, 0, 1], [60, 8, 5, 4, 4]  # size, kernel, stride, padding, dilation
    hidden = [case(f"hidden case {i + 1}", *rng.integers(low, high), hidden=True) for i in range(4)]
    return [
        case("28 pixels, 3x3 kernel, no padding", 28, 3, 1, 0, 1),
        case("'same' padding: 28, kernel 5, padding 2", 28, 5, 1, 2, 1),
        case("stride 2 that does not divide evenly (floor)", 28, 3, 2, 0, 1),
        case("dilation 2", 10, 3, 1, 0, 2),
        case("stride, padding and dilation together", 32, 3, 3, 2, 2),
        case("a 1x1 kernel", 7, 1, 1, 0, 1),
        case("the kernel fits exactly once", 5, 5, 1, 0, 1),
        case("the kernel does not fit: 0", 4, 5, 1, 0, 1),
        case("a dilated kernel that does not fit: 0", 6, 3, 2, 0, 3),
        *hidden,
    ]


# ---------------------------------------------------------------------------------------------
# 2. Receptive field of a stack of convolutions
# ---------------------------------------------------------------------------------------------


def _receptive_field_reference(kernels, strides, dilations) -> int:
    field, jump = 1, 1
    for k, s, d in zip(kernels, strides, dilations, strict=True):
        field += (k - 1) * d * jump
        jump *= s
    return field


def _receptive_field_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, kernels, strides, dilations, hidden=False):
        args = tuple(tuple(int(v) for v in a) for a in (kernels, strides, dilations))
        return Case(name, args, int(_receptive_field_reference(*args)), 0.0, hidden)

    k, s, d = (rng.integers(1, 6, 7), rng.integers(1, 3, 7), rng.integers(1, 3, 7))
    return [
        case("one 3x3 layer", (3,), (1,), (1,)),
        case("three 3x3 layers", (3, 3, 3), (1, 1, 1), (1, 1, 1)),
        case("LeNet-like: 5, pool 2, 5, pool 2", (5, 2, 5, 2), (1, 2, 1, 2), (1, 1, 1, 1)),
        case("a stride before a large kernel", (3, 7), (2, 1), (1, 1)),
        case("dilations 1, 2, 4, 8", (3, 3, 3, 3), (1, 1, 1, 1), (1, 2, 4, 8)),
        case("1x1 layers see one pixel", (1, 1, 1), (2, 2, 1), (1, 1, 1)),
        case("no layers at all", (), (), ()),
        case("a random stack of seven layers", k, s, d, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Forward pass
# ---------------------------------------------------------------------------------------------


def _forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, layer, stride, padding, hidden=False):
        x, w, b = layer
        ref = _forward_reference(x, w, b, stride, padding).astype(x.dtype)
        return Case(name, (x, w, b, int(stride), int(padding)), ref, _tol(x.dtype), hidden)

    return [
        case("N=2, C=3, 6x7 images, O=4, 3x3", _layer(rng, 2, 3, 6, 7, 4, 3), 1, 0),
        case("float32 inputs", _layer(rng, 2, 2, 5, 5, 3, 3, halves=True), 1, 1),
        case("a batch of one", _layer(rng, 1, 2, 5, 6, 2, 3), 1, 0),
        case("padding 1", _layer(rng, 2, 1, 5, 5, 2, 3), 1, 1),
        case("stride 2 with padding 1", _layer(rng, 2, 2, 7, 6, 3, 3), 2, 1),
        case("a 1x1 kernel", _layer(rng, 3, 4, 4, 5, 2, 1), 1, 0),
        case("padding 2 with a 3x3 kernel: corners see only zeros",
             _layer(rng, 1, 1, 4, 4, 1, 3), 1, 2),
        case("a kernel as large as the image", _layer(rng, 2, 2, 4, 4, 3, 4), 1, 0),
        case("hidden: N=3, C=3, 9x8, O=5, 5x5, stride 2, padding 2",
             _layer(rng, 3, 3, 9, 8, 5, 5), 2, 2, hidden=True),
        case("hidden: float32, stride 3", _layer(rng, 2, 2, 8, 8, 2, 2, halves=True), 3, 0,
             hidden=True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 4. im2col
# ---------------------------------------------------------------------------------------------


def _im2col_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, x, kh, kw, stride, padding, dilation, hidden=False):
        ref = _im2col_reference(x, kh, kw, stride, padding, dilation).astype(x.dtype)
        args = (x, int(kh), int(kw), int(stride), int(padding), int(dilation))
        return Case(name, args, ref, 0.0, hidden)  # copies: exact

    def images(*shape, dtype=np.float64):
        return rng.standard_normal(shape).astype(dtype)

    return [
        case("one 4x4 image, 3x3 kernel", np.arange(16.0).reshape(1, 1, 4, 4), 3, 3, 1, 0, 1),
        case("N=2, C=3, 5x6, 2x3 kernel", images(2, 3, 5, 6), 2, 3, 1, 0, 1),
        case("float32 inputs", images(2, 2, 5, 5, dtype=np.float32), 3, 3, 1, 1, 1),
        case("padding 1", images(1, 2, 4, 4), 3, 3, 1, 1, 1),
        case("stride 2", images(2, 1, 7, 7), 3, 3, 2, 0, 1),
        case("dilation 2", images(1, 2, 7, 6), 3, 2, 1, 0, 2),
        case("a 1x1 kernel: the pixels themselves", images(2, 3, 3, 4), 1, 1, 1, 0, 1),
        case("hidden: stride 2, padding 2, dilation 2", images(3, 2, 9, 8), 3, 3, 2, 2, 2,
             hidden=True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 5 and 6. Backward pass: input gradient; weight and bias gradients
# ---------------------------------------------------------------------------------------------


def _backward_layers(rng):
    """(name, grad, x, w, stride, padding, hidden) for the backward exercises."""

    def make(name, n, c, h, wd, o, k, stride, padding, halves=False, hidden=False):
        x, w, _ = _layer(rng, n, c, h, wd, o, k, halves=halves)
        oh = _size(h, k, stride, padding, 1)
        ow = _size(wd, k, stride, padding, 1)
        if halves:
            grad = rng.integers(-3, 4, (n, o, oh, ow)).astype(np.float32) / 2
        else:
            grad = rng.standard_normal((n, o, oh, ow))
        return name, grad, x, w, stride, padding, hidden

    return [
        make("N=2, C=3, 6x7 images, O=4, 3x3", 2, 3, 6, 7, 4, 3, 1, 0),
        make("float32 inputs", 2, 2, 5, 5, 3, 3, 1, 1, halves=True),
        make("a batch of one", 1, 2, 5, 6, 2, 3, 1, 0),
        make("padding 1", 2, 1, 5, 5, 2, 3, 1, 1),
        make("stride 2: the last row and column are never read", 2, 2, 6, 6, 3, 3, 2, 0),
        make("stride 2 with padding 1", 1, 2, 7, 6, 2, 3, 2, 1),
        make("a 1x1 kernel", 3, 4, 4, 5, 2, 1, 1, 0),
        make("hidden: N=3, C=3, 9x8, O=5, 5x5, stride 2, padding 2", 3, 3, 9, 8, 5, 5, 2, 2,
             hidden=True),
        make("hidden: float32, 2x2 kernel, stride 3", 2, 2, 8, 8, 2, 2, 3, 0, halves=True,
             hidden=True),
    ]  # fmt: skip


def _backward_input_cases(seed: int) -> list[Case]:
    cases = []
    for name, grad, x, w, stride, padding, hidden in _backward_layers(case_rng(seed, 5)):
        dx = _backward_reference(grad, x, w, stride, padding)[0].astype(x.dtype)
        args = (grad, x, w, int(stride), int(padding))
        cases.append(Case(name, args, dx, _tol(x.dtype), hidden))
    return cases


def _backward_weight_cases(seed: int) -> list[Case]:
    cases = []
    for name, grad, x, w, stride, padding, hidden in _backward_layers(case_rng(seed, 6)):
        _, dw, db = _backward_reference(grad, x, w, stride, padding)
        args = (grad, x, w, int(stride), int(padding))
        ref = (dw.astype(x.dtype), db.astype(x.dtype))
        cases.append(Case(name, args, ref, _tol(x.dtype), hidden))
    return cases


EXERCISES = [
    Exercise(
        id="convolution.output_size",
        function="output_size",
        points=2,
        chapter="convolution",
        title="output size of a convolution",
        hint="count the positions where the dilated kernel fits inside the padded input",
        make_cases=_output_size_cases,
    ),
    Exercise(
        id="convolution.receptive_field",
        function="receptive_field",
        points=2,
        chapter="convolution",
        title="receptive field of a stack of convolutions",
        hint="each layer adds (k - 1) * d times the product of the strides of the layers below",
        make_cases=_receptive_field_cases,
    ),
    Exercise(
        id="convolution.conv2d_forward",
        function="conv2d_forward",
        points=3,
        chapter="convolution",
        title="forward pass of a convolution with stride and padding",
        hint="pad once with np.pad, then loop over output positions and sum window * kernel",
        make_cases=_forward_cases,
    ),
    Exercise(
        id="convolution.im2col",
        function="im2col",
        points=3,
        chapter="convolution",
        title="im2col: every receptive field as a column",
        hint="row (c, i, j), column (n, y, x): loop over the kernel offsets (i, j) and slice",
        make_cases=_im2col_cases,
    ),
    Exercise(
        id="convolution.conv2d_backward_input",
        function="conv2d_backward_input",
        points=3,
        chapter="convolution",
        title="gradient of a convolution with respect to its input",
        hint="each output gradient, times the kernel, is added back onto the window it read",
        make_cases=_backward_input_cases,
    ),
    Exercise(
        id="convolution.conv2d_backward_weight",
        function="conv2d_backward_weight",
        points=3,
        chapter="convolution",
        title="gradients of a convolution with respect to its weight and bias",
        hint="dw adds up output gradient times window over all positions; db sums grad",
        make_cases=_backward_weight_cases,
    ),
]
