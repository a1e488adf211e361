"""Recurrent layers and the embedding lookup as Functions (part of ``mininn.functional``).

Each recurrent Function runs a whole sequence of one layer, so the graph has one node per
layer rather than one per time step:

- forward: the input projections of all T steps in one BLAS product
  ``(T*N, I) @ (I, G*H)``; then per step one BLAS product ``h @ W_hh^T`` and the gates,
  fused in the kernels of `mininn.kernels.rnn`;
- backward: the steps in reverse (backpropagation through time), one kernel and one BLAS
  product ``da @ W_hh`` per step; then the weight gradients of all steps at once,
  ``dW_ih = dA^T X`` and ``dW_hh = dA^T H_prev``, each one big BLAS product over T*N rows.

Layout: time-major, x (T, N, I), states (N, H); the modules in `mininn.nn` handle
``batch_first`` and layers. The input may also be integer token ids (T, N) standing for
one-hot vectors of length I: the input projection is then a row lookup and dW_ih a
scatter-add, with the same results as the one-hot product.

A Function returns one array, so the states ride along with the outputs in one "packed"
array that `lstm`, `gru` and `rnn` slice apart:
``(T+2, N, H) = [h_0, h_1..h_T, c_T]`` for the LSTM and ``(T+1, N, H) = [h_0..h_T]`` for
the GRU and the RNN. The outputs are ``packed[1:T+1]`` and h_n is ``packed[T]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mininn.functional import GetItem, _tensor
from mininn.tensor import Function, Tensor

__all__ = [
    "lstm",
    "gru",
    "rnn",
    "embedding",
    "LSTM",
    "GRU",
    "RNN",
    "Embedding",
]


def _gate_scale(pattern: str, hidden: int, dtype: np.dtype) -> np.ndarray:
    """Per-row factors of the fused weights: 1/2 for sigmoid gates ('s'), 1 for tanh ('t').

    The forward passes take sigmoid(a) as (1 + tanh(a/2)) / 2, so one ``np.tanh`` covers
    all gates (see `mininn.kernels.rnn`).
    """
    from mininn.kernels.rnn import SIGMOID_SCALE

    return np.repeat([SIGMOID_SCALE if p == "s" else 1.0 for p in pattern], hidden).astype(dtype)


def _flat(x: np.ndarray) -> np.ndarray:
    """(T, N, I) as a C-contiguous (T*N, I) matrix (a copy only if x is not contiguous)."""
    return np.ascontiguousarray(x).reshape(-1, x.shape[-1])


def _with_bias_column(x2: np.ndarray, bias: tuple) -> np.ndarray:
    """[X | 1] (a column of ones appended) when there is a bias, else X itself."""
    if not bias:
        return x2
    x1 = np.empty((x2.shape[0], x2.shape[1] + 1), dtype=x2.dtype)
    x1[:, :-1] = x2
    x1[:, -1] = 1
    return x1


def _project_input(x, w_ih, bias, scale):
    """The input's share of every pre-activation, (T*N, G), with the gate scale and the bias
    ``(b_ih + b_hh)`` folded in; returns it and what the backward needs.

    Float x (T, N, I): one BLAS product ``[X | 1] @ [W_ih | b]^T``; the backward gets
    ``[X | 1]``. Integer x (T, N): token ids standing for one-hot vectors of length I, so the
    product is a lookup of rows of the table ``W_ih^T + b`` (I, G): measured 0.44 against
    3.2 ms (CPU time, one thread) for the benchmark's 2048 ids and G = 1024. The backward
    gets the ids.
    """
    w = w_ih * scale[:, None]
    b = (bias[0] + bias[1]) * scale if bias else None
    if x.dtype.kind in "iu":
        ids = np.ascontiguousarray(x.reshape(-1), dtype=np.intp)
        table = w.T if b is None else w.T + b
        return np.take(table, ids, axis=0), ids
    x1 = _with_bias_column(_flat(x), bias)
    if b is not None:
        w = np.concatenate([w, b[:, None]], axis=1)
    return x1 @ w.T, x1


def _shared_weight_grads(ctx, da2, saved, h_prev, first_weight):
    """dW_ih, dW_hh and the bias gradients when both products share one pre-activation
    gradient dA (LSTM, RNN): a single BLAS product dA^T [X | 1 | H_prev] gives them all.

    Measured for the benchmark's LSTM (dA 2048 x 1024, one thread, CPU time): 14.8 ms with
    the copy into [X | 1 | H_prev], against 16.2 ms for two products and the bias sum.
    With token ids (one-hot input) dW_ih is a scatter-add of dA's rows instead.
    """
    needs = ctx.needs_input_grad
    if not (needs[first_weight] or needs[first_weight + 1] or ctx.has_bias):
        return (None, None) + ((None, None) if ctx.has_bias else ())
    if saved.dtype.kind in "iu":
        from mininn.kernels.rnn import embedding_backward

        table = embedding_backward(saved, da2, ctx.input_size)  # (I, G)
        out = (table.T, da2.T @ h_prev)
        return out + ((table.sum(axis=0),) * 2 if ctx.has_bias else ())
    k = saved.shape[1]
    xh = np.empty((saved.shape[0], k + h_prev.shape[1]), dtype=saved.dtype)
    xh[:, :k] = saved
    xh[:, k:] = h_prev
    g = da2.T @ xh
    i = k - 1 if ctx.has_bias else k
    out = (g[:, :i], g[:, k:])
    return out + ((g[:, i], g[:, i]) if ctx.has_bias else ())


def _weight_grads(ctx, da_x, da_h, saved, h_prev, first_weight):
    """dW_ih = dA_x^T X (or a scatter-add for token ids), dW_hh = dA_h^T H_prev, and the
    bias sums, as requested."""
    needs = ctx.needs_input_grad
    gw_ih = None
    if saved.dtype.kind in "iu":
        from mininn.kernels.rnn import embedding_backward

        gw_ih = embedding_backward(saved, da_x, ctx.input_size).T
    elif needs[first_weight]:
        gw_ih = da_x.T @ saved
    gw_hh = da_h.T @ h_prev if needs[first_weight + 1] else None
    if not ctx.has_bias:
        return gw_ih, gw_hh
    return gw_ih, gw_hh, da_x.sum(axis=0), da_h.sum(axis=0)


# ---------------------------------------------------------------------------------------------
# LSTM


class LSTM(Function):
    """One LSTM layer over a whole sequence (PyTorch's equations and gate order i, f, g, o).

    Inputs: x (T, N, I), h0 (N, H), c0 (N, H), w_ih (4H, I), w_hh (4H, H) and optionally
    b_ih, b_hh (4H,). Output: packed (T+2, N, H) = ``[h_0, h_1..h_T, c_T]``.

    Per step: a = x_t W_ih^T + b_ih + h W_hh^T + b_hh; i, f, o = sigmoid, g = tanh of its
    four blocks; c' = f c + i g; h' = o tanh(c').

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w_ih, w_hh = mininn.randn(7, 2, 3), mininn.randn(20, 3), mininn.randn(20, 5)
    >>> out, h_n, c_n = F.lstm(x, w_ih, w_hh)  # applies LSTM
    >>> out.shape, h_n.shape, c_n.shape
    ((7, 2, 5), (2, 5), (2, 5))
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, *bias):
        from mininn.kernels.rnn import lstm_forward_gates

        t_len, n = x.shape[:2]
        h = w_hh.shape[1]
        scale = _gate_scale("ssts", h, w_hh.dtype)
        proj, saved = _project_input(x, w_ih, bias, scale)
        acts = proj.reshape(t_len, n, 4 * h)
        w_hh_t = np.ascontiguousarray((w_hh * scale[:, None]).T)  # (H, 4H)
        hs = np.empty((t_len + 2, n, h), dtype=acts.dtype)  # h_0..h_T, then c_T
        cs = np.empty((t_len + 1, n, h), dtype=acts.dtype)  # c_0..c_T
        tcs = np.empty((t_len, n, h), dtype=acts.dtype)  # tanh(c_1..c_T)
        hs[0], cs[0] = h0, c0
        rec = np.empty((n, 4 * h), dtype=acts.dtype)
        for t in range(t_len):
            a = acts[t]
            np.matmul(hs[t], w_hh_t, out=rec)
            a += rec
            np.tanh(a, out=a)
            lstm_forward_gates(a, cs[t], cs[t + 1])  # a now holds the gates i, f, g, o
            np.tanh(cs[t + 1], out=tcs[t])
            np.multiply(a[:, 3 * h :], tcs[t], out=hs[t + 1])
        hs[t_len + 1] = cs[t_len]
        ctx.save_for_backward(saved, acts, hs, cs, tcs, w_ih, w_hh)
        ctx.has_bias, ctx.input_size = bool(bias), w_ih.shape[1]
        return hs

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.rnn import lstm_backward_gates

        saved, gates, hs, cs, tcs, w_ih, w_hh = ctx.saved_tensors
        t_len, n, h4 = gates.shape
        h = h4 // 4
        grad = np.asarray(grad, dtype=hs.dtype)
        dc = grad[t_len + 1].copy()  # dL/dc_T, then dL/dc_t going back
        dh_rec = np.zeros((n, h), dtype=hs.dtype)
        da = np.empty_like(gates)
        for t in range(t_len - 1, -1, -1):
            lstm_backward_gates(gates[t], cs[t], tcs[t], grad[t + 1], dh_rec, dc, da[t])
            np.matmul(da[t], w_hh, out=dh_rec)
        da2 = da.reshape(t_len * n, h4)
        needs = ctx.needs_input_grad
        gx = (da2 @ w_ih).reshape(t_len, n, -1) if needs[0] else None
        gh0 = dh_rec + grad[0] if needs[1] else None
        gc0 = dc if needs[2] else None
        hprev = hs[:t_len].reshape(t_len * n, h)
        return (gx, gh0, gc0, *_shared_weight_grads(ctx, da2, saved, hprev, 3))


# ---------------------------------------------------------------------------------------------
# GRU


class GRU(Function):
    """One GRU layer over a whole sequence (PyTorch's equations and gate order r, z, n).

    Inputs: x (T, N, I), h0 (N, H), w_ih (3H, I), w_hh (3H, H), optionally b_ih, b_hh (3H,).
    Output: packed (T+1, N, H) = ``[h_0, h_1..h_T]``.

    Per step: r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z});
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)); h' = (1 - z) n + z h.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w_ih, w_hh = mininn.randn(7, 2, 3), mininn.randn(15, 3), mininn.randn(15, 5)
    >>> out, h_n = F.gru(x, w_ih, w_hh)  # applies GRU
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 5))
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *bias):
        from mininn.kernels.rnn import gru_forward_gates, gru_forward_output

        t_len, n = x.shape[:2]
        h = w_hh.shape[1]
        dtype = w_hh.dtype
        scale = _gate_scale("sst", h, dtype)
        proj, saved = _project_input(x, w_ih, (), scale)
        acts = proj.reshape(t_len, n, 3 * h)
        if bias:
            b_ih, b_hh = bias
            acts[..., : 2 * h] += (b_ih[: 2 * h] + b_hh[: 2 * h]) * scale[: 2 * h]
            acts[..., 2 * h :] += b_ih[2 * h :]
            b_hn = b_hh[2 * h :]
        else:
            b_hn = np.zeros(h, dtype=dtype)
        w_hh_t = np.ascontiguousarray((w_hh * scale[:, None]).T)  # (H, 3H)
        hs = np.empty((t_len + 1, n, h), dtype=dtype)
        hns = np.empty((t_len, n, h), dtype=dtype)  # h W_hn^T + b_hn, used by backward
        hs[0] = h0
        rec = np.empty((n, 3 * h), dtype=dtype)
        for t in range(t_len):
            a = acts[t]
            np.matmul(hs[t], w_hh_t, out=rec)
            rz = a[:, : 2 * h]
            rz += rec[:, : 2 * h]
            np.tanh(rz, out=rz)
            np.add(rec[:, 2 * h :], b_hn, out=hns[t])
            gru_forward_gates(a, a[:, 2 * h :], hns[t])  # r, z done; n's pre-activation
            np.tanh(a[:, 2 * h :], out=a[:, 2 * h :])
            gru_forward_output(a, hs[t], hs[t + 1])
        ctx.save_for_backward(saved, acts, hns, hs, w_ih, w_hh)
        ctx.has_bias, ctx.input_size = bool(bias), w_ih.shape[1]
        return hs

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.rnn import gru_backward_gates

        saved, gates, hns, hs, w_ih, w_hh = ctx.saved_tensors
        t_len, n, h3 = gates.shape
        h = h3 // 3
        grad = np.asarray(grad, dtype=hs.dtype)
        dxa = np.empty_like(gates)
        dha = np.empty_like(gates)
        dh_rec = np.zeros((n, h), dtype=hs.dtype)
        direct = np.empty((n, h), dtype=hs.dtype)
        for t in range(t_len - 1, -1, -1):
            gru_backward_gates(gates[t], hns[t], hs[t], grad[t + 1], dh_rec, dxa[t], dha[t], direct)
            np.matmul(dha[t], w_hh, out=dh_rec)
            dh_rec += direct
        dxa2, dha2 = dxa.reshape(t_len * n, h3), dha.reshape(t_len * n, h3)
        needs = ctx.needs_input_grad
        gx = (dxa2 @ w_ih).reshape(t_len, n, -1) if needs[0] else None
        gh0 = dh_rec + grad[0] if needs[1] else None
        hprev = hs[:t_len].reshape(t_len * n, h)
        return (gx, gh0, *_weight_grads(ctx, dxa2, dha2, saved, hprev, 2))


# ---------------------------------------------------------------------------------------------
# Elman RNN


class RNN(Function):
    """One Elman RNN layer over a whole sequence: h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh).

    f is tanh, or relu with ``relu=True``. Inputs: x (T, N, I), h0 (N, H), w_ih (H, I),
    w_hh (H, H), optionally b_ih, b_hh (H,). Output: packed (T+1, N, H) = ``[h_0..h_T]``.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w_ih, w_hh = mininn.randn(7, 2, 3), mininn.randn(5, 3), mininn.randn(5, 5)
    >>> out, h_n = F.rnn(x, w_ih, w_hh)  # applies RNN
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 5))
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *bias, relu=False):
        t_len, n = x.shape[:2]
        h = w_hh.shape[1]
        proj, saved = _project_input(x, w_ih, bias, np.ones(h, w_hh.dtype))
        xa = proj.reshape(t_len, n, h)
        hs = np.empty((t_len + 1, n, h), dtype=w_hh.dtype)
        hs[0] = h0
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for t in range(t_len):
            out = hs[t + 1]
            np.matmul(hs[t], w_hh_t, out=out)
            out += xa[t]
            if relu:
                np.maximum(out, 0, out=out)
            else:
                np.tanh(out, out=out)
        ctx.save_for_backward(saved, hs, w_ih, w_hh)
        ctx.has_bias, ctx.relu, ctx.input_size = bool(bias), relu, w_ih.shape[1]
        return hs

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.rnn import rnn_backward_step

        saved, hs, w_ih, w_hh = ctx.saved_tensors
        t_len = hs.shape[0] - 1
        n, h = hs.shape[1:]
        grad = np.asarray(grad, dtype=hs.dtype)
        da = np.empty((t_len, n, h), dtype=hs.dtype)
        dh_rec = np.zeros((n, h), dtype=hs.dtype)
        for t in range(t_len - 1, -1, -1):
            rnn_backward_step(hs[t + 1], grad[t + 1], dh_rec, da[t], ctx.relu)
            np.matmul(da[t], w_hh, out=dh_rec)
        da2 = da.reshape(t_len * n, h)
        needs = ctx.needs_input_grad
        gx = (da2 @ w_ih).reshape(t_len, n, -1) if needs[0] else None
        gh0 = dh_rec + grad[0] if needs[1] else None
        hprev = hs[:t_len].reshape(t_len * n, h)
        return (gx, gh0, *_shared_weight_grads(ctx, da2, saved, hprev, 2))


