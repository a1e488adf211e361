"""Convolution kernels: im2col and col2im in Numba, the matrix products through BLAS.

Layout (as in PyTorch): images x (N, C, H, W), weights w (O, C, KH, KW), outputs
(N, O, OH, OW). With K = C*KH*KW and P = OH*OW, a whole batch's convolution is one matrix
product::

    cols = im2col(x)                 (K, N*P)   every receptive field as a column
    out  = w.reshape(O, K) @ cols    (O, N*P)   then reordered to (N, O, OH, OW)

and its backward two more products and col2im, which adds each column back onto the pixels
it was read from::

    dW    = dout (O, N*P) @ cols.T   (O, K)
    dcols = w.reshape(O, K).T @ dout (K, N*P),   dx = col2im(dcols)

Contract of the kernels: C-contiguous float32 or float64 arrays, shapes already checked by
the caller (`mininn.functional.conv2d`), output sizes from `conv_output_size`.

What was measured to make them fast (2 cores, `mininn bench cnn`): one large product per
pass beats a stack of N small ones (6.6 against 8.1 ms for the forward product of the
(128, 32, 14, 14) -> 64 layer); the loops run over the rows of cols outermost, so each row
is written (im2col) or read (col2im) in one sequential pass, with plain element loops: for
LeNet's second layer 1.1 ms against 3.3 ms for a loop over images outermost with slice
copies, and 2.0 against 3.3 ms for col2im. The kernels are serial on purpose:
right after a BLAS product, OpenBLAS's worker threads keep spinning, and a `parallel=True`
kernel started then waited for a core, which made LeNet's training step three times
slower (about 5.5 s against 1.6 s for 10,000 images) than these serial kernels.

`im2col_reference`, `col2im_reference` and `conv2d_reference` are the plain NumPy versions
the book derives (a loop over the KH*KW filter offsets only), used to test the kernels.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "conv_output_size",
    "columns_to_images",
    "im2col",
    "col2im",
    "im2col_reference",
    "col2im_reference",
    "conv2d_reference",
]


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@njit(cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):  # pragma: no cover - compiled
    """x (N, C, H, W) -> cols (C*KH*KW, N*OH*OW).

    Row (c, i, j), column (n, y, xo) holds x[n, c, y*sh - ph + i*dh, xo*sw - pw + j*dw], or 0
    where that falls in the padding. Each row of cols is written in one sequential pass.
    """
    n_img, n_ch, height, width = x.shape
    p = oh * ow
    cols = np.empty((n_ch * kh * kw, n_img * p), dtype=x.dtype)
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for n in range(n_img):
                    for y in range(oh):
                        iy = y * sh - ph + i * dh
                        base = n * p + y * ow
                        if iy < 0 or iy >= height:
                            for xo in range(ow):
                                cols[row, base + xo] = 0
                        else:
                            for xo in range(ow):
                                ix = xo * sw - pw + j * dw
                                cols[row, base + xo] = x[n, c, iy, ix] if 0 <= ix < width else 0
    return cols


@njit(cache=True)
def col2im(
    cols, n_img, n_ch, height, width, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow
):  # pragma: no cover
    """The adjoint of im2col: add every entry of cols (C*KH*KW, N*OH*OW) back onto its pixel.

    Each row of cols is read in one sequential pass.
    """
    p = oh * ow
    x = np.zeros((n_img, n_ch, height, width), dtype=cols.dtype)
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for n in range(n_img):
                    for y in range(oh):
                        iy = y * sh - ph + i * dh
                        if iy < 0 or iy >= height:
                            continue
                        base = n * p + y * ow
                        for xo in range(ow):
                            ix = xo * sw - pw + j * dw
                            if 0 <= ix < width:
                                x[n, c, iy, ix] += cols[row, base + xo]
    return x


@njit(cache=True)
def columns_to_images(y, bias, n_img, oh, ow):  # pragma: no cover - compiled
    """(O, N*OH*OW) product -> (N, O, OH, OW) images, adding bias (O,) in the same pass."""
    n_out = y.shape[0]
    p = oh * ow
    out = np.empty((n_img, n_out, oh, ow), dtype=y.dtype)
    flat = out.reshape(n_img, n_out, p)
    for n in range(n_img):
        for o in range(n_out):
            b = bias[o]
            base = n * p
            for t in range(p):
                flat[n, o, t] = y[o, base + t] + b
    return out


# ---------------------------------------------------------------------------------------------
# NumPy references (what the book derives; the kernels are tested against them)
# ---------------------------------------------------------------------------------------------


def im2col_reference(x, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Plain NumPy im2col: one strided slice per filter offset (i, j)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = x.shape
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, :, i, j] = xp[:, :, top : top + sh * oh : sh, left : left + sw * ow : sw]
    return cols.reshape(n, c * kh * kw, oh * ow).transpose(1, 0, 2).reshape(c * kh * kw, -1)


def col2im_reference(cols, shape, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Plain NumPy col2im: the same slices as im2col_reference, added instead of read."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = shape
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    cols = cols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            xp[:, :, top : top + sh * oh : sh, left : left + sw * ow : sw] += cols[:, :, i, j]
    return xp[:, :, ph : ph + h, pw : pw + w]


def conv2d_reference(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Convolution (cross-correlation, as in every DL library) by im2col_reference and @."""
    o, _, kh, kw = w.shape
    n, _, h, wd = x.shape
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    cols = im2col_reference(x, (kh, kw), stride, padding, dilation)  # (C*KH*KW, N*OH*OW)
    out = (w.reshape(o, -1) @ cols).reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    if b is not None:
        out = out + b.reshape(1, o, 1, 1)
    return out
