"""Graded exercises of the chapter on gated recurrent units (notebook stem ``gru``): one GRU step
forward and backward, a whole sequence forward, and the parameter count of the three recurrent
layers.

Shapes, gate order and equations follow PyTorch: ``x`` is (N, D), ``h`` is (N, H), ``W_ih`` is
(3H, D), ``W_hh`` is (3H, H), ``b_ih`` and ``b_hh`` are (3H,), with the blocks of rows in the
order reset gate r, update gate z, candidate n. One step is::

    r = sigmoid(x W_ir^T + b_ir + h_prev W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h_prev W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h_prev W_hn^T + b_hn))
    h = (1 - z) * n + z * h_prev

The two biases are not redundant here: ``b_hn`` sits inside the product with r. Every reference
is computed here in float64 by explicit loops over examples, units and time steps, with
``math.exp`` and ``math.tanh``, never by `mininn` and never by the student's code. The
parameter counts are found by listing every weight and bias array of every layer and adding
their sizes.

The tolerance is the one of the LSTM's checks (relative 1e-7, see
`mininn.grading.exercises.lstm`) for the same reasons: the answers are sums of a few dozen
products through sigmoids and tanh, float64, standard normal data, and a real mistake (the
reset gate on the wrong term, z and 1 - z swapped) changes entries by more than 1e-2.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.exercises.lstm import F64_SUMS, _sigmoid
from mininn.grading.spec import Case, Exercise, case_rng


def _step_reference(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """(h, r, z, n, hn) of one step; hn = h_prev W_hn^T + b_hn, what r multiplies."""
    n_ex, d = x.shape
    hidden = h_prev.shape[1]
    xa, ha = np.zeros((n_ex, 3 * hidden)), np.zeros((n_ex, 3 * hidden))
    for m in range(n_ex):
        for k in range(3 * hidden):
            a = b_ih[k]
            for j in range(d):
                a += W_ih[k, j] * x[m, j]
            xa[m, k] = a
            a = b_hh[k]
            for j in range(hidden):
                a += W_hh[k, j] * h_prev[m, j]
            ha[m, k] = a
    r, z, n, h = (np.zeros((n_ex, hidden)) for _ in range(4))
    hn = ha[:, 2 * hidden :].copy()
    for m in range(n_ex):
        for u in range(hidden):
            r[m, u] = _sigmoid(xa[m, u] + ha[m, u])
            z[m, u] = _sigmoid(xa[m, hidden + u] + ha[m, hidden + u])
            n[m, u] = math.tanh(xa[m, 2 * hidden + u] + r[m, u] * hn[m, u])
            h[m, u] = (1.0 - z[m, u]) * n[m, u] + z[m, u] * h_prev[m, u]
    return h, r, z, n, hn


def _step_backward_reference(dh, x, h_prev, W_ih, W_hh, b_ih, b_hh):
    _, r, z, n, hn = _step_reference(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    n_ex, d = x.shape
    hidden = h_prev.shape[1]
    dx, dh_prev = np.zeros((n_ex, d)), np.zeros((n_ex, hidden))
    dW_ih, dW_hh = np.zeros(W_ih.shape), np.zeros(W_hh.shape)
    db_ih, db_hh = np.zeros(3 * hidden), np.zeros(3 * hidden)
    dxa, dha = np.zeros(3 * hidden), np.zeros(3 * hidden)
    for m in range(n_ex):
        for u in range(hidden):
            g = dh[m, u]
            dan = g * (1.0 - z[m, u]) * (1.0 - n[m, u] * n[m, u])  # through n = tanh(.)
            dar = dan * hn[m, u] * r[m, u] * (1.0 - r[m, u])
            daz = g * (h_prev[m, u] - n[m, u]) * z[m, u] * (1.0 - z[m, u])
            dxa[u], dxa[hidden + u], dxa[2 * hidden + u] = dar, daz, dan
            dha[u], dha[hidden + u], dha[2 * hidden + u] = dar, daz, dan * r[m, u]
            dh_prev[m, u] += g * z[m, u]  # the direct path z * h_prev
        for k in range(3 * hidden):
            db_ih[k] += dxa[k]
            db_hh[k] += dha[k]
            for j in range(d):
                dW_ih[k, j] += dxa[k] * x[m, j]
                dx[m, j] += dxa[k] * W_ih[k, j]
            for j in range(hidden):
                dW_hh[k, j] += dha[k] * h_prev[m, j]
                dh_prev[m, j] += dha[k] * W_hh[k, j]
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


def _forward_reference(xs, h0, W_ih, W_hh, b_ih, b_hh):
    hs = np.zeros((xs.shape[0],) + h0.shape)
    h = h0
    for t in range(xs.shape[0]):
        h = _step_reference(xs[t], h, W_ih, W_hh, b_ih, b_hh)[0]
        hs[t] = h
    return hs


def _weights(rng, d, hidden, scale=1.0):
    W_ih = rng.standard_normal((3 * hidden, d)) * scale / math.sqrt(d)
    W_hh = rng.standard_normal((3 * hidden, hidden)) * scale / math.sqrt(hidden)
    return W_ih, W_hh, rng.standard_normal(3 * hidden) * 0.5, rng.standard_normal(3 * hidden) * 0.5


def _state(rng, n, hidden, zero):
    return np.zeros((n, hidden)) if zero else np.tanh(rng.standard_normal((n, hidden)))


# ---------------------------------------------------------------------------------------------
# 1. One step forward
# ---------------------------------------------------------------------------------------------


def _step_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, n, d, hidden, scale=1.0, zero=False, hidden_case=False):
        W_ih, W_hh, b_ih, b_hh = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev = _state(rng, n, hidden, zero)
        args = (x, h_prev, W_ih, W_hh, b_ih, b_hh)
        return Case(name, args, _step_reference(*args)[0], F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a zero previous state", 3, 4, 6, zero=True),
        case("a batch of one", 1, 2, 3),
        case("one input feature, one hidden unit", 5, 1, 1),
        case("large weights: saturated gates", 3, 4, 5, scale=4.0),
        case("more inputs than hidden units: D=10, H=2", 2, 10, 2),
        case("N=16, D=8, H=32", 16, 8, 32, hidden_case=True),
        case("saturated, N=6, D=5, H=7", 6, 5, 7, scale=3.0, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. One step backward
# ---------------------------------------------------------------------------------------------


def _step_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, n, d, hidden, scale=1.0, zero=False, hidden_case=False):
        W_ih, W_hh, b_ih, b_hh = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev = _state(rng, n, hidden, zero)
        dh = rng.standard_normal((n, hidden))
        args = (dh, x, h_prev, W_ih, W_hh, b_ih, b_hh)
        return Case(name, args, _step_backward_reference(*args), F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a zero previous state: dW_hh is 0, db_hh is not", 3, 4, 6, zero=True),
        case("a batch of one", 1, 2, 3),
        case("one input feature, one hidden unit", 5, 1, 1),
        case("large weights: saturated gates", 3, 4, 5, scale=4.0),
        case("more inputs than hidden units: D=10, H=2", 2, 10, 2),
        case("N=16, D=8, H=32", 16, 8, 32, hidden_case=True),
        case("N=7, D=3, H=9", 7, 3, 9, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. The whole sequence forward
# ---------------------------------------------------------------------------------------------


def _forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, T, n, d, hidden, scale=1.0, zero=False, hidden_case=False):
        W_ih, W_hh, b_ih, b_hh = _weights(rng, d, hidden, scale)
        xs = rng.standard_normal((T, n, d))
        h0 = _state(rng, n, hidden, zero)
        args = (xs, h0, W_ih, W_hh, b_ih, b_hh)
        return Case(name, args, _forward_reference(*args), F64_SUMS, hidden_case)

    return [
        case("T=5, N=2, D=3, H=4", 5, 2, 3, 4),
        case("a single time step", 1, 3, 2, 5),
        case("a zero initial state", 6, 2, 3, 3, zero=True),
        case("a batch of one, T=10", 10, 1, 2, 4),
        case("large weights, T=8", 8, 2, 3, 4, scale=3.0),
        case("T=30, N=4, D=5, H=16", 30, 4, 5, 16, hidden_case=True),
        case("T=12, N=3, D=1, H=6", 12, 3, 1, 6, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Parameter counts
# ---------------------------------------------------------------------------------------------

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _count_reference(mode, input_size, hidden_size, num_layers, bias):
    """Add up the sizes of every array a PyTorch-style layer stack holds."""
    shapes = []
    rows = _GATES[mode] * hidden_size
    for layer in range(num_layers):
        fan_in = input_size if layer == 0 else hidden_size
        shapes += [(rows, fan_in), (rows, hidden_size)]
        if bias:
            shapes += [(rows,), (rows,)]
    return int(sum(math.prod(s) for s in shapes))


def _count_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, mode, d, hidden, layers=1, bias=True, hidden_case=False):
        args = (mode, d, hidden, layers, bias)
        return Case(name, args, _count_reference(*args), 0.0, hidden_case)

    d, hid = int(rng.integers(20, 90)), int(rng.integers(20, 300))
    return [
        case("rnn, D=65, H=256", "rnn", 65, 256),
        case("gru, D=65, H=256", "gru", 65, 256),
        case("lstm, D=65, H=256", "lstm", 65, 256),
        case("lstm without bias, D=10, H=20", "lstm", 10, 20, bias=False),
        case("gru, two layers: the second reads H features", "gru", 8, 16, layers=2),
        case("rnn, one input, one unit", "rnn", 1, 1),
        case(f"lstm, three layers, D={d}, H={hid}", "lstm", d, hid, layers=3, hidden_case=True),
        case(f"gru without bias, D={hid}, H={d}", "gru", hid, d, bias=False, hidden_case=True),
        case(f"rnn, two layers, D={d}, H={hid}", "rnn", d, hid, layers=2, hidden_case=True),
    ]


EXERCISES = [
    Exercise(
        id="gru.step",
        function="gru_step",
        points=2,
        chapter="gru",
        title="one GRU step, forward",
        hint="split x W_ih^T + b_ih and h W_hh^T + b_hh into blocks r, z, n; r multiplies the "
        "whole hidden n-block (with b_hn); h = (1 - z) n + z h_prev",
        make_cases=_step_cases,
    ),
    Exercise(
        id="gru.step_backward",
        function="gru_step_backward",
        points=3,
        chapter="gru",
        title="one GRU step, backward",
        hint="dn = dh (1 - z), dz = dh (h_prev - n); the input and hidden pre-activation "
        "gradients differ only in the n-block (times r there); dh_prev also gets dh * z",
        make_cases=_step_backward_cases,
    ),
    Exercise(
        id="gru.forward",
        function="gru_forward",
        points=2,
        chapter="gru",
        title="a GRU over a whole sequence",
        hint="loop over t, feed each new state into the next step, stack the states",
        make_cases=_forward_cases,
    ),
    Exercise(
        id="gru.num_params",
        function="recurrent_num_params",
        points=1,
        chapter="gru",
        title="parameters of RNN, GRU and LSTM layers",
        hint="each layer: G*H*(fan_in + H) weights, plus 2*G*H biases; G = 1, 3, 4; layers "
        "after the first read H features",
        make_cases=_count_cases,
    ),
]
