"""Graded exercises of the chapter on long short-term memory (notebook stem ``lstm``): one LSTM
step forward and backward, and a whole sequence forward and backward (backpropagation through
time).

Shapes and gate order follow PyTorch: ``x`` is (N, D), ``h`` and ``c`` are (N, H), ``W_ih`` is
(4H, D), ``W_hh`` is (4H, H) and the bias ``b`` is (4H,), with the four blocks of rows in the
order input gate i, forget gate f, candidate g, output gate o. One step is::

    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2H]), tanh(a[:, 2H:3H]), sigmoid(a[:, 3H:])
    c = f * c_prev + i * g
    h = o * tanh(c)

(`mininn.nn.LSTM` has two biases, ``bias_ih`` and ``bias_hh``, always added: here they are one
``b``.) Every reference is computed here in float64 by explicit loops over examples, units and
time steps, with ``math.exp`` and ``math.tanh``, never by `mininn` and never by the student's
code.

All cases are float64 with standard normal inputs and weights scaled by 1/sqrt(fan-in) (times
a factor up to 4 for the saturated cases). The results are sums of a few dozen products passed
through sigmoids and tanh; a vectorised answer adds the terms in another order, and may write
the sigmoid another way (``(1 + tanh(a/2)) / 2``), which changes the results by a few units in
the last place, and through T steps of the recurrence by at most T times that. A relative
tolerance of 1e-7 allows this with a wide margin and is far below any real mistake (a swapped
gate block or a missing derivative factor changes entries by more than 1e-2). Edge cases: a
zero state, a batch of one, one hidden unit, saturated gates, a gradient that reaches only h
or only c, a single time step, a loss at the last step only.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F64_SUMS = 1e-7


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _step_reference(x, h_prev, c_prev, W_ih, W_hh, b):
    """(h, c, gates) of one step; gates (N, 4H) holds i, f, g, o after their nonlinearities."""
    n, d = x.shape
    hidden = h_prev.shape[1]
    gates = np.zeros((n, 4 * hidden))
    h, c = np.zeros((n, hidden)), np.zeros((n, hidden))
    for m in range(n):
        for k in range(4 * hidden):
            a = b[k]
            for j in range(d):
                a += W_ih[k, j] * x[m, j]
            for j in range(hidden):
                a += W_hh[k, j] * h_prev[m, j]
            gates[m, k] = math.tanh(a) if 2 * hidden <= k < 3 * hidden else _sigmoid(a)
        for u in range(hidden):
            i, f = gates[m, u], gates[m, hidden + u]
            g, o = gates[m, 2 * hidden + u], gates[m, 3 * hidden + u]
            c[m, u] = f * c_prev[m, u] + i * g
            h[m, u] = o * math.tanh(c[m, u])
    return h, c, gates


def _step_backward_reference(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """Gradients (dx, dh_prev, dc_prev, dW_ih, dW_hh, db) given dL/dh and dL/dc of the step."""
    _, c, gates = _step_reference(x, h_prev, c_prev, W_ih, W_hh, b)
    n, d = x.shape
    hidden = h_prev.shape[1]
    dx, dh_prev, dc_prev = np.zeros((n, d)), np.zeros((n, hidden)), np.zeros((n, hidden))
    dW_ih, dW_hh, db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(4 * hidden)
    da = np.zeros(4 * hidden)
    for m in range(n):
        for u in range(hidden):
            i, f = gates[m, u], gates[m, hidden + u]
            g, o = gates[m, 2 * hidden + u], gates[m, 3 * hidden + u]
            tc = math.tanh(c[m, u])
            dcell = dc[m, u] + dh[m, u] * o * (1.0 - tc * tc)  # total dL/dc
            da[u] = dcell * g * i * (1.0 - i)
            da[hidden + u] = dcell * c_prev[m, u] * f * (1.0 - f)
            da[2 * hidden + u] = dcell * i * (1.0 - g * g)
            da[3 * hidden + u] = dh[m, u] * tc * o * (1.0 - o)
            dc_prev[m, u] = dcell * f
        for k in range(4 * hidden):
            db[k] += da[k]
            for j in range(d):
                dW_ih[k, j] += da[k] * x[m, j]
                dx[m, j] += da[k] * W_ih[k, j]
            for j in range(hidden):
                dW_hh[k, j] += da[k] * h_prev[m, j]
                dh_prev[m, j] += da[k] * W_hh[k, j]
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db


def _forward_reference(xs, h0, c0, W_ih, W_hh, b):
    shape = (xs.shape[0],) + h0.shape
    hs, cs = np.zeros(shape), np.zeros(shape)
    h, c = h0, c0
    for t in range(xs.shape[0]):
        h, c, _ = _step_reference(xs[t], h, c, W_ih, W_hh, b)
        hs[t], cs[t] = h, c
    return hs, cs


def _backward_reference(dhs, xs, h0, c0, W_ih, W_hh, b):
    hs, cs = _forward_reference(xs, h0, c0, W_ih, W_hh, b)
    dxs = np.zeros(xs.shape)
    dW_ih, dW_hh, db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(b.shape)
    carry_h, carry_c = np.zeros(h0.shape), np.zeros(c0.shape)  # from step t + 1
    for t in range(xs.shape[0] - 1, -1, -1):
        h_prev = hs[t - 1] if t > 0 else h0
        c_prev = cs[t - 1] if t > 0 else c0
        grads = _step_backward_reference(
            dhs[t] + carry_h, carry_c, xs[t], h_prev, c_prev, W_ih, W_hh, b
        )
        dxs[t], carry_h, carry_c = grads[0], grads[1], grads[2]
        dW_ih, dW_hh, db = dW_ih + grads[3], dW_hh + grads[4], db + grads[5]
    return dxs, carry_h, carry_c, dW_ih, dW_hh, db


def _weights(rng, d, hidden, scale=1.0):
    W_ih = rng.standard_normal((4 * hidden, d)) * scale / math.sqrt(d)
    W_hh = rng.standard_normal((4 * hidden, hidden)) * scale / math.sqrt(hidden)
    return W_ih, W_hh, rng.standard_normal(4 * hidden) * 0.5


def _state(rng, n, hidden, zero):
    if zero:
        return np.zeros((n, hidden)), np.zeros((n, hidden))
    c = rng.standard_normal((n, hidden))
    return np.tanh(rng.standard_normal((n, hidden))) * 0.9, c


# ---------------------------------------------------------------------------------------------
# 1. One step forward
# ---------------------------------------------------------------------------------------------


def _step_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, n, d, hidden, scale=1.0, zero=False, hidden_case=False):
        W_ih, W_hh, b = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev, c_prev = _state(rng, n, hidden, zero)
        h, c, _ = _step_reference(x, h_prev, c_prev, W_ih, W_hh, b)
        return Case(name, (x, h_prev, c_prev, W_ih, W_hh, b), (h, c), F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a zero previous state (h and c)", 3, 4, 6, zero=True),
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

    def case(name, n, d, hidden, scale=1.0, zero=False, only=None, hidden_case=False):
        W_ih, W_hh, b = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev, c_prev = _state(rng, n, hidden, zero)
        dh, dc = rng.standard_normal((n, hidden)), rng.standard_normal((n, hidden))
        if only == "h":
            dc[...] = 0.0
        elif only == "c":
            dh[...] = 0.0
        args = (dh, dc, x, h_prev, c_prev, W_ih, W_hh, b)
        return Case(name, args, _step_backward_reference(*args), F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a gradient on h only (dc = 0)", 3, 4, 6, only="h"),
        case("a gradient on c only (dh = 0): the output gate gets none", 3, 2, 4, only="c"),
        case("a zero previous state: dW_hh is 0", 3, 4, 6, zero=True),
        case("a batch of one", 1, 2, 3),
        case("one input feature, one hidden unit", 5, 1, 1),
        case("large weights: saturated gates", 3, 4, 5, scale=4.0),
        case("N=16, D=8, H=32", 16, 8, 32, hidden_case=True),
        case("N=7, D=3, H=9, gradient on h only", 7, 3, 9, only="h", hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. The whole sequence forward
# ---------------------------------------------------------------------------------------------


def _forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, T, n, d, hidden, scale=1.0, zero=False, hidden_case=False):
        W_ih, W_hh, b = _weights(rng, d, hidden, scale)
        xs = rng.standard_normal((T, n, d))
        h0, c0 = _state(rng, n, hidden, zero)
        ref = _forward_reference(xs, h0, c0, W_ih, W_hh, b)
        return Case(name, (xs, h0, c0, W_ih, W_hh, b), ref, F64_SUMS, hidden_case)

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
# 4. Backpropagation through time
# ---------------------------------------------------------------------------------------------


def _backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, T, n, d, hidden, scale=1.0, zero=False, last_only=False, hidden_case=False):
        W_ih, W_hh, b = _weights(rng, d, hidden, scale)
        xs = rng.standard_normal((T, n, d))
        h0, c0 = _state(rng, n, hidden, zero)
        dhs = rng.standard_normal((T, n, hidden))
        if last_only:
            dhs[:-1] = 0.0
        args = (dhs, xs, h0, c0, W_ih, W_hh, b)
        return Case(name, args, _backward_reference(*args), F64_SUMS, hidden_case)

    return [
        case("T=5, N=2, D=3, H=4", 5, 2, 3, 4),
        case("a single time step: one step backward with dc = 0", 1, 3, 2, 5),
        case("a loss at the last step only", 6, 2, 3, 4, last_only=True),
        case("a zero initial state", 6, 2, 3, 3, zero=True),
        case("a batch of one, T=10", 10, 1, 2, 4),
        case("large weights, T=8", 8, 2, 3, 4, scale=3.0),
        case("T=25, N=4, D=5, H=12", 25, 4, 5, 12, hidden_case=True),
        case("T=20, last step only, N=3, H=8", 20, 3, 2, 8, last_only=True, hidden_case=True),
    ]


EXERCISES = [
    Exercise(
        id="lstm.step",
        function="lstm_step",
        points=2,
        chapter="lstm",
        title="one LSTM step, forward",
        hint="a = x W_ih^T + h W_hh^T + b; blocks i, f, g, o (sigmoid, sigmoid, tanh, sigmoid); "
        "c = f c_prev + i g; h = o tanh(c)",
        make_cases=_step_cases,
    ),
    Exercise(
        id="lstm.step_backward",
        function="lstm_step_backward",
        points=3,
        chapter="lstm",
        title="one LSTM step, backward",
        hint="recompute the step; dc_total = dc + dh * o * (1 - tanh(c)**2); then the four "
        "gate gradients times their derivatives s(1-s) or 1-g**2; dc_prev = dc_total * f",
        make_cases=_step_backward_cases,
    ),
    Exercise(
        id="lstm.forward",
        function="lstm_forward",
        points=2,
        chapter="lstm",
        title="an LSTM over a whole sequence",
        hint="loop over t, feed (h, c) of each step into the next, stack both",
        make_cases=_forward_cases,
    ),
    Exercise(
        id="lstm.backward",
        function="lstm_backward",
        points=3,
        chapter="lstm",
        title="backpropagation through time for an LSTM",
        hint="run the forward pass and keep every (h, c); go from t = T-1 down to 0 with two "
        "carries: dh = dhs[t] + what came from t+1, and dc from t+1",
        make_cases=_backward_cases,
    ),
]
