"""Recurrent layers with PyTorch's names, shapes and parameters: Embedding, RNN, LSTM, GRU
and their single-step cells RNNCell, LSTMCell, GRUCell.

Each layer of RNN/LSTM/GRU runs its whole sequence as one Function
(`mininn.functional.lstm` and friends), so a 2-layer LSTM over 64 steps is two graph nodes.
Parameters are named as in PyTorch (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, then ``..._l1``), with the gates stacked in PyTorch's order (LSTM: i, f, g,
o; GRU: r, z, n), so a PyTorch ``state_dict`` loads as is. All are initialised uniform in
+-1/sqrt(hidden_size) with mininn's generator (see `mininn.manual_seed`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import mininn.functional as F
from mininn.nn import init
from mininn.nn.module import Module, Parameter
from mininn.tensor import Tensor

__all__ = ["Embedding", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


def _positive(where: str, **sizes: Any) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
            raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight``.

    Parameters
    ----------
    num_embeddings : int
        Size of the vocabulary; indices must lie in ``[0, num_embeddings)``.
    embedding_dim : int
        Length of each vector.

    Shapes: integer indices ``(*)`` -> ``(*, embedding_dim)``. ``weight`` has shape
    (num_embeddings, embedding_dim), initialised standard normal as in PyTorch.

    >>> emb = Embedding(65, 16)
    >>> emb(np.array([[0, 3], [64, 3]])).shape
    (2, 2, 16)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = np.float32):
        super().__init__()
        _positive("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        init.normal_(self.weight)

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


# ---------------------------------------------------------------------------------------------
# Whole-sequence layers


class _RNNBase(Module):
    """Shared code of RNN, LSTM and GRU: parameters, argument checks, layers and dropout."""

    mode = ""  # "rnn", "lstm" or "gru"
    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        dtype: Any = np.float32,
    ):
        super().__init__()
        where = type(self).__name__
        _positive(where, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{where}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        g, h = self.gates * self.hidden_size, self.hidden_size
        bound = 1.0 / math.sqrt(h)
        for layer in range(self.num_layers):
            fan_in = self.input_size if layer == 0 else h
            shapes = {f"weight_ih_l{layer}": (g, fan_in), f"weight_hh_l{layer}": (g, h)}
            if self.bias:
                shapes |= {f"bias_ih_l{layer}": (g,), f"bias_hh_l{layer}": (g,)}
            for name, shape in shapes.items():
                p = Parameter(np.empty(shape, dtype=dtype))
                init.uniform_(p, -bound, bound)
                setattr(self, name, p)

    def _layer_params(self, layer: int) -> tuple[Tensor, ...]:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return tuple(getattr(self, f"{n}_l{layer}") for n in names)

    def _check_input(self, x: Any) -> tuple[Tensor, bool]:
        """x as a time-major (T, N, I) tensor (or (T, N) token ids), and whether it came
        without a batch axis."""
        where = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(x)
        ids = x.dtype.kind in "iu"  # one-hot input given as token ids
        if x.ndim not in ((1, 2) if ids else (2, 3)):
            layout = "(N, T" if self.batch_first else "(T, N"
            shapes = (f"token ids {layout}) or (T,)" if ids else
                      f"{layout}, input_size) or (T, input_size) for one sequence")  # fmt: skip
            raise ValueError(f"{where}: input must have shape {shapes}, got {x.shape}")
        dtype = self.weight_ih_l0.dtype
        if not ids and x.dtype != dtype:
            raise TypeError(
                f"{where}: input is {x.dtype} but the parameters are {dtype}; convert the "
                "input (or the model)"
            )
        if not ids and x.shape[-1] != self.input_size:
            raise ValueError(
                f"{where}: input has {x.shape[-1]} features (shape {x.shape}), expected "
                f"input_size={self.input_size}"
            )
        if 0 in (x.shape if ids else x.shape[:-1]):
            raise ValueError(f"{where}: input has an empty axis: {x.shape}")
        unbatched = x.ndim == (1 if ids else 2)
        if unbatched:
            x = F.reshape(x, (x.shape[0], 1, *x.shape[1:]))
        elif self.batch_first:
            x = F.transpose(x, 0, 1)
        return x, unbatched

    def _check_state(self, state: Any, name: str, n: int, unbatched: bool, dtype) -> Tensor:
        where = type(self).__name__
        layers, h = self.num_layers, self.hidden_size
        state = state if isinstance(state, Tensor) else Tensor(state)
        expected = (layers, h) if unbatched else (layers, n, h)
        if state.shape != expected:
            what = "(num_layers, H)" if unbatched else "(num_layers, N, H)"
            raise ValueError(
                f"{where}: {name} must have shape {what} = {expected}, got {state.shape}"
            )
        if state.dtype != dtype:
            raise TypeError(f"{where}: input is {dtype} but {name} is {state.dtype}")
        return F.reshape(state, (layers, n, h)) if unbatched else state

    def _initial_states(self, hx: Any, n: int, unbatched: bool, dtype) -> list[Any]:
        """Per state kind (h, or h and c), a list of per-layer (N, H) tensors or Nones."""
        kinds = 2 if self.mode == "lstm" else 1
        if hx is None:
            return [[None] * self.num_layers for _ in range(kinds)]
        if kinds == 2:
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError(
                    f"LSTM: the initial state must be a pair (h_0, c_0), got {type(hx).__name__}"
                )
            states = [
                self._check_state(s, nm, n, unbatched, dtype)
                for s, nm in zip(hx, ("h_0", "c_0"), strict=True)
            ]
        else:
            states = [self._check_state(hx, "h_0", n, unbatched, dtype)]
        return [[s[layer] for layer in range(self.num_layers)] for s in states]

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        x, unbatched = self._check_input(input)
        n = x.shape[1]
        states = self._initial_states(hx, n, unbatched, self.weight_hh_l0.dtype)
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
            params = self._layer_params(layer)
            init_states = [s[layer] for s in states]
            if self.mode == "lstm":
                x, h_n, c_n = F.lstm(x, *params, h0=init_states[0], c0=init_states[1])
                finals[0].append(h_n)
                finals[1].append(c_n)
            elif self.mode == "gru":
                x, h_n = F.gru(x, *params, h0=init_states[0])
                finals[0].append(h_n)
            else:
                x, h_n = F.rnn(x, *params, h0=init_states[0], nonlinearity=self.nonlinearity)
                finals[0].append(h_n)
        stacked = [f[0][None] if len(f) == 1 else F.stack(f, axis=0) for f in finals]
        if unbatched:
            x = F.reshape(x, (x.shape[0], self.hidden_size))
            stacked = [F.reshape(s, (self.num_layers, self.hidden_size)) for s in stacked]
        elif self.batch_first:
            x = F.transpose(x, 0, 1)
        if self.mode == "lstm":
            return x, (stacked[0], stacked[1])
        return x, stacked[0]

    def extra_repr(self) -> str:
        out = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            out += f", num_layers={self.num_layers}"
        if not self.bias:
            out += ", bias=False"
        if self.batch_first:
            out += ", batch_first=True"
        if self.dropout:
            out += f", dropout={self.dropout}"
        return out


class RNN(_RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input (I) and of the hidden state (H).
    num_layers : int
        Layers stacked; layer k > 0 reads layer k-1's outputs.
    nonlinearity : "tanh" or "relu"
    bias : bool
        Use ``bias_ih_l{k}`` and ``bias_hh_l{k}``.
    batch_first : bool
        Input and output are (N, T, .) instead of (T, N, .). States are (L, N, H) always.
    dropout : float
        Dropout on the outputs of every layer but the last, in training mode only.

    ``forward(input, h_0=None)`` with input (T, N, I) (or (N, T, I) with batch_first, or
    (T, I) for one unbatched sequence) and h_0 (L, N, H) (zeros when None) returns
    ``(output, h_n)``: output (T, N, H) holds the last layer's h_t for every t; h_n
    (L, N, H) every layer's final state.

    One-hot input can be given as integer token ids (T, N) (or (N, T), or (T,)) in
    ``[0, input_size)``: the same result as the one-hot float tensor, computed by looking up
    columns of ``weight_ih_l0`` instead of multiplying by mostly zeros (PyTorch has no such
    shortcut; give it ``torch.nn.functional.one_hot(ids, input_size).float()``).

    >>> rnn = RNN(10, 20, num_layers=2)
    >>> out, h_n = rnn(np.zeros((5, 3, 10), np.float32))
    >>> out.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    mode, gates = "rnn", 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        dtype: Any = np.float32,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        extra = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().extra_repr() + extra


class LSTM(_RNNBase):
    """Long short-term memory, PyTorch's equations and parameters, stacked layers.

    Per step, with the four gates stacked in the order i, f, g, o in ``weight_ih_l{k}``
    (4H, I) and ``weight_hh_l{k}`` (4H, H)::

        i, f, o = sigmoid(.), g = tanh(.)  of  x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Same arguments as `RNN` (without ``nonlinearity``). ``forward(input, (h_0, c_0)=None)``
    returns ``(output, (h_n, c_n))``: output (T, N, H) (or (N, T, H) with batch_first),
    h_n and c_n (L, N, H).

    >>> lstm = LSTM(65, 256, batch_first=True)
    >>> out, (h_n, c_n) = lstm(np.zeros((32, 64, 65), np.float32))
    >>> out.shape, c_n.shape
    ((32, 64, 256), (1, 32, 256))
    """

    mode, gates = "lstm", 4


class GRU(_RNNBase):
    """Gated recurrent unit, PyTorch's equations and parameters, stacked layers.

    Per step, with the gates stacked in the order r, z, n in ``weight_ih_l{k}`` (3H, I) and
    ``weight_hh_l{k}`` (3H, H)::

        r, z = sigmoid(x_t W_i{r,z}^T + b_i{r,z} + h_{t-1} W_h{r,z}^T + b_h{r,z})
        n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Same arguments as `RNN` (without ``nonlinearity``); returns ``(output, h_n)``.

    >>> gru = GRU(8, 16)
    >>> out, h_n = gru(np.zeros((7, 2, 8), np.float32))
    >>> out.shape, h_n.shape
    ((7, 2, 16), (1, 2, 16))
    """

    mode, gates = "gru", 3


# ---------------------------------------------------------------------------------------------
# Single-step cells


class _CellBase(Module):
    mode = ""
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=np.float32):
        super().__init__()
        where = type(self).__name__
        _positive(where, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        g, h = self.gates * self.hidden_size, self.hidden_size
        bound = 1.0 / math.sqrt(h)
        shapes = {"weight_ih": (g, self.input_size), "weight_hh": (g, h)}
        if bias:
            shapes |= {"bias_ih": (g,), "bias_hh": (g,)}
        for name, shape in shapes.items():
            p = Parameter(np.empty(shape, dtype=dtype))
            init.uniform_(p, -bound, bound)
            setattr(self, name, p)

    def _params(self) -> tuple[Tensor, ...]:
        if self.bias:
            return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        return self.weight_ih, self.weight_hh

    def _check(self, x: Any, states: list[Any]) -> tuple[Tensor, list[Any], bool]:
        """Input as (1, N, I) and states as (N, H) tensors or None; whether unbatched."""
        where = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{where}: input must have shape (N, input_size) or (input_size,), got {x.shape}"
            )
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{where}: input is {x.dtype} but the parameters are {self.weight_ih.dtype}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{where}: input has {x.shape[-1]} features (shape {x.shape}), expected "
                f"input_size={self.input_size}"
            )
        unbatched = x.ndim == 1
        n = 1 if unbatched else x.shape[0]
        expected = (self.hidden_size,) if unbatched else (n, self.hidden_size)
        out = []
        for name, s in zip(("h", "c"), states, strict=False):
            if s is None:
                out.append(None)
                continue
            s = s if isinstance(s, Tensor) else Tensor(s)
            if s.shape != expected:
                raise ValueError(f"{where}: {name} must have shape {expected}, got {s.shape}")
            if s.dtype != x.dtype:
                raise TypeError(f"{where}: input is {x.dtype} but {name} is {s.dtype}")
            out.append(F.reshape(s, (n, self.hidden_size)) if unbatched else s)
        return F.reshape(x, (1, n, self.input_size)), out, unbatched

    def _finish(self, state: Tensor, unbatched: bool) -> Tensor:
        return F.reshape(state, (self.hidden_size,)) if unbatched else state

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    ``forward(input (N, I), h (N, H) = zeros)`` returns h' (N, H); a 1-D input (I,) with
    h (H,) works on one example. Parameters ``weight_ih`` (H, I), ``weight_hh`` (H, H),
    ``bias_ih``, ``bias_hh`` (H,).

    >>> cell = RNNCell(4, 8)
    >>> cell(np.zeros((2, 4), np.float32)).shape
    (2, 8)
    """

    mode, gates = "rnn", 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = np.float32,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), unbatched = self._check(input, [hx])
        _, h_new = F.rnn(x, *self._params(), h0=h, nonlinearity=self.nonlinearity)
        return self._finish(h_new, unbatched)


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o as in `LSTM`).

    ``forward(input (N, I), (h, c) = zeros)`` returns ``(h', c')``, each (N, H).
    Parameters ``weight_ih`` (4H, I), ``weight_hh`` (4H, H), ``bias_ih``, ``bias_hh`` (4H,).

    >>> cell = LSTMCell(4, 8)
    >>> h, c = cell(np.zeros((2, 4), np.float32))
    >>> h.shape, c.shape
    ((2, 8), (2, 8))
    """

    mode, gates = "lstm", 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError(f"LSTMCell: the state must be a pair (h, c), got {type(hx).__name__}")
        x, (h, c), unbatched = self._check(input, [None, None] if hx is None else list(hx))
        _, h_new, c_new = F.lstm(x, *self._params(), h0=h, c0=c)
        return self._finish(h_new, unbatched), self._finish(c_new, unbatched)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n as in `GRU`).

    ``forward(input (N, I), h (N, H) = zeros)`` returns h' (N, H). Parameters
    ``weight_ih`` (3H, I), ``weight_hh`` (3H, H), ``bias_ih``, ``bias_hh`` (3H,).

    >>> cell = GRUCell(4, 8)
    >>> cell(np.zeros((2, 4), np.float32)).shape
    (2, 8)
    """

    mode, gates = "gru", 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), unbatched = self._check(input, [hx])
        _, h_new = F.gru(x, *self._params(), h0=h)
        return self._finish(h_new, unbatched)
