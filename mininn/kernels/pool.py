"""Pooling kernels: max pooling with the position of each maximum, and average pooling.

Layout: x (N, C, H, W) -> (N, C, OH, OW), windows of (KH, KW) with strides (SH, SW).
Padding counts as -inf for max pooling (a padded position never wins) and as zeros for
average pooling (included in the divisor, PyTorch's default `count_include_pad=True`).

Max pooling's backward sends each window's gradient to one position: the *first* maximum in
row-major order, as PyTorch does. This matters on real images: Fashion-MNIST's black
backgrounds give windows full of exact ties, and sending the gradient to every tied
position would multiply it.

Contract: C-contiguous float32 or float64 arrays, shapes checked by the caller
(`mininn.functional.max_pool2d`). The loops run over the N*C image planes, serially, for
the reason given in `mininn.kernels.conv`: a parallel kernel that starts while BLAS threads
still spin waits for a core.
`max_pool2d_reference` and `avg_pool2d_reference` are the plain NumPy versions the book
derives, used to test the kernels.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "max_pool2d_reference",
    "avg_pool2d_reference",
]


@njit(cache=True)
def max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, oh, ow):  # pragma: no cover - compiled
    """Return (out, argmax): argmax holds the flat index iy*W+ix of each window's first max."""
    n_img, n_ch, height, width = x.shape
    out = np.empty((n_img, n_ch, oh, ow), dtype=x.dtype)
    arg = np.empty((n_img, n_ch, oh, ow), dtype=np.int32)
    for p in range(n_img * n_ch):
        n, c = p // n_ch, p % n_ch
        if kh == 2 and kw == 2 and sh == 2 and sw == 2 and ph == 0 and pw == 0:
            for y in range(oh):  # the common 2x2 case, unrolled (first maximum wins ties)
                for xo in range(ow):
                    iy, ix = 2 * y, 2 * xo
                    best, where = x[n, c, iy, ix], iy * width + ix
                    v = x[n, c, iy, ix + 1]
                    if v > best:
                        best, where = v, iy * width + ix + 1
                    v = x[n, c, iy + 1, ix]
                    if v > best:
                        best, where = v, (iy + 1) * width + ix
                    v = x[n, c, iy + 1, ix + 1]
                    if v > best:
                        best, where = v, (iy + 1) * width + ix + 1
                    out[n, c, y, xo] = best
                    arg[n, c, y, xo] = where
            continue
        if ph == 0 and pw == 0:  # every window lies inside the image: no bounds checks
            for y in range(oh):
                for xo in range(ow):
                    iy0, ix0 = y * sh, xo * sw
                    best = x[n, c, iy0, ix0]
                    where = iy0 * width + ix0
                    for i in range(kh):
                        for j in range(kw):
                            v = x[n, c, iy0 + i, ix0 + j]
                            if v > best:
                                best = v
                                where = (iy0 + i) * width + ix0 + j
                    out[n, c, y, xo] = best
                    arg[n, c, y, xo] = where
            continue
        for y in range(oh):
            for xo in range(ow):
                best = -np.inf
                where = -1
                for i in range(kh):
                    iy = y * sh - ph + i
                    if iy < 0 or iy >= height:
                        continue
                    for j in range(kw):
                        ix = xo * sw - pw + j
                        if 0 <= ix < width:
                            v = x[n, c, iy, ix]
                            if v > best or where < 0:
                                best = v
                                where = iy * width + ix
                out[n, c, y, xo] = best
                arg[n, c, y, xo] = where
    return out, arg


@njit(cache=True)
def max_pool2d_backward(grad, arg, height, width):  # pragma: no cover - compiled
    """Scatter grad (N, C, OH, OW) to the recorded maxima of an (N, C, H, W) input."""
    n_img, n_ch, oh, ow = grad.shape
    gx = np.zeros((n_img, n_ch, height * width), dtype=grad.dtype)
    for p in range(n_img * n_ch):
        n, c = p // n_ch, p % n_ch
        for y in range(oh):
            for xo in range(ow):
                gx[n, c, arg[n, c, y, xo]] += grad[n, c, y, xo]
    return gx.reshape(n_img, n_ch, height, width)


@njit(cache=True)
def avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, oh, ow):  # pragma: no cover - compiled
    n_img, n_ch, height, width = x.shape
    out = np.empty((n_img, n_ch, oh, ow), dtype=x.dtype)
    scale = 1.0 / (kh * kw)
    for p in range(n_img * n_ch):
        n, c = p // n_ch, p % n_ch
        for y in range(oh):
            for xo in range(ow):
                acc = 0.0
                for i in range(kh):
                    iy = y * sh - ph + i
                    if iy < 0 or iy >= height:
                        continue
                    for j in range(kw):
                        ix = xo * sw - pw + j
                        if 0 <= ix < width:
                            acc += x[n, c, iy, ix]
                out[n, c, y, xo] = acc * scale
    return out


@njit(cache=True)
def avg_pool2d_backward(grad, kh, kw, sh, sw, ph, pw, height, width):  # pragma: no cover
    n_img, n_ch, oh, ow = grad.shape
    gx = np.zeros((n_img, n_ch, height, width), dtype=grad.dtype)
    scale = 1.0 / (kh * kw)
    for p in range(n_img * n_ch):
        n, c = p // n_ch, p % n_ch
        for y in range(oh):
            for xo in range(ow):
                g = grad[n, c, y, xo] * scale
                for i in range(kh):
                    iy = y * sh - ph + i
                    if iy < 0 or iy >= height:
                        continue
                    for j in range(kw):
                        ix = xo * sw - pw + j
                        if 0 <= ix < width:
                            gx[n, c, iy, ix] += g
    return gx


# ---------------------------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------------------------


def _windows(x, kernel, stride, padding, fill):
    """All pooling windows as an (N, C, OH, OW, KH*KW) array (a copy), padded with `fill`."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    win = np.empty((n, c, oh, ow, kh * kw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            win[..., i * kw + j] = xp[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw]
    return win


def max_pool2d_reference(x, kernel, stride=None, padding=(0, 0)):
    """Max over each window; also the (i*KW + j) offset of its first maximum."""
    stride = kernel if stride is None else stride
    win = _windows(x, kernel, stride, padding, -np.inf)
    return win.max(axis=-1), win.argmax(axis=-1)


def avg_pool2d_reference(x, kernel, stride=None, padding=(0, 0)):
    stride = kernel if stride is None else stride
    return _windows(x, kernel, stride, padding, 0.0).mean(axis=-1)
