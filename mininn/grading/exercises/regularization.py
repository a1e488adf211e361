"""Graded exercises of the regularisation chapter: penalties, dropout, batch normalisation,
early stopping and data augmentation, written by hand in NumPy.

Each reference is computed here in float64 from the case's inputs, with a two-pass variance
for batch normalisation (never by the student's code).
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances suited to each precision


# ---------------------------------------------------------------------------------------------
# L1 and L2 penalties
# ---------------------------------------------------------------------------------------------


def _penalty_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, weights, l1, l2, hidden=False):
        dtype = weights[0].dtype
        w64 = [w.astype(np.float64) for w in weights]
        value = sum(l1 * np.abs(w).sum() + 0.5 * l2 * (w * w).sum() for w in w64)
        grads = tuple((l1 * np.sign(w) + l2 * w).astype(dtype) for w in w64)
        tol = F32 if dtype == np.float32 else F64
        return Case(name, (list(weights), l1, l2), (float(value), grads), tol, hidden)

    w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    with_zeros = rng.standard_normal((3, 5)) * rng.integers(0, 2, (3, 5))
    return [
        case("L2 only, two matrices", [w1, w2], 0.0, 0.1),
        case("L1 only, two matrices", [w1, w2], 0.01, 0.0),
        case("both penalties", [w1, w2], 0.003, 0.05),
        case("L1 at exact zeros: sign(0) = 0", [with_zeros], 0.5, 0.0),
        case("float32 weights", [w1.astype(np.float32), w2.astype(np.float32)], 0.01, 0.1),
        case("no penalty", [w1], 0.0, 0.0),
        case("a single weight", [np.array([[-2.0]])], 0.25, 1.0),
        case(
            "three layers",
            [rng.standard_normal(s) for s in ((6, 5), (5, 5), (3, 5))],
            1e-3,
            1e-2,
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------


def _dropout_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, x, grad, keep, p, training, hidden=False):
        if not training:
            ref = (x.astype(np.float64), grad.astype(np.float64))
        elif p == 1.0:
            ref = (np.zeros(x.shape), np.zeros(x.shape))
        else:
            scale = keep / (1.0 - p)
            ref = (x.astype(np.float64) * scale, grad.astype(np.float64) * scale)
        tol = F32 if x.dtype == np.float32 else F64
        out = tuple(r.astype(x.dtype) for r in ref)
        return Case(name, (x, grad, keep, p, training), out, tol, hidden)

    x, g = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))

    def mask(shape, p):
        return rng.random(shape) >= p

    return [
        case("p = 0.5, training", x, g, mask(x.shape, 0.5), 0.5, True),
        case("p = 0.2, training", x, g, mask(x.shape, 0.2), 0.2, True),
        case("evaluation mode: the identity", x, g, mask(x.shape, 0.5), 0.5, False),
        case("p = 0: nothing dropped", x, g, np.ones(x.shape, bool), 0.0, True),
        case(
            "p = 1: everything dropped, no division by zero",
            x,
            g,
            np.zeros(x.shape, bool),
            1.0,
            True,
        ),  # fmt: skip
        case(
            "float32 inputs",
            x.astype(np.float32),
            g.astype(np.float32),
            mask(x.shape, 0.3),
            0.3,
            True,
        ),  # fmt: skip
        case(
            "a 3-D batch, p = 0.9",
            rng.standard_normal((2, 3, 5)),
            rng.standard_normal((2, 3, 5)),
            mask((2, 3, 5), 0.9),
            0.9,
            True,
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------------------------


def _bn_reference(x, gamma, beta, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)  # two passes: no cancellation for large offsets
    xhat = (x - mean) / np.sqrt(var + eps)
    return xhat * gamma.astype(np.float64) + beta.astype(np.float64), mean, var


def _bn_forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, x, gamma, beta, eps=1e-5, tol=F64, hidden=False):
        out, mean, var = _bn_reference(x, gamma, beta, eps)
        ref = tuple(r.astype(x.dtype) for r in (out, mean, var))
        return Case(name, (x, gamma, beta, eps), ref, tol, hidden)

    x = rng.standard_normal((8, 3)) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 2.0, 3), rng.standard_normal(3)
    # float32: multiples of 1/8 keep mean and variance exact, so only the square root rounds
    x32 = (rng.integers(-24, 25, (4, 5)) / 8).astype(np.float32)
    constant = np.column_stack([rng.standard_normal(5), np.full(5, 3.0)])
    return [
        case("a batch of 8 with 3 features", x, gamma, beta),
        case("gamma = 1, beta = 0: standardised output", x, np.ones(3), np.zeros(3)),
        case("float32 inputs", x32, np.ones(5, np.float32), np.zeros(5, np.float32), tol=F32),
        case(
            "a constant feature (variance 0)", constant, np.array([1.5, 2.0]), np.array([0.0, -1.0])
        ),  # fmt: skip
        case("a batch of 2", x[:2], gamma, beta),
        case("large offset: use the two-pass variance", x + 1e8, gamma, beta, tol=1e-6),
        case("eps = 0.1", x * 0.1, gamma, beta, eps=0.1),
        case(
            "64 examples, 10 features",
            rng.standard_normal((64, 10)) * 3 - 2,
            rng.standard_normal(10),
            rng.standard_normal(10),
            hidden=True,
        ),  # fmt: skip
    ]


def _bn_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def reference(grad, x, gamma, eps):
        g, x, gamma = (a.astype(np.float64) for a in (grad, x, gamma))
        mean = x.mean(axis=0)
        inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=0) + eps)
        xhat = (x - mean) * inv_std
        gxhat = g * gamma
        dx = inv_std * (gxhat - gxhat.mean(axis=0) - xhat * (gxhat * xhat).mean(axis=0))
        return dx, (g * xhat).sum(axis=0), g.sum(axis=0)

    def case(name, grad, x, gamma, eps=1e-5, tol=1e-7, hidden=False):
        ref = tuple(r.astype(x.dtype) for r in reference(grad, x, gamma, eps))
        return Case(name, (grad, x, gamma, eps), ref, tol, hidden)

    x = rng.standard_normal((6, 4)) * 1.5 + 0.5
    g = rng.standard_normal((6, 4))
    gamma = rng.uniform(0.5, 2.0, 4) * rng.choice([-1, 1], 4)
    return [
        case("a batch of 6 with 4 features", g, x, gamma),
        case("gamma = 1", g, x, np.ones(4)),
        case("gamma = 0: no gradient reaches x", g, x, np.zeros(4)),
        # dx is zero up to rounding here, so the relative error is measured against 1e-8
        case("a constant upstream gradient: dx = 0", np.ones((6, 4)), x, gamma, tol=1e-5),
        case("a batch of 3", g[:3], x[:3], gamma),
        case("eps = 0.5", g, x * 0.3, gamma, eps=0.5),
        case(
            "32 examples, 7 features",
            rng.standard_normal((32, 7)),
            rng.standard_normal((32, 7)) * 4 + 3,
            rng.standard_normal(7),
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Data augmentation: shifts
# ---------------------------------------------------------------------------------------------


def _shift_reference(images, shifts):
    out = np.zeros_like(images)
    n, h, w = images.shape
    for k in range(n):
        dy, dx = int(shifts[k, 0]), int(shifts[k, 1])
        for i in range(h):
            for j in range(w):
                if 0 <= i - dy < h and 0 <= j - dx < w:
                    out[k, i, j] = images[k, i - dy, j - dx]
    return out


def _shift_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, images, shifts, hidden=False):
        shifts = np.asarray(shifts, dtype=np.int64)
        return Case(name, (images, shifts), _shift_reference(images, shifts), F64, hidden)

    imgs = rng.random((3, 5, 6))
    return [
        case("three images, mixed shifts", imgs, [[1, 0], [0, -2], [-1, 2]]),
        case("zero shifts: unchanged", imgs, np.zeros((3, 2))),
        case("a batch of one, shifted down and right", imgs[:1], [[2, 3]]),
        case("shift larger than the image: all zeros", imgs[:2], [[5, 0], [0, -7]]),
        case(
            "uint8 images keep their dtype",
            rng.integers(0, 256, (2, 4, 4), dtype=np.uint8),
            [[-1, -1], [1, 1]],
        ),  # fmt: skip
        case(
            "float32 28x28 images",
            rng.random((4, 28, 28)).astype(np.float32),
            rng.integers(-3, 4, (4, 2)),
        ),  # fmt: skip
        case(
            "eight images, random shifts",
            rng.random((8, 7, 7)),
            rng.integers(-4, 5, (8, 2)),
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Early stopping
# ---------------------------------------------------------------------------------------------


def _early_stopping_reference(losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(losses):
        if epoch == 0 or value < best:  # False for NaN
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(losses) - 1, best_epoch


def _early_stopping_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, losses, patience, hidden=False):
        losses = np.asarray(losses, dtype=np.float64)
        ref = _early_stopping_reference(losses, patience)
        return Case(name, (losses, patience), ref, 0.0, hidden)

    epochs = np.arange(40)
    u_shape = 0.5 + 0.002 * (epochs - 12) ** 2 + 0.01 * rng.standard_normal(40)
    return [
        case("a U-shaped curve, patience 5", u_shape, 5),
        case("always improving: never stops", np.linspace(1.0, 0.1, 10), 3),
        case("patience 1: the first bad epoch stops", [1.0, 0.8, 0.9, 0.7], 1),
        case("a tie is not an improvement", [1.0, 0.5, 0.5, 0.5, 0.4], 2),
        case("a NaN loss is never an improvement", [0.9, 0.6, np.nan, np.nan, 0.5], 2),
        case("a single epoch", [0.3], 4),
        case("a late improvement resets the count", [1.0, 0.9, 0.95, 0.97, 0.85, 0.9, 0.91], 3),
        case(
            "a noisy curve, patience 3",
            1.0 / (1 + epochs[:25]) + 0.05 * rng.random(25),
            3,
            hidden=True,
        ),  # fmt: skip
    ]


EXERCISES = [
    Exercise(
        id="reg.penalty_and_grads",
        function="penalty_and_grads",
        points=2,
        chapter="regularization",
        title="L1 and L2 penalties and their gradients",
        hint="the derivative of |w| is the sign of w (0 at w = 0); that of w squared over 2 is w",
        make_cases=_penalty_cases,
    ),
    Exercise(
        id="reg.dropout_forward_backward",
        function="dropout_forward_backward",
        points=2,
        chapter="regularization",
        title="inverted dropout, forward and backward",
        hint="kept entries are scaled by 1 / (1 - p) in both passes; treat p = 1 and eval apart",
        make_cases=_dropout_cases,
    ),
    Exercise(
        id="reg.batchnorm_forward",
        function="batchnorm_forward",
        points=2,
        chapter="regularization",
        title="batch normalisation, forward pass",
        hint="average over axis 0; compute the variance from x - mean, not from E[x^2] - mean^2",
        make_cases=_bn_forward_cases,
    ),
    Exercise(
        id="reg.batchnorm_backward",
        function="batchnorm_backward",
        points=3,
        chapter="regularization",
        title="batch normalisation, backward pass",
        hint="recompute xhat; dx needs the batch means of gamma * grad and gamma * grad * xhat",
        make_cases=_bn_backward_cases,
    ),
    Exercise(
        id="reg.random_shift",
        function="random_shift",
        points=2,
        chapter="regularization",
        title="shift a batch of images, filling with zeros",
        hint="pixel (i, j) of the result comes from (i - dy, j - dx) when that is inside",
        make_cases=_shift_cases,
    ),
    Exercise(
        id="reg.early_stopping_epoch",
        function="early_stopping_epoch",
        points=2,
        chapter="regularization",
        title="when early stopping stops, and which epoch it keeps",
        hint="keep the best loss so far and count the epochs since it last strictly improved",
        make_cases=_early_stopping_cases,
    ),
]
