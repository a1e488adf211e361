"""Graded exercises of the chapter on recurrent neural networks (notebook stem ``rnn``): one
step of a tanh RNN forward and backward, and the whole sequence forward and backward
(backpropagation through time).

The module is called ``rnn_basics`` so that its name does not shadow anything called
``rnn``; its exercises belong to the chapter ``rnn`` (``solutions/rnn.ipynb``).

Shapes follow PyTorch: ``x`` is (N, D), ``h`` is (N, H), ``W_xh`` is (H, D) and ``W_hh`` is
(H, H), and one step is ``h = tanh(x @ W_xh.T + h_prev @ W_hh.T + b)``. Every reference is
computed here in float64 by explicit loops over examples, units and time steps (a dot product
written as a sum), never by `mininn` and never by the student's code.

All cases are float64 with standard normal inputs. The results are sums of a few dozen
products followed by tanh; the student's vectorised sums may add the terms in another order,
which changes the result by a few units in the last place, and through T steps of the
recurrence by at most T times that. A relative tolerance of 1e-7 allows this with a wide
margin, and is still far below any real mistake (a missing ``1 - h**2`` factor or a
transposed weight changes entries by more than 1e-2). Edge cases: a single time step, a zero
initial state, a batch of one, saturated units (large weights: ``1 - h**2`` is tiny), a loss
that reaches only the last step.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F64_SUMS = 1e-7


def _step_reference(x, h_prev, W_xh, W_hh, b):
    n, d = x.shape
    hidden = W_hh.shape[0]
    h = np.zeros((n, hidden))
    for m in range(n):
        for i in range(hidden):
            a = b[i]
            for j in range(d):
                a += W_xh[i, j] * x[m, j]
            for j in range(hidden):
                a += W_hh[i, j] * h_prev[m, j]
            h[m, i] = math.tanh(a)
    return h


def _step_backward_reference(dh, h, x, h_prev, W_xh, W_hh):
    n, d = x.shape
    hidden = W_hh.shape[0]
    dx, dh_prev = np.zeros((n, d)), np.zeros((n, hidden))
    dW_xh, dW_hh, db = np.zeros((hidden, d)), np.zeros((hidden, hidden)), np.zeros(hidden)
    for m in range(n):
        for i in range(hidden):
            da = dh[m, i] * (1.0 - h[m, i] * h[m, i])  # tanh' = 1 - tanh^2
            db[i] += da
            for j in range(d):
                dW_xh[i, j] += da * x[m, j]
                dx[m, j] += da * W_xh[i, j]
            for j in range(hidden):
                dW_hh[i, j] += da * h_prev[m, j]
                dh_prev[m, j] += da * W_hh[i, j]
    return dx, dh_prev, dW_xh, dW_hh, db


def _forward_reference(xs, h0, W_xh, W_hh, b):
    hs = np.zeros((xs.shape[0], h0.shape[0], h0.shape[1]))
    h = h0
    for t in range(xs.shape[0]):
        h = _step_reference(xs[t], h, W_xh, W_hh, b)
        hs[t] = h
    return hs


def _backward_reference(dhs, hs, xs, h0, W_xh, W_hh):
    T = xs.shape[0]
    dxs = np.zeros(xs.shape)
    dW_xh, dW_hh, db = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])
    carry = np.zeros(h0.shape)  # dL/dh_t arriving from step t+1
    for t in range(T - 1, -1, -1):
        h_prev = hs[t - 1] if t > 0 else h0
        grads = _step_backward_reference(dhs[t] + carry, hs[t], xs[t], h_prev, W_xh, W_hh)
        dxs[t], carry = grads[0], grads[1]
        dW_xh, dW_hh, db = dW_xh + grads[2], dW_hh + grads[3], db + grads[4]
    return dxs, carry, dW_xh, dW_hh, db


def _weights(rng, d, hidden, scale=1.0):
    W_xh = rng.standard_normal((hidden, d)) * scale / math.sqrt(d)
    W_hh = rng.standard_normal((hidden, hidden)) * scale / math.sqrt(hidden)
    return W_xh, W_hh, rng.standard_normal(hidden) * 0.1


# ---------------------------------------------------------------------------------------------
# 1. One step forward
# ---------------------------------------------------------------------------------------------


def _step_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, n, d, hidden, scale=1.0, zero_h=False, hidden_case=False):
        W_xh, W_hh, b = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev = np.zeros((n, hidden)) if zero_h else np.tanh(rng.standard_normal((n, hidden)))
        ref = _step_reference(x, h_prev, W_xh, W_hh, b)
        return Case(name, (x, h_prev, W_xh, W_hh, b), ref, F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a zero previous state", 3, 4, 6, zero_h=True),
        case("a batch of one", 1, 2, 3),
        case("one input feature, one hidden unit", 5, 1, 1),
        case("large weights: saturated units near +-1", 3, 4, 5, scale=8.0),
        case("more inputs than hidden units: D=10, H=2", 2, 10, 2),
        case("N=16, D=8, H=32", 16, 8, 32, hidden_case=True),
        case("saturated, N=6, D=5, H=7", 6, 5, 7, scale=6.0, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. One step backward
# ---------------------------------------------------------------------------------------------


def _step_backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, n, d, hidden, scale=1.0, zero_h=False, hidden_case=False):
        W_xh, W_hh, b = _weights(rng, d, hidden, scale)
        x = rng.standard_normal((n, d))
        h_prev = np.zeros((n, hidden)) if zero_h else np.tanh(rng.standard_normal((n, hidden)))
        h = _step_reference(x, h_prev, W_xh, W_hh, b)
        dh = rng.standard_normal((n, hidden))
        ref = _step_backward_reference(dh, h, x, h_prev, W_xh, W_hh)
        return Case(name, (dh, h, x, h_prev, W_xh, W_hh), ref, F64_SUMS, hidden_case)

    return [
        case("N=4, D=3, H=5", 4, 3, 5),
        case("a zero previous state: dW_hh is 0", 3, 4, 6, zero_h=True),
        case("a batch of one", 1, 2, 3),
        case("one input feature, one hidden unit", 5, 1, 1),
        case("large weights: saturated units pass almost nothing back", 3, 4, 5, scale=8.0),
        case("more inputs than hidden units: D=10, H=2", 2, 10, 2),
        case("N=16, D=8, H=32", 16, 8, 32, hidden_case=True),
        case("N=7, D=3, H=9", 7, 3, 9, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. The whole sequence forward
# ---------------------------------------------------------------------------------------------


def _forward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, T, n, d, hidden, scale=1.0, zero_h=False, hidden_case=False):
        W_xh, W_hh, b = _weights(rng, d, hidden, scale)
        xs = rng.standard_normal((T, n, d))
        h0 = np.zeros((n, hidden)) if zero_h else np.tanh(rng.standard_normal((n, hidden)))
        ref = _forward_reference(xs, h0, W_xh, W_hh, b)
        return Case(name, (xs, h0, W_xh, W_hh, b), ref, F64_SUMS, hidden_case)

    return [
        case("T=5, N=2, D=3, H=4", 5, 2, 3, 4),
        case("a single time step", 1, 3, 2, 5),
        case("a zero initial state", 6, 2, 3, 3, zero_h=True),
        case("a batch of one, T=10", 10, 1, 2, 4),
        case("large weights, T=8", 8, 2, 3, 4, scale=4.0),
        case("T=30, N=4, D=5, H=16", 30, 4, 5, 16, hidden_case=True),
        case("T=12, N=3, D=1, H=6", 12, 3, 1, 6, hidden_case=True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Backpropagation through time
# ---------------------------------------------------------------------------------------------


def _backward_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, T, n, d, hidden, scale=1.0, zero_h=False, last_only=False, hidden_case=False):
        W_xh, W_hh, b = _weights(rng, d, hidden, scale)
        xs = rng.standard_normal((T, n, d))
        h0 = np.zeros((n, hidden)) if zero_h else np.tanh(rng.standard_normal((n, hidden)))
        hs = _forward_reference(xs, h0, W_xh, W_hh, b)
        dhs = rng.standard_normal((T, n, hidden))
        if last_only:
            dhs[:-1] = 0.0
        ref = _backward_reference(dhs, hs, xs, h0, W_xh, W_hh)
        return Case(name, (dhs, hs, xs, h0, W_xh, W_hh), ref, F64_SUMS, hidden_case)

    return [
        case("T=5, N=2, D=3, H=4", 5, 2, 3, 4),
        case("a single time step: the same as one step backward", 1, 3, 2, 5),
        case("a loss at the last step only", 6, 2, 3, 4, last_only=True),
        case("a zero initial state", 6, 2, 3, 3, zero_h=True),
        case("a batch of one, T=10", 10, 1, 2, 4),
        case("large weights, T=8", 8, 2, 3, 4, scale=4.0),
        case("T=30, N=4, D=5, H=16", 30, 4, 5, 16, hidden_case=True),
        case("T=20, last step only, N=3, H=8", 20, 3, 2, 8, last_only=True, hidden_case=True),
    ]


EXERCISES = [
    Exercise(
        id="rnn.step_forward",
        function="rnn_step_forward",
        points=2,
        chapter="rnn",
        title="one step of a tanh RNN, forward",
        hint="tanh of (input term + recurrent term + bias); rows are examples, so use W.T",
        make_cases=_step_cases,
    ),
    Exercise(
        id="rnn.step_backward",
        function="rnn_step_backward",
        points=3,
        chapter="rnn",
        title="one step of a tanh RNN, backward",
        hint="da = dh * (1 - h**2); then da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, sum",
        make_cases=_step_backward_cases,
    ),
    Exercise(
        id="rnn.forward",
        function="rnn_forward",
        points=2,
        chapter="rnn",
        title="a tanh RNN over a whole sequence",
        hint="loop over t, feed each new state into the next step, stack the states",
        make_cases=_forward_cases,
    ),
    Exercise(
        id="rnn.backward",
        function="rnn_backward",
        points=3,
        chapter="rnn",
        title="backpropagation through time",
        hint="go from t = T-1 down to 0; the step's dh is dhs[t] plus what came from t+1",
        make_cases=_backward_cases,
    ),
]
