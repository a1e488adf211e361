"""Batch-normalisation kernels: per-channel statistics, normalise-scale-shift, and backward.

Layout: x viewed as (N, C, M), with M = 1 for (N, C) inputs and M = H*W for images; every
statistic is per channel c, over the N*M values x[:, c, :]. Sums are accumulated in float64,
so the mean and variance of a float32 batch with a million values per channel lose no
digits to the summation order.

Forward (training), for each channel with n = N*M values:

    mean = sum(x) / n,   var = sum((x - mean)^2) / n   (biased, as PyTorch normalises)
    y = (x - mean) * inv_std * weight + bias,   inv_std = 1 / sqrt(var + eps)

Backward, with xhat = (x - mean) * inv_std recomputed instead of stored:

    grad_bias = sum(g),   grad_weight = sum(g * xhat)
    grad_x = weight * inv_std * (g - grad_bias / n - xhat * grad_weight / n)

and, when the statistics were constants (evaluation mode), grad_x = weight * inv_std * g.

Why a kernel: NumPy's `x.mean(axis=(0, 2, 3))`, `x.var(...)` and the backward's two
reductions each walk the whole batch, with temporaries the size of the batch; the kernels
make two passes and allocate only the output. Measured on LeNet-sized and 32/64-channel
batches (128 images) in `mininn bench cnn`-style timing: see the "modern blocks" chapter.

Contract: C-contiguous float32 or float64 arrays of shape (N, C, M); weight, bias (C,).
Shapes are checked by the caller (`mininn.functional.batch_norm`). Serial loops, for the
reason given in `mininn.kernels.conv`. `batch_norm_forward_reference` and
`batch_norm_backward_reference` are the NumPy versions the book derives.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "batch_norm_forward",
    "batch_norm_backward",
    "batch_norm_forward_reference",
    "batch_norm_backward_reference",
]


@njit(cache=True, fastmath={"reassoc", "contract"})
def batch_norm_forward(x, weight, bias, mean, var, eps, batch_stats):  # pragma: no cover
    """Return y (N, C, M) and write the statistics used into `mean`, `var` (C,).

    With batch_stats, the batch's mean and biased variance are computed (and written into
    `mean`, `var`); otherwise `mean` and `var` are read as given (running statistics).
    """
    n_img, n_ch, m = x.shape
    y = np.empty_like(x)
    scale = np.empty(n_ch, dtype=x.dtype)  # in x's dtype, so the last loop stays float32
    shift = np.empty(n_ch, dtype=x.dtype)
    count = n_img * m
    for c in range(n_ch):
        if batch_stats:
            s = 0.0  # float64 accumulators
            for i in range(n_img):
                for j in range(m):
                    s += x[i, c, j]
            mu = s / count
            s2 = 0.0
            for i in range(n_img):
                for j in range(m):
                    d = x[i, c, j] - mu
                    s2 += d * d
            mean[c] = mu
            var[c] = s2 / count
        k = weight[c] / np.sqrt(np.float64(var[c]) + eps)
        scale[c] = k
        shift[c] = bias[c] - mean[c] * k
    for i in range(n_img):
        for c in range(n_ch):
            k, b = scale[c], shift[c]
            for j in range(m):
                y[i, c, j] = x[i, c, j] * k + b
    return y


@njit(cache=True, fastmath={"reassoc", "contract"})
def batch_norm_backward(grad, x, weight, mean, var, eps, batch_stats):  # pragma: no cover
    """Return grad_x (N, C, M), grad_weight (C,), grad_bias (C,)."""
    n_img, n_ch, m = x.shape
    grad_x = np.empty_like(x)
    grad_w = np.empty(n_ch, dtype=x.dtype)
    grad_b = np.empty(n_ch, dtype=x.dtype)
    # grad_x = a * g + b * x + d per channel, coefficients in x's dtype
    ca = np.empty(n_ch, dtype=x.dtype)
    cb = np.empty(n_ch, dtype=x.dtype)
    cd = np.empty(n_ch, dtype=x.dtype)
    count = n_img * m
    for c in range(n_ch):
        mu = np.float64(mean[c])
        inv_std = 1.0 / np.sqrt(np.float64(var[c]) + eps)
        sg = 0.0  # float64 accumulators
        sgx = 0.0
        for i in range(n_img):
            for j in range(m):
                g = grad[i, c, j]
                sg += g
                sgx += g * (x[i, c, j] - mu)
        sgx *= inv_std  # sum(g * xhat)
        grad_b[c] = sg
        grad_w[c] = sgx
        k = weight[c] * inv_std
        if batch_stats:  # k * (g - sg/n - xhat * sgx/n), xhat = (x - mu) * inv_std
            slope = k * inv_std * sgx / count
            ca[c] = k
            cb[c] = -slope
            cd[c] = -k * sg / count + slope * mu
        else:
            ca[c] = k
            cb[c] = 0.0
            cd[c] = 0.0
    for i in range(n_img):
        for c in range(n_ch):
            a, b, d = ca[c], cb[c], cd[c]
            for j in range(m):
                grad_x[i, c, j] = a * grad[i, c, j] + b * x[i, c, j] + d
    return grad_x, grad_w, grad_b


def batch_norm_forward_reference(x, weight, bias, eps=1e-5):
    """NumPy batch norm of (N, C, M) with batch statistics: return y, mean, biased var."""
    mean = x.mean(axis=(0, 2))
    var = x.var(axis=(0, 2))
    xhat = (x - mean[None, :, None]) / np.sqrt(var[None, :, None] + eps)
    return xhat * weight[None, :, None] + bias[None, :, None], mean, var


def batch_norm_backward_reference(grad, x, weight, eps=1e-5):
    """NumPy backward of `batch_norm_forward_reference`: grad_x, grad_weight, grad_bias."""
    n = x.shape[0] * x.shape[2]
    mean = x.mean(axis=(0, 2), keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=(0, 2), keepdims=True) + eps)
    xhat = (x - mean) * inv_std
    grad_b = grad.sum(axis=(0, 2))
    grad_w = (grad * xhat).sum(axis=(0, 2))
    gxhat = grad * weight[None, :, None]
    grad_x = inv_std * (
        gxhat
        - gxhat.sum(axis=(0, 2), keepdims=True) / n
        - xhat * (gxhat * xhat).sum(axis=(0, 2), keepdims=True) / n
    )
    return grad_x, grad_w, grad_b
