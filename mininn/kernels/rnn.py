"""Fused gate kernels of the recurrent layers (LSTM, GRU, RNN) and of the embedding lookup.

One time step of a recurrent layer is a matrix product (BLAS, through NumPy's ``@``)
followed by a handful of elementwise operations on the gates. Done with NumPy, each of
those operations is one pass over memory with one temporary array; the kernels here do them
in a single pass. Their contract is:

- Arrays are 2-D, float32 or float64, rows = the batch (N), columns = units; the gate
  arrays hold the gates side by side in PyTorch's order: LSTM ``(i, f, g, o)``, width 4H;
  GRU ``(r, z, n)``, width 3H. Views with a unit column stride are fine (a time step of a
  ``(T, N, G)`` array); shapes are checked by the caller (`mininn.functional`), not here.
- Outputs are written into arrays the caller passes, so the per-step loop allocates nothing.
- Every kernel has a plain NumPy version next to it (``*_reference``), the one the book
  derives, with the same arguments; `tests/test_rnn.py` checks that the two agree.

Transcendental functions stay in NumPy. Without Intel's SVML, Numba compiles ``math.tanh``
and ``math.exp`` to scalar library calls: measured on this machine (AVX-512, float32,
32768 values) ``math.tanh`` in a Numba loop took 680 us, a sigmoid through ``math.exp``
160 us, while NumPy's SIMD ``np.tanh`` took 15 us. So the forward pass gets its
nonlinearities from one ``np.tanh`` over all gates, using sigmoid(a) = (1 + tanh(a/2)) / 2:
the caller scales the sigmoid gates' rows of the weights by 1/2 once per sequence, and the
kernels turn ``tanh(a/2)`` into ``sigmoid(a)`` on the fly. The backward passes need no
transcendental function at all: every derivative is written with the gate values saved by
the forward pass (sigmoid' = s (1 - s), tanh' = 1 - t^2).

The kernels are serial ``njit(cache=True)``: they run right after a BLAS product, where a
parallel kernel waits for OpenBLAS's spinning threads (see `mininn.kernels.conv`), and one
step's arrays (32 x 1024 values for the benchmark's LSTM) are too small to split anyway.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "lstm_forward_gates",
    "lstm_forward_gates_reference",
    "lstm_backward_gates",
    "lstm_backward_gates_reference",
    "gru_forward_gates",
    "gru_forward_gates_reference",
    "gru_forward_output",
    "gru_forward_output_reference",
    "gru_backward_gates",
    "gru_backward_gates_reference",
    "rnn_backward_step",
    "rnn_backward_step_reference",
    "embedding_backward",
    "embedding_backward_reference",
    "SIGMOID_SCALE",
]

#: Factor applied to a sigmoid gate's pre-activation before the shared ``np.tanh``.
SIGMOID_SCALE = 0.5


# ---------------------------------------------------------------------------------------------
# LSTM: gates (i, f, g, o); c' = f c + i g; h' = o tanh(c')


@njit(cache=True)
def lstm_forward_gates(act, c_prev, c):  # pragma: no cover - compiled
    """Turn tanh'ed pre-activations into gate values and update the cell, in one pass.

    act (N, 4H): on entry ``tanh([a_i/2, a_f/2, a_g, a_o/2])``; on exit the gates
    ``[i, f, g, o]`` (sigmoid(a) = (1 + tanh(a/2)) / 2). c_prev (N, H): the previous cell.
    c (N, H): written with ``f * c_prev + i * g``. The caller then computes
    ``h = o * tanh(c)`` with NumPy's SIMD tanh.
    """
    n, h4 = act.shape
    h = h4 // 4
    for b in range(n):
        a_i, a_f, a_g, a_o = act[b, :h], act[b, h : 2 * h], act[b, 2 * h : 3 * h], act[b, 3 * h :]
        cp, cn = c_prev[b], c[b]
        for j in range(h):
            i_g = 0.5 + 0.5 * a_i[j]
            f_g = 0.5 + 0.5 * a_f[j]
            a_i[j] = i_g
            a_f[j] = f_g
            a_o[j] = 0.5 + 0.5 * a_o[j]
            cn[j] = f_g * cp[j] + i_g * a_g[j]


def lstm_forward_gates_reference(act, c_prev, c):
    """NumPy version of `lstm_forward_gates` (same arguments, same in-place results)."""
    h = c.shape[1]
    act[:, : 2 * h] = 0.5 + 0.5 * act[:, : 2 * h]  # i, f
    act[:, 3 * h :] = 0.5 + 0.5 * act[:, 3 * h :]  # o
    i, f, g = act[:, :h], act[:, h : 2 * h], act[:, 2 * h : 3 * h]
    c[...] = f * c_prev + i * g


@njit(cache=True)
def lstm_backward_gates(gates, c_prev, tc, dh_out, dh_rec, dc, da):  # pragma: no cover
    """One step of the LSTM's backward pass through the gates, fused.

    gates (N, 4H): ``[i, f, g, o]`` of this step; c_prev (N, H): the cell before the step;
    tc (N, H): ``tanh(c)`` after it. dh_out (N, H): the loss's gradient with respect to this
    step's output h; dh_rec (N, H): the gradient arriving through the next step. dc (N, H):
    on entry the gradient with respect to this step's cell c (from the next step), on exit
    with respect to c_prev. da (N, 4H): written with the gradient with respect to the four
    pre-activations ``a = x W_ih^T + h_prev W_hh^T + b``.
    """
    n, h4 = gates.shape
    h = h4 // 4
    for b in range(n):
        # one row at a time, as 1-D views: measured 3-4x faster than 2-D indexing
        # (43 against 12 us for N=32, H=256), which LLVM did not vectorise
        row_i, row_f, row_g, row_o = (gates[b, :h], gates[b, h : 2 * h],
                                      gates[b, 2 * h : 3 * h], gates[b, 3 * h :])  # fmt: skip
        d_i, d_f, d_g, d_o = da[b, :h], da[b, h : 2 * h], da[b, 2 * h : 3 * h], da[b, 3 * h :]
        cp, t_, dho, dhr, dcb = c_prev[b], tc[b], dh_out[b], dh_rec[b], dc[b]
        for j in range(h):
            i_g, f_g, g_g, o_g, t = row_i[j], row_f[j], row_g[j], row_o[j], t_[j]
            dh = dho[j] + dhr[j]
            dcell = dcb[j] + dh * o_g * (1.0 - t * t)
            d_i[j] = dcell * g_g * i_g * (1.0 - i_g)
            d_f[j] = dcell * cp[j] * f_g * (1.0 - f_g)
            d_g[j] = dcell * i_g * (1.0 - g_g * g_g)
            d_o[j] = dh * t * o_g * (1.0 - o_g)
            dcb[j] = dcell * f_g


def lstm_backward_gates_reference(gates, c_prev, tc, dh_out, dh_rec, dc, da):
    """NumPy version of `lstm_backward_gates` (same arguments, same in-place results)."""
    h = c_prev.shape[1]
    i, f, g, o = (gates[:, k * h : (k + 1) * h] for k in range(4))
    dh = dh_out + dh_rec
    dcell = dc + dh * o * (1 - tc * tc)
    da[:, :h] = dcell * g * i * (1 - i)
    da[:, h : 2 * h] = dcell * c_prev * f * (1 - f)
    da[:, 2 * h : 3 * h] = dcell * i * (1 - g * g)
    da[:, 3 * h :] = dh * tc * o * (1 - o)
    dc[...] = dcell * f


# ---------------------------------------------------------------------------------------------
# GRU: gates (r, z, n); n = tanh(xn + r * hn) with hn = h W_hn^T + b_hn; h' = (1 - z) n + z h


@njit(cache=True)
def gru_forward_gates(act, xn, hn):  # pragma: no cover - compiled
    """Finish r and z and form n's pre-activation, in one pass.

    act (N, 3H): on entry columns ``[:2H]`` hold ``tanh([a_r/2, a_z/2])``; on exit they hold
    ``[r, z]`` and columns ``[2H:]`` hold ``xn + r * hn``, ready for ``np.tanh``.
    xn (N, H): the input part of n's pre-activation (``x W_in^T + b_in``);
    hn (N, H): the hidden part (``h W_hn^T + b_hn``).
    """
    n, h3 = act.shape
    h = h3 // 3
    for b in range(n):
        a_r, a_z, a_n, x_n, h_n = act[b, :h], act[b, h : 2 * h], act[b, 2 * h :], xn[b], hn[b]
        for j in range(h):
            r = 0.5 + 0.5 * a_r[j]
            a_r[j] = r
            a_z[j] = 0.5 + 0.5 * a_z[j]
            a_n[j] = x_n[j] + r * h_n[j]


def gru_forward_gates_reference(act, xn, hn):
    """NumPy version of `gru_forward_gates` (same arguments, same in-place results)."""
    h = xn.shape[1]
    act[:, : 2 * h] = 0.5 + 0.5 * act[:, : 2 * h]
    act[:, 2 * h :] = xn + act[:, :h] * hn


@njit(cache=True)
def gru_forward_output(gates, h_prev, h_new):  # pragma: no cover - compiled
    """h_new = (1 - z) * n + z * h_prev, with gates (N, 3H) = ``[r, z, n]``; h (N, H)."""
    n, h3 = gates.shape
    h = h3 // 3
    for b in range(n):
        g_z, g_n, hp, hn = gates[b, h : 2 * h], gates[b, 2 * h :], h_prev[b], h_new[b]
        for j in range(h):
            hn[j] = g_n[j] + g_z[j] * (hp[j] - g_n[j])


def gru_forward_output_reference(gates, h_prev, h_new):
    """NumPy version of `gru_forward_output`."""
    h = h_prev.shape[1]
    z, n = gates[:, h : 2 * h], gates[:, 2 * h :]
    h_new[...] = (1 - z) * n + z * h_prev


@njit(cache=True)
def gru_backward_gates(gates, hn, h_prev, dh_out, dh_rec, dxa, dha, dh_direct):  # pragma: no cover
    """One step of the GRU's backward pass through the gates, fused.

    gates (N, 3H) ``[r, z, n]``, hn (N, H) ``h_prev W_hn^T + b_hn``, h_prev (N, H).
    dh_out, dh_rec (N, H): gradients with respect to this step's output, from the loss and
    from the next step. Written: dxa (N, 3H), the gradient with respect to the input
    pre-activations ``x W_ih^T + b_ih``; dha (N, 3H), with respect to the hidden ones
    ``h_prev W_hh^T + b_hh`` (they differ only in n's block, where r multiplies);
    dh_direct (N, H), the part of h_prev's gradient that bypasses W_hh (``dh * z``).
    """
    n, h3 = gates.shape
    h = h3 // 3
    for b in range(n):
        g_r, g_z, g_n = gates[b, :h], gates[b, h : 2 * h], gates[b, 2 * h :]
        x_r, x_z, x_n = dxa[b, :h], dxa[b, h : 2 * h], dxa[b, 2 * h :]
        h_r, h_z, h_n = dha[b, :h], dha[b, h : 2 * h], dha[b, 2 * h :]
        hnb, hp, dho, dhr, dd = hn[b], h_prev[b], dh_out[b], dh_rec[b], dh_direct[b]
        for j in range(h):
            r, z, nn = g_r[j], g_z[j], g_n[j]
            dh = dho[j] + dhr[j]
            dan = dh * (1.0 - z) * (1.0 - nn * nn)
            dar = dan * hnb[j] * r * (1.0 - r)
            daz = dh * (hp[j] - nn) * z * (1.0 - z)
            x_r[j] = dar
            x_z[j] = daz
            x_n[j] = dan
            h_r[j] = dar
            h_z[j] = daz
            h_n[j] = dan * r
            dd[j] = dh * z


def gru_backward_gates_reference(gates, hn, h_prev, dh_out, dh_rec, dxa, dha, dh_direct):
    """NumPy version of `gru_backward_gates` (same arguments, same in-place results)."""
    h = h_prev.shape[1]
    r, z, n = gates[:, :h], gates[:, h : 2 * h], gates[:, 2 * h :]
    dh = dh_out + dh_rec
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * hn * r * (1 - r)
    daz = dh * (h_prev - n) * z * (1 - z)
    dxa[:, :h], dxa[:, h : 2 * h], dxa[:, 2 * h :] = dar, daz, dan
    dha[:, :h], dha[:, h : 2 * h], dha[:, 2 * h :] = dar, daz, dan * r
    dh_direct[...] = dh * z


# ---------------------------------------------------------------------------------------------
# Elman RNN: h' = tanh(a) or relu(a), a = x W_ih^T + b_ih + h W_hh^T + b_hh


@njit(cache=True)
def rnn_backward_step(h_new, dh_out, dh_rec, da, relu):  # pragma: no cover - compiled
    """da = (dh_out + dh_rec) * f'(a), f' written with the output h_new = f(a).

    tanh: f' = 1 - h_new^2; relu: f' = 1 where h_new > 0, else 0. All arrays (N, H).
    The forward step needs no kernel: ``np.tanh`` (or ``np.maximum``) of ``xa + h W^T``.
    """
    n, h = h_new.shape
    for b in range(n):
        y, dho, dhr, d = h_new[b], dh_out[b], dh_rec[b], da[b]
        for j in range(h):
            dh = dho[j] + dhr[j]
            if relu:
                d[j] = dh if y[j] > 0 else 0.0
            else:
                d[j] = dh * (1.0 - y[j] * y[j])


def rnn_backward_step_reference(h_new, dh_out, dh_rec, da, relu):
    """NumPy version of `rnn_backward_step`."""
    dh = dh_out + dh_rec
    da[...] = dh * (h_new > 0) if relu else dh * (1 - h_new * h_new)


# ---------------------------------------------------------------------------------------------
# Embedding: gather forward (NumPy's take), scatter-add backward


@njit(cache=True)
def embedding_backward(indices, grad, num_embeddings):  # pragma: no cover - compiled
    """Sum the rows of grad (M, E) into a (num_embeddings, E) array at rows indices (M,).

    Repeated indices add up. ``np.add.at`` does the same; measured (CPU time, one thread)
    for the benchmark's 2048 indices into 65 rows of width 64: 0.014 ms against 1.2 ms.
    The recurrent layers also use it for one-hot (token id) input, with rows of width G*H.
    """
    m, e = grad.shape
    out = np.zeros((num_embeddings, e), dtype=grad.dtype)
    for k in range(m):
        row = indices[k]
        for j in range(e):
            out[row, j] += grad[k, j]
    return out


def embedding_backward_reference(indices, grad, num_embeddings):
    """NumPy version of `embedding_backward`."""
    out = np.zeros((num_embeddings, grad.shape[1]), dtype=grad.dtype)
    np.add.at(out, indices, grad)
    return out
