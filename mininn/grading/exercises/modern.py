"""Graded exercises of the modern-blocks chapter: batch normalisation of images (forward and
backward), folding a trained batch norm into the convolution before it, the receptive field
of a stack of layers, and the forward pass of a residual block.

Every reference is computed here in float64 from the case's inputs, channel by channel or
pixel by pixel with explicit loops that follow the chapter's formulas, never with mininn and
never with the student's code. The variance is the mean of squared deviations from the mean
(two passes), so a case whose values sit far from zero (1000 plus noise of 0.001) has a
right answer that the one-pass formula E[x^2] - E[x]^2 cannot reach in float64.

Float64 cases use a relative tolerance of 1e-7 (results are sums that may nearly cancel);
float32 cases are built so that every result is exact or nearly so (values +-d around a
mean, eps = 0) and use 1e-5. Receptive fields are integers, compared exactly.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-7


def _channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance of (N, C, H, W), two passes, in float64."""
    x = np.asarray(x, np.float64)
    c = x.shape[1]
    mean, var = np.empty(c), np.empty(c)
    for ch in range(c):
        values = x[:, ch].ravel()
        mean[ch] = values.sum() / values.size
        var[ch] = ((values - mean[ch]) ** 2).sum() / values.size
    return mean, var


def _plus_minus(rng: np.random.Generator, shape) -> np.ndarray:
    """float32 images whose channel c holds a_c - d_c and a_c + d_c, half each, shuffled:
    mean a_c and variance d_c**2 exactly, so with eps = 0 batch norm gives exactly +-1."""
    n, c, h, w = shape
    x = np.empty(shape, np.float32)
    for ch in range(c):
        a, d = rng.integers(-4, 5) / 2, rng.integers(1, 5) / 2
        signs = np.repeat([-1.0, 1.0], n * h * w // 2)
        rng.shuffle(signs)
        x[:, ch] = (a + d * signs).reshape(n, h, w)
    return x


# ---------------------------------------------------------------------------------------------
# 1. Batch normalisation of images, forward (training mode)
# ---------------------------------------------------------------------------------------------


def _bn_forward_reference(x, gamma, beta, eps):
    mean, var = _channel_stats(x)
    x64 = np.asarray(x, np.float64)
    y = np.empty_like(x64)
    for ch in range(x64.shape[1]):
        y[:, ch] = (x64[:, ch] - mean[ch]) / np.sqrt(var[ch] + eps) * gamma[ch] + beta[ch]
    return y, mean, var


def _bn_forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, x, gamma, beta, eps=1e-5, hidden=False):
        y, mean, var = _bn_forward_reference(x, gamma, beta, eps)
        dt = np.asarray(x).dtype
        tol = F32 if dt == np.float32 else F64
        ref = (y.astype(dt), mean.astype(dt), var.astype(dt))
        return Case(name, (x, gamma, beta, eps), ref, tol, hidden)

    def affine(c, dtype=np.float64):
        return rng.uniform(0.5, 2, c).astype(dtype), rng.standard_normal(c).astype(dtype)

    x = rng.standard_normal((4, 3, 5, 5)) * 2 + 1
    const = rng.standard_normal((3, 2, 4, 4))
    const[:, 1] = 2.5  # channel 1 is constant: variance 0, the output is beta
    far = 1000 + 1e-3 * rng.standard_normal((8, 2, 6, 6))
    return [
        case("(4, 3, 5, 5), gamma and beta random", x, *affine(3)),
        case("gamma = 1, beta = 0: mean 0 and variance 1", x, np.ones(3), np.zeros(3)),
        case("float32 inputs, eps = 0: outputs exactly +-gamma + beta",
             _plus_minus(rng, (4, 2, 3, 4)), *affine(2, np.float32), eps=0.0),  # fmt: skip
        case("a batch of one image: statistics over its pixels", rng.standard_normal((1, 4, 6, 6)),
             *affine(4)),  # fmt: skip
        case("1 x 1 images: statistics over the batch only", rng.standard_normal((6, 3, 1, 1)),
             *affine(3)),  # fmt: skip
        case("a constant channel: variance 0, output beta", const, *affine(2)),
        case("values 1000 + 0.001 * noise: compute the variance from deviations", far,
             *affine(2), eps=1e-12),  # fmt: skip
        case("(16, 8, 7, 7)", rng.standard_normal((16, 8, 7, 7)) * 3, *affine(8), hidden=True),
        case("non-square (5, 2, 3, 9), eps = 0.1", rng.standard_normal((5, 2, 3, 9)),
             *affine(2), eps=0.1, hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 2. Batch normalisation of images, backward (training mode)
# ---------------------------------------------------------------------------------------------


def _bn_backward_reference(grad, x, gamma, eps):
    mean, var = _channel_stats(x)
    x64, g = np.asarray(x, np.float64), np.asarray(grad, np.float64)
    gx = np.empty_like(x64)
    c = x64.shape[1]
    g_gamma, g_beta = np.empty(c), np.empty(c)
    for ch in range(c):
        inv_std = 1.0 / np.sqrt(var[ch] + eps)
        xhat = (x64[:, ch] - mean[ch]) * inv_std
        gc = g[:, ch]
        n = gc.size
        g_beta[ch] = gc.sum()
        g_gamma[ch] = (gc * xhat).sum()
        gx[:, ch] = gamma[ch] * inv_std * (gc - g_beta[ch] / n - xhat * g_gamma[ch] / n)
    return gx, g_gamma, g_beta


def _bn_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, grad, x, gamma, eps=1e-5, hidden=False, tol=None):
        dt = np.asarray(x).dtype
        ref = tuple(r.astype(dt) for r in _bn_backward_reference(grad, x, gamma, eps))
        tol = tol or (F32 if dt == np.float32 else F64)
        return Case(name, (grad, x, gamma, eps), ref, tol, hidden)

    def inputs(shape, dtype=np.float64):
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        return rng.standard_normal(shape).astype(dtype), x, rng.uniform(0.5, 2, shape[1])

    g, x, gamma = inputs((4, 3, 5, 5))
    x32 = _plus_minus(rng, (4, 2, 2, 4))
    g32 = (rng.integers(-4, 5, x32.shape) / 2).astype(np.float32)
    return [
        case("(4, 3, 5, 5)", g, x, gamma),
        # grad_x and grad_gamma are 0 up to rounding: an absolute error of 1e-13 is allowed
        case("gradient of the sum of outputs: grad_x is 0", np.ones_like(x), x, gamma, tol=1e-5),
        case("gamma = 0: grad_x is 0, grad_gamma is not", g, x, np.zeros(3)),
        case("float32, values +-d around the mean, eps = 0", g32, x32,
             np.array([1.0, 0.5], np.float32), eps=0.0),  # fmt: skip
        case("a batch of one image", *inputs((1, 2, 6, 6))),
        case("1 x 1 images", *inputs((8, 3, 1, 1))),
        case("(16, 8, 7, 7)", *inputs((16, 8, 7, 7)), hidden=True),
        case("non-square (3, 2, 5, 2), eps = 0.1", *inputs((3, 2, 5, 2)), eps=0.1, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Fold an evaluation-mode batch norm into the convolution before it
# ---------------------------------------------------------------------------------------------


def _fold_reference(w, b, gamma, beta, mean, var, eps):
    w64 = np.asarray(w, np.float64)
    wf, bf = np.empty_like(w64), np.empty(w64.shape[0])
    for o in range(w64.shape[0]):
        scale = gamma[o] / np.sqrt(var[o] + eps)
        wf[o] = w64[o] * scale
        bf[o] = (b[o] - mean[o]) * scale + beta[o]
    return wf, bf


def _fold_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, w, b, gamma, beta, mean, var, eps=1e-5, hidden=False):
        dt = np.asarray(w).dtype
        ref = tuple(r.astype(dt) for r in _fold_reference(w, b, gamma, beta, mean, var, eps))
        tol = F32 if dt == np.float32 else F64
        return Case(name, (w, b, gamma, beta, mean, var, eps), ref, tol, hidden)

    def bn(o, dtype=np.float64):
        return tuple(
            a.astype(dtype)
            for a in (rng.uniform(0.5, 2, o), rng.standard_normal(o),
                      rng.standard_normal(o), rng.uniform(0.25, 4, o))
        )  # fmt: skip

    w = rng.standard_normal((4, 3, 3, 3))
    gamma, beta, mean, var = bn(4)
    return [
        case("(4, 3, 3, 3) weights with a bias", w, rng.standard_normal(4), gamma, beta, mean, var),
        case("no bias in the convolution (b = 0)", w, np.zeros(4), gamma, beta, mean, var),
        case("gamma = 0: the folded layer outputs beta", w, rng.standard_normal(4), np.zeros(4),
             beta, mean, var),  # fmt: skip
        case("variance 0 somewhere: eps keeps it finite", w, np.zeros(4), gamma, beta, mean,
             np.array([0.0, 1.0, 0.0, 2.0])),  # fmt: skip
        case("a 1 x 1 convolution", rng.standard_normal((6, 2, 1, 1)), rng.standard_normal(6),
             *bn(6)),  # fmt: skip
        case("float32, variance 3.99999 + eps = 4", np.full((2, 1, 2, 2), 1.5, np.float32),
             np.array([0.5, -1.0], np.float32), np.array([2.0, 1.0], np.float32),
             np.array([0.25, 0.0], np.float32), np.array([1.5, -1.0], np.float32),
             np.array([4.0 - 1e-5, 1.0 - 1e-5], np.float32)),  # fmt: skip
        case("(8, 5, 5, 5), eps = 0.001", rng.standard_normal((8, 5, 5, 5)),
             rng.standard_normal(8), *bn(8), eps=1e-3, hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 4. The receptive field of a stack of convolutions and poolings
# ---------------------------------------------------------------------------------------------


def _receptive_field_reference(layers) -> int:
    size, jump = 1, 1  # one output pixel sees `size` input pixels; neighbours are `jump` apart
    for layer in layers:
        kind, k, stride = layer[0], int(layer[1]), int(layer[2])
        dilation = int(layer[3]) if kind == "conv" and len(layer) > 3 else 1
        size += (k - 1) * dilation * jump
        jump *= stride
    return size


def _receptive_field_cases(seed: int) -> list[Case]:
    def case(name, layers, hidden=False):
        return Case(name, (layers,), _receptive_field_reference(layers), 0.0, hidden)

    conv3 = ("conv", 3, 1)
    pool = ("pool", 2, 2)
    vgg = [conv3, conv3, pool, conv3, conv3, pool, conv3, conv3, conv3, pool]
    return [
        case("no layers: a pixel sees itself", []),
        case("one 3 x 3 convolution", [conv3]),
        case("two 3 x 3 convolutions see as far as one 5 x 5", [conv3, conv3]),
        case("three 3 x 3 convolutions", [conv3, conv3, conv3]),
        case("convolution, 2 x 2 pooling, convolution", [conv3, pool, conv3]),
        case("LeNet: 5 x 5 conv, pool, 5 x 5 conv, pool",
             [("conv", 5, 1), pool, ("conv", 5, 1), pool]),  # fmt: skip
        case("a strided 3 x 3 convolution, then another", [("conv", 3, 2), conv3]),
        case("a dilated convolution (dilation 2) after a 3 x 3 one", [conv3, ("conv", 3, 1, 2)]),
        case("three VGG blocks", vgg, hidden=True),
        case("stride 2 twice, then a 7 x 7 convolution",
             [("conv", 3, 2), ("pool", 3, 2), ("conv", 7, 1)], hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 5. The forward pass of a residual block
# ---------------------------------------------------------------------------------------------


def _conv_same(x, w):
    """Stride-1 cross-correlation with 'same' zero padding (odd kernels), by pixel loops."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ph, pw = kh // 2, kw // 2
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    out = np.zeros((n, o, h, wd))
    for i in range(h):
        for j in range(wd):
            patch = xp[:, :, i : i + kh, j : j + kw].reshape(n, -1)  # (N, C*KH*KW)
            out[:, :, i, j] = patch @ w.reshape(o, -1).T
    return out


def _residual_reference(x, w1, w2, w_skip):
    h = np.maximum(_conv_same(x, w1), 0.0)
    body = _conv_same(h, w2)
    skip = np.asarray(x, np.float64) if w_skip is None else _conv_same(x, w_skip)
    return np.maximum(body + skip, 0.0)


def _residual_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, x, w1, w2, w_skip=None, hidden=False):
        dt = np.asarray(x).dtype
        ref = _residual_reference(x, w1, w2, w_skip).astype(dt)
        return Case(name, (x, w1, w2, w_skip), ref, F32 if dt == np.float32 else F64, hidden)

    def weights(o, c, k=3, scale=0.3):
        return rng.standard_normal((o, c, k, k)) * scale

    x = rng.standard_normal((2, 3, 5, 5))
    halves = (rng.integers(-3, 4, (1, 2, 4, 4)) / 2).astype(np.float32)
    return [
        case("identity shortcut, (2, 3, 5, 5)", x, weights(3, 3), weights(3, 3)),
        case("w2 = 0: the block is relu(x)", x, weights(3, 3), np.zeros((3, 3, 3, 3))),
        case("3 -> 5 channels with a 1 x 1 projection shortcut", x, weights(5, 3),
             weights(5, 5), weights(5, 3, 1)),  # fmt: skip
        case("float32, multiples of 1/2", halves,
             (rng.integers(-2, 3, (2, 2, 3, 3)) / 2).astype(np.float32),
             (rng.integers(-2, 3, (2, 2, 3, 3)) / 4).astype(np.float32)),  # fmt: skip
        case("a 1 x 1 image", rng.standard_normal((3, 2, 1, 1)), weights(2, 2), weights(2, 2)),
        case("5 x 5 kernels inside the block", rng.standard_normal((1, 2, 6, 6)),
             weights(2, 2, 5, 0.1), weights(2, 2, 5, 0.1)),  # fmt: skip
        case("(4, 4, 7, 7), projection to 8 channels", rng.standard_normal((4, 4, 7, 7)),
             weights(8, 4), weights(8, 8), weights(8, 4, 1), hidden=True),  # fmt: skip
    ]


EXERCISES = [
    Exercise(
        id="modern.batch_norm2d_forward",
        function="batch_norm2d_forward",
        points=3,
        chapter="modern",
        title="batch normalisation of images, forward: (y, mean, var) per channel",
        hint="statistics over axes (0, 2, 3); var = mean of (x - mean)**2, not E[x^2] - E[x]^2",
        make_cases=_bn_forward_cases,
    ),
    Exercise(
        id="modern.batch_norm2d_backward",
        function="batch_norm2d_backward",
        points=3,
        chapter="modern",
        title="batch normalisation of images, backward: (grad_x, grad_gamma, grad_beta)",
        hint="the 1-d formula with sums over (0, 2, 3) and n = N*H*W values per channel",
        make_cases=_bn_backward_cases,
    ),
    Exercise(
        id="modern.fold_batch_norm",
        function="fold_batch_norm",
        points=2,
        chapter="modern",
        title="fold an evaluation-mode batch norm into the convolution before it",
        hint="scale = gamma / sqrt(var + eps); w * scale per output channel; (b - mean) * scale "
        "+ beta",
        make_cases=_fold_cases,
    ),
    Exercise(
        id="modern.receptive_field",
        function="receptive_field",
        points=2,
        chapter="modern",
        title="the receptive field of a stack of convolutions and poolings",
        hint="keep the view size and the jump between neighbours; a layer widens the view by "
        "(k - 1) dilated steps of the current jump, and its stride multiplies the jump",
        make_cases=_receptive_field_cases,
    ),
    Exercise(
        id="modern.residual_block",
        function="residual_block",
        points=2,
        chapter="modern",
        title="the forward pass of a residual block",
        hint="relu(conv(relu(conv(x, w1)), w2) + skip), 'same' padding k // 2, skip = x or a "
        "1 x 1 conv",
        make_cases=_residual_cases,
    ),
]
