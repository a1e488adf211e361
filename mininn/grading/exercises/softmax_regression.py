"""Graded exercises of the softmax-regression chapter: the pieces of a linear classifier.

Each reference is computed here in float64 from the case's inputs, with trusted NumPy code
(`np.logaddexp.reduce` for log-sum-exp, `np.eye` for one-hot rows), never with the student's
code. Float32 cases compute the reference from the float32 inputs (converted to float64) and
compare with a single-precision tolerance. Several cases hold logits around +-1e4 or rows
whose logits differ by hundreds, where the textbook formulas overflow or take log(0).
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-9  # relative-error tolerances suited to each precision


def _tol(x: np.ndarray) -> float:
    return F32 if x.dtype == np.float32 else F64


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64, with NumPy's own stable log-sum-exp."""
    Z = np.asarray(Z, dtype=np.float64)
    return Z - np.logaddexp.reduce(Z, axis=1)[:, None]


def _softmax(Z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(Z))


def _one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes)[np.asarray(y, dtype=np.int64)]


def _labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, n).astype(np.int64)


# Logits that break the textbook formulas: two rows around +1e4 and -1e4 (exp overflows or
# underflows everywhere), and a row whose entries differ by hundreds (exp of the smallest
# underflows to 0, so log(softmax) is log(0) = -inf).
HUGE = np.array(
    [
        [10000.0, 10002.0, 9999.0, 10001.5],
        [-10000.0, -10003.0, -9998.5, -10001.0],
        [0.0, 900.0, -900.0, 450.0],
    ]
)
HUGE_Y = np.array([0, 3, 2], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# One-hot encoding
# ---------------------------------------------------------------------------------------------


def _one_hot_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, y, c, hidden=False):
        return Case(name, (y, c), _one_hot(y, c), F64, hidden)

    return [
        case("labels 0..3 in shuffled order, 4 classes", rng.permutation(4).astype(np.int64), 4),
        case("12 labels, 10 classes (some classes absent)", _labels(rng, 12, 10), 10),
        case("a batch of one: label 2 of 3 classes", np.array([2]), 3),
        case("every label is the last class", np.full(5, 6, dtype=np.int64), 7),
        case("two classes, as for yes/no questions", np.array([1, 0, 0, 1, 1]), 2),
        case("an empty batch: shape (0,) gives (0, 5)", np.zeros(0, dtype=np.int64), 5),
        case("200 labels, 10 classes", _labels(rng, 200, 10), 10, hidden=True),
        case("labels 0 and 1 only, 6 classes", np.array([0, 1, 1, 0]), 6, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------------------------


def _softmax_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, Z, hidden=False):
        return Case(name, (Z,), _softmax(Z).astype(Z.dtype), _tol(Z), hidden)

    Z = rng.standard_normal((4, 3)) * 2
    return [
        case("random logits: 4 examples, 3 classes", Z),
        case(
            "float32 logits: 6 examples, 10 classes", rng.normal(0, 3, (6, 10)).astype(np.float32)
        ),
        case("a batch of one", Z[:1]),
        case("equal logits give the uniform distribution", np.full((2, 5), 3.7)),
        case("a single class: every probability is 1", rng.standard_normal((3, 1))),
        case("logits around +1e4 and -1e4, and rows far apart", HUGE),
        case(
            "rows on very different scales", np.array([[1000.0, 1001.0, 999.0], [-3.0, 0.0, 2.0]])
        ),
        case(
            "32 examples, 10 classes, logits up to +-50", rng.normal(0, 20, (32, 10)), hidden=True
        ),
        case(
            "float32 logits around 1e3", (1e3 + rng.normal(0, 5, (5, 4))).astype(np.float32), True
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Cross-entropy loss
# ---------------------------------------------------------------------------------------------


def _cross_entropy_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, Z, y, hidden=False):
        ref = -np.mean(_log_softmax(Z)[np.arange(len(y)), y])
        return Case(name, (Z, y), float(ref), _tol(Z), hidden)

    Z = rng.standard_normal((5, 4)) * 2
    y = _labels(rng, 5, 4)
    return [
        case("random logits: 5 examples, 4 classes", Z, y),
        case(
            "float32 logits: 8 examples, 10 classes",
            rng.normal(0, 3, (8, 10)).astype(np.float32),
            _labels(rng, 8, 10),
        ),
        case("a batch of one", Z[:1], y[:1]),
        case("equal logits: the loss is log(C)", np.zeros((3, 7)), np.array([0, 6, 2])),
        case(
            "confident and right: a loss close to 0", np.array([[40.0, 0.0, -5.0]]), np.array([0])
        ),
        case(
            "confident and wrong: the right class 1000 behind",
            np.array([[0.0, 1000.0], [3.0, -1.0]]),
            np.array([0, 0]),
        ),
        case("logits around +1e4 and -1e4", HUGE, HUGE_Y),
        case("64 examples, 10 classes", rng.normal(0, 4, (64, 10)), _labels(rng, 64, 10), True),
        case(
            "float32 logits, 3 classes",
            rng.normal(0, 5, (6, 3)).astype(np.float32),
            _labels(rng, 6, 3),
            True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Gradient of the mean cross-entropy with respect to the logits
# ---------------------------------------------------------------------------------------------


def _backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, Z, y, hidden=False):
        C = Z.shape[1]
        ref = (_softmax(Z) - _one_hot(y, C)) / len(y)
        return Case(name, (Z, y), ref.astype(Z.dtype), _tol(Z), hidden)

    Z = rng.standard_normal((5, 4)) * 2
    y = _labels(rng, 5, 4)
    return [
        case("random logits: 5 examples, 4 classes", Z, y),
        case(
            "float32 logits: 8 examples, 10 classes",
            rng.normal(0, 3, (8, 10)).astype(np.float32),
            _labels(rng, 8, 10),
        ),
        case("a batch of one", Z[:1], y[:1]),
        case("equal logits", np.zeros((2, 4)), np.array([3, 1])),
        case("logits around +1e4 and -1e4, and rows far apart", HUGE, HUGE_Y),
        case("32 examples, 10 classes", rng.normal(0, 4, (32, 10)), _labels(rng, 32, 10), True),
        case(
            "float32, two classes",
            rng.normal(0, 2, (7, 2)).astype(np.float32),
            _labels(rng, 7, 2),
            True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Accuracy
# ---------------------------------------------------------------------------------------------


def _accuracy_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, Z, y, hidden=False):
        ref = float(np.mean(np.argmax(Z, axis=1) == y))
        return Case(name, (Z, y), ref, 1e-12, hidden)

    Z = rng.standard_normal((20, 5))
    y = np.where(rng.random(20) < 0.6, Z.argmax(axis=1), _labels(rng, 20, 5))
    Z_right = rng.standard_normal((6, 3))
    return [
        case("20 examples, 5 classes, some right", Z, y),
        case("every prediction right", Z_right, Z_right.argmax(axis=1)),
        case("every prediction wrong", Z_right, (Z_right.argmax(axis=1) + 1) % 3),
        case("a batch of one, right", np.array([[0.1, 2.0, -1.0]]), np.array([1])),
        case(
            "float32 logits, 10 classes",
            rng.normal(0, 1, (50, 10)).astype(np.float32),
            _labels(rng, 50, 10),
        ),
        case(
            "1000 examples, 10 classes",
            rng.normal(0, 1, (1000, 10)),
            _labels(rng, 1000, 10),
            hidden=True,
        ),
        case("7 examples, 4 classes", rng.normal(0, 1, (7, 4)), _labels(rng, 7, 4), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# One step of gradient descent for softmax regression
# ---------------------------------------------------------------------------------------------


def _sgd_step_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, W, b, X, y, lr, hidden=False):
        W64, b64, X64 = (a.astype(np.float64) for a in (W, b, X))
        G = (_softmax(X64 @ W64.T + b64) - _one_hot(y, W.shape[0])) / len(y)
        ref = (W64 - lr * (G.T @ X64), b64 - lr * G.sum(axis=0))
        return Case(name, (W, b, X, y, lr), tuple(r.astype(W.dtype) for r in ref), _tol(W), hidden)

    def params(c, d, n, scale=1.0, dtype=np.float64):
        W = (rng.standard_normal((c, d)) * 0.3).astype(dtype)
        b = (rng.standard_normal(c) * 0.3).astype(dtype)
        X = (rng.standard_normal((n, d)) * scale).astype(dtype)
        return W, b, X, _labels(rng, n, c)

    W, b, X, y = params(3, 5, 8)
    return [
        case("3 classes, 5 features, 8 examples, lr = 0.5", W, b, X, y, 0.5),
        case("square: 4 classes, 4 features, 4 examples", *params(4, 4, 4), 0.1),
        case(
            "zero weights and bias, one example",
            np.zeros((3, 6)),
            np.zeros(3),
            rng.random((1, 6)),
            np.array([2]),
            1.0,
        ),
        case("learning rate 0 changes nothing", W, b, X, y, 0.0),
        case(
            "float32: 10 classes, 784 features, 16 examples",
            *params(10, 784, 16, 0.05, np.float32),
            0.1,
        ),
        case("large inputs: logits in the thousands", *params(3, 5, 6, 3000.0), 0.01),
        case("10 classes, 20 features, 32 examples", *params(10, 20, 32), 0.2, hidden=True),
        case("square, large inputs", *params(5, 5, 5, 3000.0), 0.05, hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="softmax.one_hot",
        function="one_hot",
        points=2,
        chapter="softmax_regression",
        title="one-hot encoding of class labels",
        hint="start from an array of zeros of shape (N, num_classes), then set one entry per row",
        make_cases=_one_hot_cases,
    ),
    Exercise(
        id="softmax.softmax",
        function="softmax",
        points=2,
        chapter="softmax_regression",
        title="a row-wise softmax that never overflows",
        hint="subtract each row's largest logit before exponentiating: softmax does not change",
        make_cases=_softmax_cases,
    ),
    Exercise(
        id="softmax.cross_entropy",
        function="cross_entropy",
        points=3,
        chapter="softmax_regression",
        title="the mean cross-entropy loss from logits",
        hint="the loss of one example is logsumexp(z) - z_y; never take the log of a softmax",
        make_cases=_cross_entropy_cases,
    ),
    Exercise(
        id="softmax.softmax_cross_entropy_backward",
        function="softmax_cross_entropy_backward",
        points=2,
        chapter="softmax_regression",
        title="the gradient of the mean cross-entropy with respect to the logits",
        hint="per example the gradient is softmax(z) minus the one-hot label; mind the mean",
        make_cases=_backward_cases,
    ),
    Exercise(
        id="softmax.accuracy",
        function="accuracy",
        points=2,
        chapter="softmax_regression",
        title="classification accuracy from logits",
        hint="predict the class with the largest logit in each row, then compare with the labels",
        make_cases=_accuracy_cases,
    ),
    Exercise(
        id="softmax.sgd_step",
        function="sgd_step",
        points=3,
        chapter="softmax_regression",
        title="one gradient-descent step of softmax regression",
        hint="the logits are X @ W.T + b; push their gradient back through the linear map",
        make_cases=_sgd_step_cases,
    ),
]