# ---------------------------------------------------------------------------------------------
# Argument checks and the user-facing functions


def _check_layer(where, x, w_ih, w_hh, b_ih, b_hh, gates):
    """Check one layer's input and weights; returns (x, w_ih, w_hh, biases, H)."""
    x, w_ih, w_hh = _tensor(x), _tensor(w_ih), _tensor(w_hh)
    ids = x.dtype.kind in "iu"  # token ids (T, N) standing for one-hot vectors
    if x.ndim != (2 if ids else 3):
        what = "token ids (T, N)" if ids else "(T, N, input_size)"
        raise ValueError(f"{where}: input must have shape {what} (time first), got {x.shape}")
    if not ids and x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{where}: input must be float32 or float64 (or integer token ids), got {x.dtype}"
        )
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(f"{where}: weight_hh must have shape ({gates}*H, H), got {w_hh.shape}")
    h = w_hh.shape[1]
    if ids:
        if w_ih.ndim != 2 or w_ih.shape[0] != gates * h:
            raise ValueError(
                f"{where}: weight_ih must have shape ({gates * h}, I), got {w_ih.shape}"
            )
        if x.size and (x.data.min() < 0 or x.data.max() >= w_ih.shape[1]):
            bad = int(x.data.min()) if x.data.min() < 0 else int(x.data.max())
            raise IndexError(
                f"{where}: token id {bad} is out of range [0, {w_ih.shape[1]}) (input_size)"
            )
    elif w_ih.shape != (gates * h, x.shape[2]):
        raise ValueError(
            f"{where}: weight_ih must have shape ({gates * h}, {x.shape[2]}) for input of "
            f"shape {x.shape} and hidden size {h}, got {w_ih.shape}"
        )
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{where}: pass both biases (b_ih and b_hh) or neither")
    biases = ()
    if b_ih is not None:
        biases = (_tensor(b_ih), _tensor(b_hh))
        for name, b in zip(("b_ih", "b_hh"), biases, strict=True):
            if b.shape != (gates * h,):
                raise ValueError(f"{where}: {name} must have shape ({gates * h},), got {b.shape}")
    named = [("weight_ih", w_ih), ("weight_hh", w_hh)]
    named += list(zip(("b_ih", "b_hh"), biases, strict=False))
    dtype = w_hh.dtype if ids else x.dtype
    for name, t in named:
        if t.dtype != dtype:
            raise TypeError(
                f"{where}: input is {dtype} but {name} is {t.dtype}; convert one of them"
            )
    return x, w_ih, w_hh, biases, h


