"""Graded exercises of the multilayer-perceptron chapter: activations, counting parameters,
and the forward and backward passes of small networks written by hand.

Each reference is computed here in float64 from the case's inputs, with plain NumPy (or
`math.erfc` for GELU), never by the student's code. Float32 cases compare the float64 answer,
computed from the same float32 inputs and rounded to float32. Their tolerance is loose where
the answer is a sum of many rounded products (a relative error of 1e-2 on one entry that
nearly cancels is float32 rounding, not a bug); wrong formulas are caught by the float64
cases, whose tolerance is tight (1e-7 for sums of products, which may nearly cancel).
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances for elementwise results
# Results that are sums of products (matrix products) may nearly cancel: an entry of 1e-10 made
# of terms of size 1 keeps only a few correct digits in any summation order.
F64_SUMS, F32_SUMS = 1e-7, 1e-2


def _f64(*arrays: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


# ---------------------------------------------------------------------------------------------
# 1. Backward of ReLU
# ---------------------------------------------------------------------------------------------


def _relu_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, grad, x, hidden=False):
        ref = (grad.astype(np.float64) * (x > 0)).astype(x.dtype)
        tol = F32 if x.dtype == np.float32 else F64
        return Case(name, (grad, x), ref, tol, hidden)

    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    with_zeros = rng.integers(-2, 3, (3, 6)).astype(np.float64)  # many exact zeros
    return [
        case("random (4, 5) arrays", g, x),
        case("float32 inputs", g.astype(np.float32), x.astype(np.float32)),
        case("x == 0 gets gradient 0", np.ones((3, 6)), with_zeros),
        case("a batch of one", g[:1], x[:1]),
        case("large gradients", g * 1e8, x),
        case(
            "a 3-D array",
            rng.standard_normal((2, 3, 4)),
            rng.standard_normal((2, 3, 4)),
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 2. Exact GELU
# ---------------------------------------------------------------------------------------------


def _gelu_reference(x: np.ndarray) -> np.ndarray:
    """x * Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2, accurate also far into the left tail."""
    flat = [0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in np.asarray(x, np.float64).ravel()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(x))


def _gelu_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, x, hidden=False):
        # 1e-7 in float64 accepts 1 + erf(x / sqrt 2), which loses a few digits for x < -5,
        # and rejects the tanh and sigmoid approximations (off by 1e-4 or more).
        tol = F32 if x.dtype == np.float32 else 1e-7
        return Case(name, (x,), _gelu_reference(x).astype(x.dtype), tol, hidden)

    x = rng.standard_normal((3, 4)) * 2
    return [
        case("random inputs, shape (3, 4)", x),
        case("float32 inputs", rng.uniform(-4, 4, 7).astype(np.float32)),
        case("zero and +-1", np.array([-1.0, 0.0, 1.0])),
        case("large inputs: no overflow, no nan", np.array([-40.0, -12.0, -6.0, 6.0, 12.0, 40.0])),
        case("a single element", x[:1, :1].reshape(1)),
        case("a 3-D array", rng.uniform(-6, 6, (2, 3, 2)), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Counting parameters
# ---------------------------------------------------------------------------------------------


def _count_parameters_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, sizes, hidden=False):
        sizes = tuple(int(s) for s in sizes)
        ref = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
        return Case(name, (sizes,), int(ref), 0.0, hidden)

    return [
        case("784-256-10", (784, 256, 10)),
        case("a single linear layer 3 -> 2", (3, 2)),
        case("784-256-256-10", (784, 256, 256, 10)),
        case("no layers at all: (5,)", (5,)),
        case("a chain of width-one layers", (1, 1, 1, 1, 1)),
        case("random sizes", rng.integers(1, 1000, 6), hidden=True),
        case("more than 2**31 parameters", (100_000, 100_000, 100_000)),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Forward pass of a two-layer ReLU network
# ---------------------------------------------------------------------------------------------


def _forward_reference(X, W1, b1, W2, b2):
    X, W1, b1, W2, b2 = _f64(X, W1, b1, W2, b2)
    return np.maximum(X @ W1.T + b1, 0) @ W2.T + b2


def _random_net(rng, n, d, h, c, scale=1.0):
    X = rng.standard_normal((n, d)) * scale
    W1 = rng.standard_normal((h, d)) / math.sqrt(d)
    b1 = rng.standard_normal(h) * 0.1
    W2 = rng.standard_normal((c, h)) / math.sqrt(h)
    b2 = rng.standard_normal(c) * 0.1
    return X, W1, b1, W2, b2


def _forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, params, hidden=False):
        dtype = params[0].dtype
        ref = _forward_reference(*params).astype(dtype)
        tol = F32 if dtype == np.float32 else F64_SUMS  # float32 cases are exact (halves)
        return Case(name, tuple(params), ref, tol, hidden)

    def halves(shape):  # multiples of 1/2: float32 products and sums of these are exact
        return rng.integers(-4, 5, shape).astype(np.float32) / 2

    net = _random_net(rng, 5, 4, 6, 3)
    zero = [np.zeros_like(p) for p in net[1:]]
    return [
        case("N=5, D=4, H=6, C=3", net),
        case("float32 inputs", [halves(s) for s in ((6, 5), (7, 5), (7,), (4, 7), (4,))]),
        case("a batch of one", [net[0][:1], *net[1:]]),
        case("one hidden unit", _random_net(rng, 4, 3, 1, 2)),
        case("zero weights: the logits are b2", [net[0], *zero[:3], net[4]]),
        case("N=32, D=20, H=16, C=10", _random_net(rng, 32, 20, 16, 10), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Backward pass of a two-layer ReLU network with mean cross-entropy
# ---------------------------------------------------------------------------------------------


def _backward_reference(X, y, W1, b1, W2, b2):
    X, W1, b1, W2, b2 = _f64(X, W1, b1, W2, b2)
    n = len(y)
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2.T + b2
    E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    G2 = E / E.sum(axis=1, keepdims=True)
    G2[np.arange(n), y] -= 1
    G2 /= n
    G1 = (G2 @ W2) * (Z1 > 0)
    return G1.T @ X, G1.sum(axis=0), G2.T @ A1, G2.sum(axis=0)


def _backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, X, y, W1, b1, W2, b2, hidden=False, tol=None):
        dtype = X.dtype
        ref = tuple(r.astype(dtype) for r in _backward_reference(X, y, W1, b1, W2, b2))
        if tol is None:
            tol = F32_SUMS if dtype == np.float32 else F64_SUMS
        return Case(name, (X, y, W1, b1, W2, b2), ref, tol, hidden)

    def labels(n, c):
        return rng.integers(0, c, n).astype(np.int64)

    net = _random_net(rng, 6, 5, 7, 4)
    y = labels(6, 4)
    # Integer inputs and weights: some pre-activations are exactly 0 (ReLU'(0) is taken as 0).
    Xi = rng.integers(-2, 3, (5, 3)).astype(np.float64)
    W1i = rng.integers(-1, 2, (4, 3)).astype(np.float64)
    dead = list(net)
    dead[2] = dead[2].copy()
    dead[2][0] = -1e3  # hidden unit 0 is never active: its gradients are exactly 0
    return [
        case("N=6, D=5, H=7, C=4", net[0], y, *net[1:]),
        case(
            "float32 inputs",
            *[net[0].astype(np.float32)],
            y,
            *[p.astype(np.float32) for p in net[1:]],
        ),  # fmt: skip
        case("a batch of one", net[0][:1], y[:1], *net[1:]),
        # Logits in the thousands: exp overflows unless the maximum is subtracted. Rounding in
        # logits this large differs between correct stable formulas, and sums of products that
        # nearly cancel amplify it: a loose tolerance (a wrong formula gives nan or O(1) errors).
        case("large logits (stable softmax needed)", net[0] * 3000, y, *net[1:], tol=1e-2),
        case("a dead hidden unit", dead[0], y, *dead[1:]),
        case(
            "pre-activations exactly 0",
            Xi,
            labels(5, 3),
            W1i,
            np.zeros(4),
            rng.standard_normal((3, 4)),
            rng.standard_normal(3),
        ),  # fmt: skip
        case(
            "N=40, D=12, H=16, C=10",
            *(lambda p: (p[0], labels(40, 10), *p[1:]))(_random_net(rng, 40, 12, 16, 10)),
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 6. Backward of a tanh layer
# ---------------------------------------------------------------------------------------------


def _tanh_layer_reference(grad, X, W, b):
    grad, X, W, b = _f64(grad, X, W, b)
    Z = X @ W.T + b
    z = np.exp(-2 * np.abs(Z))
    G = grad * (4 * z / (1 + z) ** 2)  # tanh'(Z) = 1 / cosh(Z)^2, without overflow
    return G @ W, G.T @ X, G.sum(axis=0)


def _tanh_layer_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, grad, X, W, b, hidden=False):
        dtype = X.dtype
        ref = tuple(r.astype(dtype) for r in _tanh_layer_reference(grad, X, W, b))
        tol = F32_SUMS if dtype == np.float32 else F64_SUMS
        return Case(name, (grad, X, W, b), ref, tol, hidden)

    def layer(n, d, h):
        grad, X = rng.standard_normal((n, h)), rng.standard_normal((n, d))
        return grad, X, rng.standard_normal((h, d)) / math.sqrt(d), rng.standard_normal(h) * 0.1

    g, X, W, b = layer(5, 4, 3)
    # Saturated units: pre-activations near +-40 and +-800, where tanh' is below 1e-34 and
    # exp(800) overflows.
    Xs, Ws = rng.standard_normal((6, 3)), rng.standard_normal((4, 3)) * 0.01
    bs = np.array([40.0, -40.0, 800.0, -800.0])
    return [
        case("N=5, D=4, H=3", g, X, W, b),
        case("float32 inputs", *(a.astype(np.float32) for a in (g, X, W, b))),
        case("a batch of one", g[:1], X[:1], W, b),
        case("one input feature and one unit", *layer(4, 1, 1)),
        case("saturated units (|Z| around 40 and 800)", rng.standard_normal((6, 4)), Xs, Ws, bs),
        case("N=30, D=10, H=8", *layer(30, 10, 8), hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="mlp.relu_backward",
        function="relu_backward",
        points=2,
        chapter="mlp",
        title="backward of ReLU",
        hint="the gradient passes where x is strictly positive and is blocked elsewhere",
        make_cases=_relu_backward_cases,
    ),
    Exercise(
        id="mlp.gelu",
        function="gelu",
        points=2,
        chapter="mlp",
        title="the exact GELU activation",
        hint="Phi(x) = (1 + erf(x / sqrt(2))) / 2; math.erf works on one float at a time",
        make_cases=_gelu_cases,
    ),
    Exercise(
        id="mlp.count_parameters",
        function="count_parameters",
        points=2,
        chapter="mlp",
        title="number of parameters of an MLP",
        hint="a layer from a to b units has an (b, a) weight matrix and a bias of b entries",
        make_cases=_count_parameters_cases,
    ),
    Exercise(
        id="mlp.two_layer_forward",
        function="two_layer_forward",
        points=2,
        chapter="mlp",
        title="forward pass of a two-layer ReLU network",
        hint="one example per row: each layer multiplies by the transpose of its weight",
        make_cases=_forward_cases,
    ),
    Exercise(
        id="mlp.two_layer_backward",
        function="two_layer_backward",
        points=3,
        chapter="mlp",
        title="backward pass of a two-layer ReLU network",
        hint="start from (softmax - one-hot) / N and write down the shape of every gradient",
        make_cases=_backward_cases,
    ),
    Exercise(
        id="mlp.tanh_layer_backward",
        function="tanh_layer_backward",
        points=3,
        chapter="mlp",
        title="backward of a linear layer followed by tanh",
        hint="first multiply grad by tanh'(Z) = 1 - tanh(Z)**2, then treat the linear layer",
        make_cases=_tanh_layer_cases,
    ),
]
