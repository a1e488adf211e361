"""Recurrent layers: kernels against their NumPy references, layers against PyTorch, errors.

The PyTorch comparisons copy PyTorch's weights into mininn's layers and compare outputs,
final states and every parameter and input gradient at 1e-4 relative (float32); they are
skipped when PyTorch is not installed. Gradchecks of the Functions (float64) are in
tests/test_functional_gradcheck.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import mininn
import mininn.functional as F
import mininn.kernels.rnn as K
from mininn import Tensor, nn
from mininn.nn.utils import clip_grad_value_

RTOL, ATOL = 1e-4, 1e-6
DTYPES = [np.float32, np.float64]


def tol(dtype):
    return dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)


# -- kernels against their NumPy references ---------------------------------------------------


def _run_both(kernel, reference, arrays, outputs):
    """Run kernel and reference on copies of `arrays`; compare the arrays named in outputs."""
    a = {k: v.copy() for k, v in arrays.items()}
    b = {k: v.copy() for k, v in arrays.items()}
    kernel(*a.values())
    reference(*b.values())
    return [(a[k], b[k]) for k in outputs]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_kernels_match_the_numpy_references(dtype):
    rng = np.random.default_rng(0)
    n, h = 5, 7

    def r(*shape, low=-1.0, high=1.0):
        return rng.uniform(low, high, shape).astype(dtype)

    fwd = {"act": r(n, 4 * h), "c_prev": r(n, h), "c": np.zeros((n, h), dtype)}
    for got, ref in _run_both(K.lstm_forward_gates, K.lstm_forward_gates_reference, fwd,
                              ["act", "c"]):  # fmt: skip
        np.testing.assert_allclose(got, ref, **tol(dtype))
    gates = np.concatenate([r(n, h, low=0, high=1), r(n, h, low=0, high=1), r(n, h),
                            r(n, h, low=0, high=1)], axis=1)  # fmt: skip
    bwd = {"gates": gates, "c_prev": r(n, h), "tc": r(n, h), "dh_out": r(n, h),
           "dh_rec": r(n, h), "dc": r(n, h), "da": np.zeros((n, 4 * h), dtype)}  # fmt: skip
    for got, ref in _run_both(K.lstm_backward_gates, K.lstm_backward_gates_reference, bwd,
                              ["dc", "da"]):  # fmt: skip
        np.testing.assert_allclose(got, ref, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_kernels_match_the_numpy_references(dtype):
    rng = np.random.default_rng(1)
    n, h = 4, 6

    def r(*shape, low=-1.0, high=1.0):
        return rng.uniform(low, high, shape).astype(dtype)

    fwd = {"act": r(n, 3 * h), "xn": r(n, h), "hn": r(n, h)}
    for got, ref in _run_both(K.gru_forward_gates, K.gru_forward_gates_reference, fwd, ["act"]):
        np.testing.assert_allclose(got, ref, **tol(dtype))
    out = {"gates": r(n, 3 * h, low=0), "h_prev": r(n, h), "h_new": np.zeros((n, h), dtype)}
    for got, ref in _run_both(K.gru_forward_output, K.gru_forward_output_reference, out,
                              ["h_new"]):  # fmt: skip
        np.testing.assert_allclose(got, ref, **tol(dtype))
    bwd = {"gates": r(n, 3 * h, low=0), "hn": r(n, h), "h_prev": r(n, h), "dh_out": r(n, h),
           "dh_rec": r(n, h), "dxa": np.zeros((n, 3 * h), dtype),
           "dha": np.zeros((n, 3 * h), dtype), "dh_direct": np.zeros((n, h), dtype)}  # fmt: skip
    for got, ref in _run_both(K.gru_backward_gates, K.gru_backward_gates_reference, bwd,
                              ["dxa", "dha", "dh_direct"]):  # fmt: skip
        np.testing.assert_allclose(got, ref, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("relu", [False, True])
def test_rnn_kernel_matches_the_numpy_reference(dtype, relu):
    rng = np.random.default_rng(2)
    h_new = rng.uniform(-1, 1, (3, 5)).astype(dtype)
    if relu:
        h_new = np.maximum(h_new, 0)
    arrays = {"h_new": h_new, "dh_out": rng.standard_normal((3, 5)).astype(dtype),
              "dh_rec": rng.standard_normal((3, 5)).astype(dtype),
              "da": np.zeros((3, 5), dtype)}  # fmt: skip
    a = {k: v.copy() for k, v in arrays.items()}
    b = {k: v.copy() for k, v in arrays.items()}
    K.rnn_backward_step(*a.values(), relu)
    K.rnn_backward_step_reference(*b.values(), relu)
    np.testing.assert_allclose(a["da"], b["da"], **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_kernel_matches_the_numpy_reference(dtype):
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 6, size=40).astype(np.intp)  # many repeats
    grad = rng.standard_normal((40, 3)).astype(dtype)
    got = K.embedding_backward(idx, grad, 9)
    ref = K.embedding_backward_reference(idx, grad, 9)
    assert got.dtype == dtype and got.shape == (9, 3)
    np.testing.assert_allclose(got, ref, **tol(dtype))
    assert not got[6:].any()


def test_kernels_accept_time_step_views():
    """The Functions pass steps of (T, N, G) arrays and column blocks: strided views."""
    rng = np.random.default_rng(4)
    big = rng.uniform(-1, 1, (3, 4, 12)).astype(np.float32)
    xn_view = big[1][:, 8:]  # columns of a row block: not contiguous
    act = rng.uniform(-1, 1, (4, 12)).astype(np.float32)
    hn = rng.uniform(-1, 1, (4, 4)).astype(np.float32)
    a, b = act.copy(), act.copy()
    K.gru_forward_gates(a, xn_view, hn)
    K.gru_forward_gates_reference(b, xn_view, hn)
    np.testing.assert_allclose(a, b, rtol=1e-6)


# -- layers: shapes, parameters, initialisation -----------------------------------------------


def test_parameter_names_shapes_and_initialisation_follow_pytorch():
    mininn.manual_seed(0)
    lstm = nn.LSTM(10, 20, num_layers=2)
    names = [n for n, _ in lstm.named_parameters()]
    assert names == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
    ]  # fmt: skip
    assert lstm.weight_ih_l0.shape == (80, 10) and lstm.weight_ih_l1.shape == (80, 20)
    assert lstm.weight_hh_l1.shape == (80, 20) and lstm.bias_hh_l0.shape == (80,)
    bound = 1 / np.sqrt(20)
    for p in lstm.parameters():
        assert p.dtype == np.float32 and np.abs(p.data).max() <= bound
    assert nn.GRU(3, 5, bias=False).weight_hh_l0.shape == (15, 5)
    assert [n for n, _ in nn.GRU(3, 5, bias=False).named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
    ]
    assert nn.LSTMCell(3, 4).weight_ih.shape == (16, 3)
    # the same seed gives the same weights
    mininn.manual_seed(0)
    again = nn.LSTM(10, 20, num_layers=2)
    np.testing.assert_array_equal(again.weight_hh_l1.data, lstm.weight_hh_l1.data)


def test_output_shapes_and_unbatched_input():
    mininn.manual_seed(1)
    gru = nn.GRU(4, 6, num_layers=2, batch_first=True)
    out, h_n = gru(np.zeros((3, 5, 4), np.float32))
    assert out.shape == (3, 5, 6) and h_n.shape == (2, 3, 6)
    single, h1 = gru(np.ones((5, 4), np.float32))
    assert single.shape == (5, 6) and h1.shape == (2, 6)
    batch, hb = gru(np.ones((1, 5, 4), np.float32))
    np.testing.assert_allclose(single.data, batch.data[0], rtol=1e-6)
    np.testing.assert_allclose(h1.data, hb.data[:, 0], rtol=1e-6)


def test_dropout_between_layers_only_in_training():
    mininn.manual_seed(2)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32)
    lstm.eval()
    a, _ = lstm(x)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a.data, b.data)
    lstm.train()
    c, _ = lstm(x)
    assert not np.allclose(c.data, a.data)
    one = nn.LSTM(3, 8, num_layers=1, dropout=0.5)  # one layer: nothing to drop between
    one.train()
    np.testing.assert_array_equal(one(x)[0].data, one.eval()(x)[0].data)


def test_embedding_lookup_and_gradient_of_repeated_indices():
    mininn.manual_seed(3)
    emb = nn.Embedding(5, 3)
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data[1, 0], emb.weight.data[4])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [2, 0, 3, 0, 1])


def test_clip_grad_value():
    p = nn.Parameter(np.zeros(4, np.float32))
    p.grad = np.array([-3.0, -0.5, 0.2, 7.0], np.float32)
    clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, np.array([-1.0, -0.5, 0.2, 1.0], np.float32))
    assert p.grad.dtype == np.float32
    with pytest.raises(ValueError, match="non-negative"):
        clip_grad_value_([p], -1.0)


# -- bad input: clear errors at the Python boundary -------------------------------------------


def _lstm():
    mininn.manual_seed(0)
    return nn.LSTM(4, 6, num_layers=2)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: _lstm()(np.zeros((3, 2, 5), np.float32)), ValueError, "5 features.*input_size=4"),
        (lambda: _lstm()(np.zeros((3, 2, 2, 4), np.float32)), ValueError, r"\(T, N, input_size\)"),
        (lambda: _lstm()(np.zeros((3, 2, 4), np.float64)), TypeError, "float64.*float32"),
        (lambda: _lstm()(np.full((3, 2), 4)), IndexError, r"token id 4 .*\[0, 4\)"),
        (lambda: _lstm()(np.zeros((3, 2, 4), np.int64)), ValueError, "token ids"),
        (lambda: _lstm()(np.zeros((3, 2, 4), np.float32), np.zeros((2, 2, 6), np.float32)),
         TypeError, r"pair \(h_0, c_0\)"),
        (lambda: _lstm()(np.zeros((3, 2, 4), np.float32),
                         (np.zeros((1, 2, 6), np.float32), np.zeros((2, 2, 6), np.float32))),
         ValueError, r"h_0 must have shape .*\(2, 2, 6\), got \(1, 2, 6\)"),
        (lambda: nn.GRU(4, 6)(np.zeros((3, 2, 4), np.float32), np.zeros((1, 3, 6), np.float32)),
         ValueError, r"\(1, 2, 6\), got \(1, 3, 6\)"),
        (lambda: nn.GRU(4, 6)(np.zeros((3, 2, 4), np.float32), np.zeros((1, 2, 6))),
         TypeError, "float64"),
        (lambda: nn.RNN(4, 6, nonlinearity="sigmoid"), ValueError, "tanh' or 'relu"),
        (lambda: nn.LSTM(0, 6), ValueError, "input_size must be a positive integer"),
        (lambda: nn.LSTM(4, 6, dropout=1.5), ValueError, "dropout"),
        (lambda: nn.LSTMCell(4, 6)(np.zeros((2, 5), np.float32)), ValueError, "input_size=4"),
        (lambda: nn.LSTMCell(4, 6)(np.zeros((2, 4), np.float32), np.zeros((2, 6), np.float32)),
         TypeError, "pair"),
        (lambda: nn.GRUCell(4, 6)(np.zeros((2, 4), np.float32), np.zeros((3, 6), np.float32)),
         ValueError, r"\(2, 6\), got \(3, 6\)"),
        (lambda: nn.Embedding(5, 3)(np.array([0, 5])), IndexError, r"index 5 .*\[0, 5\)"),
        (lambda: nn.Embedding(5, 3)(np.array([-1, 2])), IndexError, "index -1"),
        (lambda: nn.Embedding(5, 3)(np.array([0.0, 1.0])), TypeError, "integers"),
        (lambda: F.lstm(np.zeros((3, 2, 4), np.float32), np.zeros((24, 5), np.float32),
                        np.zeros((24, 6), np.float32)), ValueError, r"\(24, 4\)"),
        (lambda: F.gru(np.zeros((3, 2, 4), np.float32), np.zeros((18, 4), np.float32),
                       np.zeros((18, 6), np.float32), np.zeros(18, np.float32)),
         ValueError, "both biases"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- against PyTorch -------------------------------------------------------------------------


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.data if isinstance(ours, Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    scale = float(np.abs(theirs).max()) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL * max(scale, 1.0), err_msg=what)


def _copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def _compare_with_torch(torch, ours, theirs, x, state, loss_weights):
    """Forward both, backward a weighted sum of outputs and final states, compare all."""
    xm = Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    if state is None:
        om, sm = ours(xm)
        ot, st = theirs(xt)
        state_m = state_t = ()
    else:
        state_m = tuple(Tensor(s, requires_grad=True) for s in state)
        state_t = tuple(torch.tensor(s, requires_grad=True) for s in state)
        arg_m = state_m if len(state) == 2 else state_m[0]
        arg_t = state_t if len(state) == 2 else state_t[0]
        om, sm = ours(xm, arg_m)
        ot, st = theirs(xt, arg_t)
    sm = sm if isinstance(sm, tuple) else (sm,)
    st = st if isinstance(st, tuple) else (st,)
    _close(om, ot, "output")
    for k, (a, b) in enumerate(zip(sm, st, strict=True)):
        _close(a, b, f"final state {k}")
    wo, *ws = loss_weights
    loss_m = (om * wo).sum() + sum((a * w).sum() for a, w in zip(sm, ws, strict=False))
    loss_t = (ot * torch.tensor(wo)).sum() + sum(
        (b * torch.tensor(w)).sum() for b, w in zip(st, ws, strict=False)
    )
    loss_m.backward()
    loss_t.backward()
    _close(xm.grad, xt.grad, "input gradient")
    for k, (a, b) in enumerate(zip(state_m, state_t, strict=True)):
        _close(a.grad, b.grad, f"initial state {k} gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, theirs_params[name].grad, f"gradient of {name}")


CASES = [
    (mode, layers, batch_first, with_state)
    for mode in ("rnn_tanh", "rnn_relu", "lstm", "gru")
    for layers in (1, 2)
    for batch_first in (False, True)
    for with_state in (False, True)
]


@pytest.mark.parametrize(("mode", "layers", "batch_first", "with_state"), CASES)
def test_recurrent_layers_match_pytorch(mode, layers, batch_first, with_state):
    torch = pytest.importorskip("torch")
    t_len, n, i, h = 7, 3, 5, 6
    kind = mode.split("_")[0]
    kwargs = dict(num_layers=layers, batch_first=batch_first)
    if kind == "rnn":
        kwargs["nonlinearity"] = mode.split("_")[1]
    torch.manual_seed(0)
    theirs = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](i, h, **kwargs)
    ours = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](i, h, **kwargs)
    _copy_from_torch(ours, theirs)
    rng = np.random.default_rng(layers * 10 + batch_first)
    x = rng.standard_normal((n, t_len, i) if batch_first else (t_len, n, i)).astype(np.float32)
    state = None
    if with_state:
        count = 2 if kind == "lstm" else 1
        state = [rng.standard_normal((layers, n, h)).astype(np.float32) for _ in range(count)]
    out_shape = (n, t_len, h) if batch_first else (t_len, n, h)
    weights = [rng.standard_normal(out_shape).astype(np.float32)]
    weights += [rng.standard_normal((layers, n, h)).astype(np.float32) for _ in range(2)]
    _compare_with_torch(torch, ours, theirs, x, state, weights)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_layers_without_bias_and_unbatched_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    theirs = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        4, 5, bias=False
    )
    ours = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](4, 5, bias=False)
    _copy_from_torch(ours, theirs)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4)).astype(np.float32)  # one sequence, no batch axis
    weights = [rng.standard_normal((6, 5)).astype(np.float32),
               rng.standard_normal((1, 5)).astype(np.float32),
               rng.standard_normal((1, 5)).astype(np.float32)]  # fmt: skip
    _compare_with_torch(torch, ours, theirs, x, None, weights)


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("with_state", [False, True])
def test_cells_match_pytorch(kind, with_state):
    torch = pytest.importorskip("torch")
    base = kind.split("_")[0]
    kwargs = {"nonlinearity": kind.split("_")[1]} if base == "rnn" else {}
    torch.manual_seed(2)
    theirs = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[base](
        4, 5, **kwargs
    )
    ours = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[base](4, 5, **kwargs)
    _copy_from_torch(ours, theirs)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    count = 2 if base == "lstm" else 1
    state = [rng.standard_normal((3, 5)).astype(np.float32) for _ in range(count)]
    xm, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sm = [Tensor(s, requires_grad=True) for s in state]
    st = [torch.tensor(s, requires_grad=True) for s in state]
    if with_state:
        om = ours(xm, tuple(sm) if count == 2 else sm[0])
        ot = theirs(xt, tuple(st) if count == 2 else st[0])
    else:
        om, ot = ours(xm), theirs(xt)
    om = om if isinstance(om, tuple) else (om,)
    ot = ot if isinstance(ot, tuple) else (ot,)
    w = [rng.standard_normal((3, 5)).astype(np.float32) for _ in om]
    for a, b in zip(om, ot, strict=True):
        _close(a, b, "cell output")
    sum((a * wk).sum() for a, wk in zip(om, w, strict=True)).backward()
    sum((b * torch.tensor(wk)).sum() for b, wk in zip(ot, w, strict=True)).backward()
    _close(xm.grad, xt.grad, "input gradient")
    if with_state:
        for a, b in zip(sm, st, strict=True):
            _close(a.grad, b.grad, "state gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, theirs_params[name].grad, f"gradient of {name}")


def test_embedding_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    theirs = torch.nn.Embedding(11, 4)
    ours = nn.Embedding(11, 4)
    _copy_from_torch(ours, theirs)
    idx = np.random.default_rng(7).integers(0, 11, size=(5, 6))
    w = np.random.default_rng(8).standard_normal((5, 6, 4)).astype(np.float32)
    om, ot = ours(idx), theirs(torch.tensor(idx))
    _close(om, ot, "embedding output")
    (om * w).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    _close(ours.weight.grad, theirs.weight.grad, "embedding gradient")


def test_char_model_training_step_matches_pytorch():
    """Embedding -> 2-layer LSTM -> Linear -> cross-entropy, with gradient clipping."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)
    v, e, h = 13, 6, 8
    t_emb, t_lstm, t_lin = torch.nn.Embedding(v, e), torch.nn.LSTM(e, h, 2), torch.nn.Linear(h, v)
    m_emb, m_lstm, m_lin = nn.Embedding(v, e), nn.LSTM(e, h, 2), nn.Linear(h, v)
    for a, b in ((m_emb, t_emb), (m_lstm, t_lstm), (m_lin, t_lin)):
        _copy_from_torch(a, b)
    rng = np.random.default_rng(9)
    tokens = rng.integers(0, v, size=(10, 4))
    targets = rng.integers(0, v, size=(10, 4))
    out_m, _ = m_lstm(m_emb(tokens))
    loss_m = F.cross_entropy(m_lin(out_m).reshape(-1, v), targets.reshape(-1))
    out_t, _ = t_lstm(t_emb(torch.tensor(tokens)))
    loss_t = torch.nn.functional.cross_entropy(
        t_lin(out_t).reshape(-1, v), torch.tensor(targets.reshape(-1))
    )
    _close(loss_m, loss_t, "loss")
    loss_m.backward()
    loss_t.backward()
    params_m = [*m_emb.parameters(), *m_lstm.parameters(), *m_lin.parameters()]
    params_t = [*t_emb.parameters(), *t_lstm.parameters(), *t_lin.parameters()]
    norm_m = nn.utils.clip_grad_norm_(params_m, 0.1)
    norm_t = torch.nn.utils.clip_grad_norm_(params_t, 0.1)
    assert norm_m == pytest.approx(float(norm_t), rel=1e-4)
    for a, b in zip(params_m, params_t, strict=True):
        _close(a.grad, b.grad, "clipped gradient")
    clip_grad_value_(params_m, 0.01)
    torch.nn.utils.clip_grad_value_(params_t, 0.01)
    for a, b in zip(params_m, params_t, strict=True):
        _close(a.grad, b.grad, "value-clipped gradient")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_token_id_input_matches_pytorch_with_one_hot_input(kind, batch_first):
    """Integer ids (T, N) stand for one-hot vectors: same outputs and gradients as PyTorch
    given the one-hot float tensor."""
    torch = pytest.importorskip("torch")
    v, h = 9, 6
    torch.manual_seed(5)
    cls = {"rnn": (torch.nn.RNN, nn.RNN), "lstm": (torch.nn.LSTM, nn.LSTM),
           "gru": (torch.nn.GRU, nn.GRU)}[kind]  # fmt: skip
    theirs, ours = (
        cls[0](v, h, 2, batch_first=batch_first),
        cls[1](v, h, 2, batch_first=batch_first),
    )
    _copy_from_torch(ours, theirs)
    rng = np.random.default_rng(11)
    ids = rng.integers(0, v, size=(4, 7) if batch_first else (7, 4))
    weights = rng.standard_normal((*ids.shape, h)).astype(np.float32)
    om, sm = ours(ids)
    ot, st = theirs(torch.nn.functional.one_hot(torch.tensor(ids), v).float())
    _close(om, ot, "output")
    sm = sm[0] if isinstance(sm, tuple) else sm
    st = st[0] if isinstance(st, tuple) else st
    _close(sm, st, "h_n")
    (om * weights).sum().backward()
    (ot * torch.tensor(weights)).sum().backward()
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, theirs_params[name].grad, f"gradient of {name}")
    # one unbatched sequence of ids
    single, _ = ours(ids[0] if batch_first else ids[:, 0])
    expect = om.data[0] if batch_first else om.data[:, 0]
    np.testing.assert_allclose(single.data, expect, rtol=1e-5, atol=1e-6)