def _check_state(where, name, state, x, h, dtype):
    """A state (N, H) of the weights' dtype, or zeros when None."""
    shape = (x.shape[1], h)
    if state is None:
        return Tensor(np.zeros(shape, dtype=dtype))
    state = _tensor(state)
    if state.shape != shape:
        raise ValueError(
            f"{where}: {name} must have shape (N, H) = {shape} for input of shape {x.shape}, "
            f"got {state.shape}"
        )
    if state.dtype != dtype:
        raise TypeError(f"{where}: the weights are {dtype} but {name} is {state.dtype}")
    return state


def lstm(
    x: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    h0: Any = None,
    c0: Any = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a sequence: returns (output (T, N, H), h_n (N, H), c_n (N, H)).

    x (T, N, I); w_ih (4H, I) and w_hh (4H, H) hold the gates i, f, g, o stacked as in
    PyTorch; b_ih, b_hh (4H,) or None; h0, c0 (N, H), zeros when None.

    >>> out, h_n, c_n = lstm(x, w_ih, w_hh, b_ih, b_hh)  # doctest: +SKIP
    """
    x, w_ih, w_hh, biases, h = _check_layer("lstm", x, w_ih, w_hh, b_ih, b_hh, 4)
    h0 = _check_state("lstm", "h0", h0, x, h, w_hh.dtype)
    c0 = _check_state("lstm", "c0", c0, x, h, w_hh.dtype)
    t_len = x.shape[0]
    packed = LSTM.apply(x, h0, c0, w_ih, w_hh, *biases)
    return (
        GetItem.apply(packed, index=slice(1, t_len + 1)),
        GetItem.apply(packed, index=t_len),
        GetItem.apply(packed, index=t_len + 1),
    )


def gru(
    x: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None, h0: Any = None
) -> tuple[Tensor, Tensor]:
    """One GRU layer over a sequence: returns (output (T, N, H), h_n (N, H)).

    x (T, N, I); w_ih (3H, I) and w_hh (3H, H) hold the gates r, z, n stacked as in
    PyTorch; b_ih, b_hh (3H,) or None; h0 (N, H), zeros when None.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w_ih, w_hh = mininn.randn(7, 2, 3), mininn.randn(15, 3), mininn.randn(15, 5)
    >>> out, h_n = F.gru(x, w_ih, w_hh)
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 5))
    """
    x, w_ih, w_hh, biases, h = _check_layer("gru", x, w_ih, w_hh, b_ih, b_hh, 3)
    h0 = _check_state("gru", "h0", h0, x, h, w_hh.dtype)
    t_len = x.shape[0]
    packed = GRU.apply(x, h0, w_ih, w_hh, *biases)
    return GetItem.apply(packed, index=slice(1, t_len + 1)), GetItem.apply(packed, index=t_len)


def rnn(
    x: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    h0: Any = None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer over a sequence: returns (output (T, N, H), h_n (N, H)).

    h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with f = tanh or relu;
    x (T, N, I), w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,) or None, h0 (N, H) or None.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> x, w_ih, w_hh = mininn.randn(7, 2, 3), mininn.randn(5, 3), mininn.randn(5, 5)
    >>> out, h_n = F.rnn(x, w_ih, w_hh)
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 5))
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    x, w_ih, w_hh, biases, h = _check_layer("rnn", x, w_ih, w_hh, b_ih, b_hh, 1)
    h0 = _check_state("rnn", "h0", h0, x, h, w_hh.dtype)
    t_len = x.shape[0]
    packed = RNN.apply(x, h0, w_ih, w_hh, *biases, relu=nonlinearity == "relu")
    return GetItem.apply(packed, index=slice(1, t_len + 1)), GetItem.apply(packed, index=t_len)


# ---------------------------------------------------------------------------------------------
# Embedding


class Embedding(Function):
    """Row lookup: out[...] = weight[indices[...]]; backward adds each gradient row back
    into the row it came from (repeated indices add up).

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.Embedding.apply(mininn.randn(10, 4), indices=[[1, 2, 3], [4, 5, 6]]).shape
    (2, 3, 4)
    """

    @staticmethod
    def forward(ctx, weight, indices):
        ctx.indices, ctx.num = indices, weight.shape[0]
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        from mininn.kernels.rnn import embedding_backward

        flat = np.ascontiguousarray(ctx.indices.reshape(-1), dtype=np.intp)
        g = np.ascontiguousarray(grad).reshape(flat.size, -1)
        return embedding_backward(flat, g, ctx.num)


def embedding(indices: Any, weight: Any) -> Tensor:
    """Look up rows of weight (num_embeddings, embedding_dim) at integer indices of any shape.

    Returns indices.shape + (embedding_dim,). Indices must be integers in
    [0, num_embeddings); a float or out-of-range index raises with the offending value.

    >>> import mininn
    >>> import mininn.functional as F
    >>> mininn.manual_seed(0)
    >>> F.embedding([[1, 2, 3], [4, 5, 6]], mininn.randn(10, 4)).shape
    (2, 3, 4)
    """
    weight = _tensor(weight)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must have shape (num_embeddings, embedding_dim), got {weight.shape}"
        )
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"embedding: index {bad} is out of range [0, {num}) ({num} embeddings)")
    return Embedding.apply(weight, indices=idx)
