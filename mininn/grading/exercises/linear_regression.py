"""Graded exercises of the linear-regression chapter: loss, gradient, fits and features.

Each reference is computed here in float64 from the case's inputs, with NumPy code written
independently of the model solutions (lstsq for the fit, a batch loop for SGD, np.vander for
the powers), never by the student's code.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-4, 1e-10  # relative-error tolerances suited to each precision


# ---------------------------------------------------------------------------------------------
# 1. The mean squared error and its gradient
# ---------------------------------------------------------------------------------------------


def _mse_reference(X, y, w, b):
    X, y, w = (np.asarray(a, dtype=np.float64) for a in (X, y, w))
    r = X @ w + float(b) - y
    n = len(y)
    return float(np.mean(r * r)), 2.0 / n * (X.T @ r), float(2.0 / n * r.sum())


def _mse_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, X, y, w, b, hidden=False):
        loss, gw, gb = _mse_reference(X, y, w, b)
        tol = F32 if X.dtype == np.float32 else F64
        return Case(name, (X, y, w, b), (loss, gw.astype(X.dtype), gb), tol, hidden)

    def data(n, d, scale=1.0):
        X = rng.standard_normal((n, d)) * scale
        return X, rng.standard_normal(n) * scale, rng.standard_normal(d), float(rng.normal())

    X, y, w, b = data(8, 3)
    X32, y32, w32 = (a.astype(np.float32) for a in data(10, 4)[:3])
    Xi = rng.integers(-3, 4, size=(6, 2)).astype(np.float64)  # exact arithmetic: loss is 0
    wi = np.array([2.0, -1.0])
    Xl, yl, wl, _ = data(12, 3)
    return [
        case("random data, N = 8, D = 3", X, y, w, b),
        case("float32 inputs", X32, y32, w32, 0.5),
        case("a single example (N = 1)", X[:1], y[:1], w, b),
        case("one feature (D = 1)", X[:, :1], y, w[:1], b),
        case("a perfect fit: zero loss and gradients", Xi, Xi @ wi + 3.0, wi, 3.0),
        case("large values", Xl * 1e3, yl * 1e6, wl, 1e4),
        case("N = 50, D = 6", *data(50, 6), hidden=True),
        case("zero parameters", X, y, np.zeros(3), 0.0, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. The least-squares fit with a bias
# ---------------------------------------------------------------------------------------------


def _fit_reference(X, y):
    A = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=np.float64)])  # bias first
    theta, *_ = np.linalg.lstsq(A, np.asarray(y, dtype=np.float64), rcond=None)
    return theta[1:], float(theta[0])


def _fit_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, X, y, hidden=False, rtol=1e-8):
        return Case(name, (X, y), _fit_reference(X, y), rtol, hidden)

    def noisy(n, d, scales=None):
        X = rng.standard_normal((n, d)) * (1.0 if scales is None else np.asarray(scales))
        y = X @ rng.standard_normal(d) + rng.normal() + 0.1 * rng.standard_normal(n)
        return X, y

    x_line = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    X_sq = rng.standard_normal((4, 3))
    return [
        case("noisy data, N = 20, D = 3", *noisy(20, 3)),
        case("points on the line y = 2x - 1", x_line, 2.0 * x_line[:, 0] - 1.0),
        case("as many parameters as examples (N = D + 1)", X_sq, rng.standard_normal(4)),
        case("features of different scales", *noisy(30, 3, scales=[1.0, 50.0, 0.05])),
        case("one feature with an offset", *noisy(15, 1, scales=[10.0])),
        case("N = 60, D = 5", *noisy(60, 5), hidden=True),
        case("targets far from zero", noisy(25, 2)[0], 1e3 + rng.standard_normal(25), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. One epoch of minibatch SGD
# ---------------------------------------------------------------------------------------------


def _sgd_reference(X, y, w, b, lr, batch_size, order):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w, b = np.array(w, dtype=np.float64), float(b)
    n_batches = -(-len(order) // batch_size)
    for k in range(n_batches):
        idx = np.asarray(order[k * batch_size : (k + 1) * batch_size])
        r = X[idx] @ w + b - y[idx]
        grad_w = 2.0 * (X[idx].T @ r) / len(idx)
        grad_b = 2.0 * r.sum() / len(idx)
        w = w - lr * grad_w
        b = b - lr * grad_b
    return w, b


def _sgd_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, n, d, lr, batch_size, order=None, hidden=False):
        X = rng.standard_normal((n, d))
        y = X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n)
        w, b = rng.standard_normal(d) * 0.1, 0.0
        order = rng.permutation(n) if order is None else order
        args = (X, y, w, b, lr, batch_size, order)
        return Case(name, args, _sgd_reference(*args), F64, hidden)

    return [
        case("N = 12, batches of 4, shuffled order", 12, 3, 0.1, 4),
        case("batch size 1 (one update per example)", 8, 2, 0.05, 1),
        case("last batch smaller: N = 10, batches of 4", 10, 3, 0.1, 4),
        case("one batch: batch size larger than N", 10, 2, 0.2, 32),
        case("order 0, 1, ..., N - 1", 9, 2, 0.1, 3, order=np.arange(9)),
        case("N = 40, D = 3, batches of 8", 40, 3, 0.05, 8, hidden=True),
        case(
            "N = 7, batches of 3, reversed order",
            7,
            4,
            0.1,
            3,
            order=np.arange(7)[::-1].copy(),
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 4. Standardisation with constant columns
# ---------------------------------------------------------------------------------------------


def _standardize_reference(X):
    X64 = np.asarray(X, dtype=np.float64)
    mean = X64.mean(axis=0)
    std = np.sqrt(((X64 - mean) ** 2).mean(axis=0))
    std = np.where(std == 0, 1.0, std)
    Z = (X64 - mean) / std
    return Z.astype(X.dtype), mean.astype(X.dtype), std.astype(X.dtype)


def _standardize_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, X, hidden=False, rtol=F64):
        return Case(name, (X,), _standardize_reference(X), rtol, hidden)

    X = rng.standard_normal((10, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    with_constant = rng.standard_normal((8, 3))
    with_constant[:, 1] = 2.5  # exactly representable: its mean is exactly 2.5
    with_zeros = rng.standard_normal((6, 2))
    with_zeros[:, 0] = 0.0
    # Offsets +-0.5, ..., +-3.5 around 1e8: the column means are exactly 1e8, but x^2 is so
    # large that the one-pass formula mean(x^2) - mean(x)^2 loses every digit.
    offsets = np.arange(-3.5, 4.0)
    big = 1e8 + np.column_stack([rng.permutation(offsets), rng.permutation(offsets) * 2])
    return [
        case("random (10, 3) with different scales", X),
        case("a constant column", with_constant),
        case("a column of zeros", with_zeros),
        case("a single row: every column is constant", X[:1]),
        case("float32 inputs", X.astype(np.float32), rtol=F32),
        case("large offset: 1e8 plus small deviations", big),
        case("(50, 5) with mixed scales", rng.standard_normal((50, 5)) * 3.0 + 7.0, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Polynomial features
# ---------------------------------------------------------------------------------------------


def _poly_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, x, degree, hidden=False):
        ref = np.vander(x.astype(np.float64), degree + 1, increasing=True)[:, 1:]
        tol = 1e-6 if x.dtype == np.float32 else F64
        return Case(name, (x, degree), ref.astype(x.dtype), tol, hidden)

    x = rng.uniform(-2, 2, 5)
    return [
        case("five values, degree 3", x, 3),
        case("degree 1: a single column", x, 1),
        case("degree 0: no columns", x, 0),
        case("zero and negative values, degree 4", np.array([-2.0, -1.0, 0.0, 0.5, 3.0]), 4),
        case("float32 input stays float32", x.astype(np.float32), 3),
        case("a single value, degree 6", np.array([1.5]), 6),
        case("20 values in [-1, 1], degree 9", rng.uniform(-1, 1, 20), 9, hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="linreg.mse_and_gradient",
        function="mse_and_gradient",
        points=3,
        chapter="linear_regression",
        title="mean squared error and its gradient",
        hint="compute the residuals once; both gradients are averages of 2 r times an input",
        make_cases=_mse_cases,
    ),
    Exercise(
        id="linreg.normal_equation",
        function="normal_equation",
        points=2,
        chapter="linear_regression",
        title="least-squares fit with a bias",
        hint="append a column of ones, solve the least-squares problem, then split the result",
        make_cases=_fit_cases,
    ),
    Exercise(
        id="linreg.sgd_epoch",
        function="sgd_epoch",
        points=3,
        chapter="linear_regression",
        title="one epoch of minibatch SGD",
        hint="slice `order` into consecutive chunks; average each gradient over its own batch",
        make_cases=_sgd_cases,
    ),
    Exercise(
        id="linreg.standardize",
        function="standardize",
        points=2,
        chapter="linear_regression",
        title="standardise the columns of a matrix",
        hint="column statistics use axis=0; replace a zero standard deviation before dividing",
        make_cases=_standardize_cases,
    ),
    Exercise(
        id="linreg.polynomial_features",
        function="polynomial_features",
        points=2,
        chapter="linear_regression",
        title="polynomial features of a 1-D array",
        hint="broadcast a column of x against a row of exponents 1, ..., degree",
        make_cases=_poly_cases,
    ),
]
