"""Graded exercises of the initialisation chapter: fans, init scales, signal propagation.

Each reference is computed here in float64 from the case's inputs, with a closed form or a
direct NumPy computation (never with the student's code).
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F64 = 1e-10  # relative-error tolerance for float64 results


# -- fans ---------------------------------------------------------------------------------------


def _fans_cases(seed: int) -> list[Case]:
    def case(name, shape, hidden=False):
        receptive = math.prod(shape[2:])
        return Case(name, (shape,), (shape[1] * receptive, shape[0] * receptive), 0.0, hidden)

    rng = case_rng(seed, 1)
    out_c, in_c, k = (int(v) for v in rng.integers(2, 40, 3))
    return [
        case("linear weight (128, 784)", (128, 784)),
        case("linear weight (10, 128)", (10, 128)),
        case("a 1 x 1 linear weight", (1, 1)),
        case("conv2d weight (16, 3, 5, 5)", (16, 3, 5, 5)),
        case("conv1d weight (8, 4, 3)", (8, 4, 3)),
        case("non-square kernel (32, 16, 3, 1)", (32, 16, 3, 1)),
        case(f"conv2d weight ({out_c}, {in_c}, {k}, {k})", (out_c, in_c, k, k), hidden=True),
        case("conv3d weight (6, 2, 2, 3, 3)", (6, 2, 2, 3, 3), hidden=True),
    ]


# -- Xavier bound -------------------------------------------------------------------------------


def _xavier_cases(seed: int) -> list[Case]:
    def case(name, fan_in, fan_out, gain, hidden=False):
        ref = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return Case(name, (fan_in, fan_out, gain), ref, F64, hidden)

    rng = case_rng(seed, 2)
    return [
        case("784 -> 256, gain 1", 784, 256, 1.0),
        case("square 256 -> 256, tanh gain 5/3", 256, 256, 5 / 3),
        case("a single weight, ReLU gain", 1, 1, math.sqrt(2.0)),
        case("wide 10000 -> 10000", 10_000, 10_000, 1.0),
        case("narrow output 128 -> 10", 128, 10, 1.0),
        case(
            "random fans",
            int(rng.integers(1, 5000)),
            int(rng.integers(1, 5000)),
            float(rng.uniform(0.5, 2.0)),
            hidden=True,
        ),
    ]


# -- He std -------------------------------------------------------------------------------------


def _he_cases(seed: int) -> list[Case]:
    def case(name, fan, slope, hidden=False):
        ref = math.sqrt(2.0 / ((1.0 + slope**2) * fan))
        return Case(name, (fan, slope), ref, F64, hidden)

    rng = case_rng(seed, 3)
    return [
        case("ReLU, fan 784", 784, 0.0),
        case("leaky ReLU slope 0.01, fan 256", 256, 0.01),
        case("leaky ReLU slope 0.2, fan 100", 100, 0.2),
        case("slope 1 (a linear layer), fan 4608", 4608, 1.0),
        case("fan 1", 1, 0.0),
        case(
            "random fan and slope",
            int(rng.integers(1, 10_000)),
            float(rng.uniform(0, 0.5)),
            hidden=True,
        ),
    ]


# -- variance through a ReLU network ------------------------------------------------------------


def _relu_var_reference(widths, var_w, mean_square_x):
    q = np.empty(len(widths) - 1)
    second_moment = float(mean_square_x)  # E[h^2] of the layer's input
    for layer in range(len(widths) - 1):
        q[layer] = widths[layer] * var_w[layer] * second_moment
        second_moment = q[layer] / 2.0  # a ReLU halves the mean square of a symmetric input
    return q


def _relu_var_cases(seed: int) -> list[Case]:
    def case(name, widths, var_w, m, hidden=False):
        var_w = np.asarray(var_w, dtype=np.float64)
        return Case(
            name, (tuple(widths), var_w, m), _relu_var_reference(widths, var_w, m), F64, hidden
        )

    rng = case_rng(seed, 4)
    w1 = (784, 256, 256, 256, 10)
    he = [2.0 / n for n in w1[:-1]]
    default = [1.0 / (3 * n) for n in w1[:-1]]
    deep = (100,) * 51
    xavier_deep = [2.0 / (100 + 100)] * 50
    mixed = (50, 200, 30, 400, 5)
    rand_widths = tuple(int(v) for v in rng.integers(5, 500, 7))
    return [
        case("He initialisation keeps the variance", w1, he, 1.0),
        case("the nn.Linear default shrinks it", w1, default, 1.0),
        case("one layer", (300, 20), [0.01], 2.5),
        case("changing widths", mixed, rng.uniform(0.001, 0.05, 4), 0.7),
        case("50 layers with Xavier", deep, xavier_deep, 1.0),
        case("zero input", (20, 20, 20), [0.1, 0.1], 0.0),
        case(
            "random widths and variances",
            rand_widths,
            rng.uniform(0.001, 0.1, 6),
            float(rng.uniform(0.1, 3)),
            hidden=True,
        ),
    ]


# -- activation statistics of a tanh stack ------------------------------------------------------


def _tanh_forward(X, weights):
    h = np.asarray(X, dtype=np.float64)
    hs = []
    for W in weights:
        h = np.tanh(h @ np.asarray(W, dtype=np.float64).T)
        hs.append(h)
    return hs


def _random_weights(rng, widths, scale):
    return tuple(
        rng.normal(0.0, scale / math.sqrt(n_in), size=(n_out, n_in))
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=False)
    )


def _stats_cases(seed: int) -> list[Case]:
    def case(name, X, weights, hidden=False):
        ref = np.array([[h.mean(), h.std()] for h in _tanh_forward(X, weights)])
        return Case(name, (X, weights), ref, 1e-9, hidden)

    rng = case_rng(seed, 5)
    widths = (20, 32, 32, 32, 32)
    X = rng.standard_normal((50, 20))
    good = _random_weights(rng, widths, 5 / 3)
    mixed_widths = (12, 40, 7, 25)
    return [
        case("4 layers, gain 5/3", X, good),
        case("small weights: activations shrink", X, _random_weights(rng, widths, 0.3)),
        case("large weights: saturation", X, _random_weights(rng, widths, 10.0)),
        case(
            "changing widths",
            rng.standard_normal((30, 12)),
            _random_weights(rng, mixed_widths, 1.0),
        ),
        case("one layer", X, good[:1]),
        case("a batch of one", X[:1], good),
        case("zero weights", X, tuple(np.zeros_like(W) for W in good)),
        case(
            "float32 inputs (compute in float64)",
            X.astype(np.float32),
            tuple(W.astype(np.float32) for W in good),
        ),
        case(
            "random widths",
            rng.standard_normal((17, 9)),
            _random_weights(rng, (9, 23, 15, 31, 4, 11), 1.2),
            hidden=True,
        ),
    ]


# -- weight-gradient norms of a tanh stack ------------------------------------------------------


def _grad_norms_reference(X, weights, grad_out):
    h_in = [np.asarray(X, dtype=np.float64)] + _tanh_forward(X, weights)
    g = np.asarray(grad_out, dtype=np.float64)  # dL/dh_L
    norms = np.empty(len(weights))
    for layer in range(len(weights) - 1, -1, -1):
        W = np.asarray(weights[layer], dtype=np.float64)
        g_pre = g * (1.0 - h_in[layer + 1] ** 2)  # through tanh: dL/da_l
        norms[layer] = np.linalg.norm(g_pre.T @ h_in[layer])  # dL/dW_l = a_bar^T h_{l-1}
        g = g_pre @ W  # dL/dh_{l-1}
    return norms


def _grad_norms_cases(seed: int) -> list[Case]:
    def case(name, X, weights, grad_out, hidden=False):
        return Case(
            name, (X, weights, grad_out), _grad_norms_reference(X, weights, grad_out), 1e-9, hidden
        )

    rng = case_rng(seed, 6)
    widths = (10, 24, 16, 8)
    X = rng.standard_normal((40, 10))
    W = _random_weights(rng, widths, 5 / 3)
    G = rng.standard_normal((40, 8))
    return [
        case("3 layers 10 -> 24 -> 16 -> 8", X, W, G),
        case("one layer", X, W[:1], rng.standard_normal((40, 24))),
        case("a batch of one", X[:1], W, G[:1]),
        case("zero output gradient", X, W, np.zeros((40, 8))),
        case("large weights: saturated units", X, _random_weights(rng, widths, 4.0), G),
        case(
            "float32 inputs (compute in float64)",
            X.astype(np.float32),
            tuple(w.astype(np.float32) for w in W),
            G.astype(np.float32),
        ),
        case(
            "6 layers of random widths",
            rng.standard_normal((25, 7)),
            _random_weights(rng, (7, 19, 5, 12, 30, 9, 3), 1.0),
            rng.standard_normal((25, 3)),
            hidden=True,
        ),
    ]


EXERCISES = [
    Exercise(
        id="init.fans",
        function="fans",
        points=2,
        chapter="initialization",
        title="fan-in and fan-out of a weight shape",
        hint="axis 0 is the output axis, axis 1 the input axis; the rest multiplies both",
        make_cases=_fans_cases,
    ),
    Exercise(
        id="init.xavier_uniform_bound",
        function="xavier_uniform_bound",
        points=2,
        chapter="initialization",
        title="bound of Xavier's uniform initialisation",
        hint="a uniform distribution on [-r, r] has variance r**2 / 3",
        make_cases=_xavier_cases,
    ),
    Exercise(
        id="init.he_normal_std",
        function="he_normal_std",
        points=2,
        chapter="initialization",
        title="standard deviation of He's normal initialisation",
        hint="a leaky ReLU keeps (1 + slope**2) / 2 of the mean square of a symmetric input",
        make_cases=_he_cases,
    ),
    Exercise(
        id="init.relu_variance_propagation",
        function="relu_variance_propagation",
        points=3,
        chapter="initialization",
        title="variance of the pre-activations of a ReLU network",
        hint="the first layer sees the input itself; every later layer sees half of q",
        make_cases=_relu_var_cases,
    ),
    Exercise(
        id="init.activation_stats",
        function="activation_stats",
        points=3,
        chapter="initialization",
        title="mean and standard deviation of each layer of a tanh network",
        hint="convert to float64 first; each statistic is over all N x n_l entries of a layer",
        make_cases=_stats_cases,
    ),
    Exercise(
        id="init.tanh_weight_grad_norms",
        function="tanh_weight_grad_norms",
        points=3,
        chapter="initialization",
        title="norms of the weight gradients of a tanh network",
        hint="keep every activation from the forward pass; tanh'(a) = 1 - tanh(a)**2",
        make_cases=_grad_norms_cases,
    ),
]
