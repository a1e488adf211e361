"""Every differentiable operation passes gradcheck in float64 on random shapes.

Hypothesis draws the shapes (broadcasting pairs included) and a seed for the values, and
gradcheck compares autograd's gradient with central differences. A test at the end checks
that no Function in mininn.functional is left out.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import mininn.functional as F
from mininn import Function, Tensor, gradcheck

settings.register_profile("mininn", deadline=None, max_examples=25, derandomize=True)
settings.load_profile("mininn")

shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def rand(shape, seed, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from_zero(shape, seed):
    """Values with |x| in [0.5, 2]: keeps kinks (relu, abs) out of the difference step."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(shape, seed):
    """A random permutation of well-separated values: no ties for max."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(np.linspace(-2, 2, n)).reshape(shape)


def axis_for(shape, data):
    return data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))


TESTED: set[str] = set()


def covers(*names):
    TESTED.update(names)

    def deco(f):
        return f

    return deco


# -- arithmetic with broadcasting -------------------------------------------------------------


@covers("Add", "Sub", "Mul")
@pytest.mark.parametrize("op", [F.add, F.sub, F.mul])
@given(shapes=pairs, seed=seeds)
def test_binary_broadcasting(op, shapes, seed):
    (sa, sb), _ = shapes
    gradcheck(op, rand(sa, seed), rand(sb, seed + 1))


@covers("Div")
@given(shapes=pairs, seed=seeds)
def test_div_broadcasting(shapes, seed):
    (sa, sb), _ = shapes
    gradcheck(F.div, rand(sa, seed), away_from_zero(sb, seed + 1))


@covers("Neg", "Exp", "Tanh", "Sigmoid")
@pytest.mark.parametrize("op", [F.neg, F.exp, F.tanh, F.sigmoid])
@given(shape=shapes, seed=seeds)
def test_smooth_unary(op, shape, seed):
    gradcheck(op, rand(shape, seed))


@covers("Log")
@given(shape=shapes, seed=seeds)
def test_log(shape, seed):
    gradcheck(F.log, rand(shape, seed, 0.2, 3.0))


@covers("ReLU", "Abs")
@pytest.mark.parametrize("op", [F.relu, F.abs])
@given(shape=shapes, seed=seeds)
def test_kinked_unary(op, shape, seed):
    gradcheck(op, away_from_zero(shape, seed))


@covers("PowConstant")
@given(shape=shapes, seed=seeds, p=st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
def test_pow_constant(shape, seed, p):
    gradcheck(lambda x: F.pow(x, p), rand(shape, seed, 0.3, 2.0))


@covers("Pow")
@given(shapes=pairs, seed=seeds)
def test_pow_tensor_exponent(shapes, seed):
    (sa, sb), _ = shapes
    gradcheck(F.pow, rand(sa, seed, 0.3, 2.0), rand(sb, seed + 1, -2.0, 2.0))


@covers("MatMul")
@given(
    m=st.integers(1, 4),
    k=st.integers(1, 4),
    n=st.integers(1, 4),
    batch=st.sampled_from([(), (2,), (3, 1)]),
    b_batch=st.sampled_from([(), (1,), (2,)]),
    vec=st.sampled_from(["none", "left", "right", "both"]),
    seed=seeds,
)
def test_matmul(m, k, n, batch, b_batch, vec, seed):
    sa = (k,) if vec in ("left", "both") else batch + (m, k)
    sb = (k,) if vec in ("right", "both") else b_batch + (k, n)
    gradcheck(F.matmul, rand(sa, seed), rand(sb, seed + 1))


# -- reductions -------------------------------------------------------------------------------


@covers("Sum", "Mean")
@pytest.mark.parametrize("op", [F.sum, F.mean])
@given(shape=shapes, seed=seeds, keepdims=st.booleans(), data=st.data())
def test_sum_mean(op, shape, seed, keepdims, data):
    axis = axis_for(shape, data)
    gradcheck(lambda x: op(x, axis=axis, keepdims=keepdims), rand(shape, seed))


@covers("Sum")
def test_sum_over_several_axes():
    gradcheck(lambda x: F.sum(x, axis=(0, 2)), rand((2, 3, 4), 0))


@covers("Max")
@given(shape=shapes, seed=seeds, keepdims=st.booleans(), data=st.data())
def test_max(shape, seed, keepdims, data):
    axis = axis_for(shape, data)
    gradcheck(lambda x: F.max(x, axis=axis, keepdims=keepdims), distinct(shape, seed))


@covers("LogSumExp")
@given(shape=shapes, seed=seeds, keepdims=st.booleans(), data=st.data())
def test_logsumexp(shape, seed, keepdims, data):
    axis = axis_for(shape, data)
    gradcheck(lambda x: F.logsumexp(x, axis=axis, keepdims=keepdims), rand(shape, seed, -5, 5))


@covers("Softmax", "LogSoftmax")
@pytest.mark.parametrize("op", [F.softmax, F.log_softmax])
@given(shape=shapes, seed=seeds, data=st.data())
def test_softmax_family(op, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    gradcheck(lambda x: op(x, axis=axis), rand(shape, seed, -5, 5))


# -- shapes and indexing ----------------------------------------------------------------------


@covers("Reshape")
@given(shape=shapes, seed=seeds)
def test_reshape(shape, seed):
    n = int(np.prod(shape))
    gradcheck(lambda x: F.reshape(x, (n,)) * np.arange(n), rand(shape, seed))
    gradcheck(lambda x: x.reshape(-1, 1), rand(shape, seed))


@covers("Permute")
@given(shape=shapes, seed=seeds, data=st.data())
def test_permute_transpose(shape, seed, data):
    dims = data.draw(st.permutations(range(len(shape))))
    weights = rand(tuple(shape[d] for d in dims), seed + 1)
    gradcheck(lambda x: F.permute(x, dims) * weights, rand(shape, seed))
    gradcheck(lambda x: x.T, rand(shape, seed))
    if len(shape) >= 2:
        gradcheck(lambda x: x.transpose(0, -1), rand(shape, seed))


@covers("GetItem")
@pytest.mark.parametrize(
    "index",
    [
        np.s_[1],
        np.s_[:, 1:3],
        np.s_[::-1, ::2],
        np.s_[..., 0],
        np.s_[None, 2],
        np.s_[[0, 0, 2]],  # a repeated row: gradients add up
        np.s_[[0, 3], [1, 1]],
        np.s_[np.array([[True, False, True, False]] * 4)],
    ],
)
def test_getitem(index):
    gradcheck(lambda x: x[index] * 3.0, rand((4, 4), 0))


@covers("GetItem")
def test_getitem_repeated_index_accumulates():
    x = Tensor(np.zeros(3), requires_grad=True)
    x[Tensor(np.array([0, 0, 2]))].sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 0, 1])


@covers("Concatenate")
@given(shape=shapes, seed=seeds, extra=st.integers(1, 3), data=st.data())
def test_concatenate(shape, seed, extra, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[axis] = extra
    gradcheck(
        lambda a, b: F.concatenate([a, b], axis=axis) ** 2,
        rand(shape, seed),
        rand(tuple(other), seed + 1),
    )


@covers("Stack")
@given(shape=shapes, seed=seeds, data=st.data())
def test_stack(shape, seed, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    gradcheck(
        lambda a, b, c: F.stack([a, b, c], axis=axis) ** 2,
        rand(shape, seed),
        rand(shape, seed + 1),
        rand(shape, seed + 2),
    )


# -- layers and losses ------------------------------------------------------------------------


@covers("Affine")
@given(n=st.integers(1, 4), i=st.integers(1, 4), o=st.integers(1, 4), bias=st.booleans(),
       lead=st.sampled_from([(), (2,)]), seed=seeds)  # fmt: skip
def test_linear(n, i, o, bias, lead, seed):
    x, w, b = rand(lead + (n, i), seed), rand((o, i), seed + 1), rand((o,), seed + 2)
    if bias:
        gradcheck(F.linear, x, w, b)
    else:
        gradcheck(F.linear, x, w)


@covers("LeakyReLU")
@given(shape=shapes, seed=seeds, slope=st.sampled_from([0.01, 0.2, -0.5]))
def test_leaky_relu(shape, seed, slope):
    gradcheck(lambda x: F.leaky_relu(x, slope), away_from_zero(shape, seed))


@covers("GELU")
@given(shape=shapes, seed=seeds)
def test_gelu(shape, seed):
    gradcheck(F.gelu, rand(shape, seed, -4, 4))


@covers("Dropout")
def test_dropout_with_a_fixed_mask():
    mask = (np.random.default_rng(0).random((3, 4)) > 0.3) / 0.7
    gradcheck(lambda x: F.Dropout.apply(x, mask=mask), rand((3, 4), 1))


@covers("BatchNorm")
@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape, training):
    c = shape[1]
    rm, rv = rand((c,), 7), rand((c,), 8, 0.5, 2.0)

    def f(x, w, b):
        return F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training) ** 2

    gradcheck(f, rand(shape, 0), rand((c,), 1), rand((c,), 2))


@covers("MSE", "L1", "Huber", "BCEWithLogits")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["mse", "l1", "huber", "bce"])
def test_pointwise_losses(loss, reduction):
    x, y = rand((4, 3), 0), rand((4, 3), 1)
    if loss == "mse":
        gradcheck(lambda a, b: F.mse_loss(a, b, reduction), x, y)
    elif loss == "l1":
        gradcheck(lambda a, b: F.l1_loss(a, b, reduction), x, y + away_from_zero((4, 3), 2))
    elif loss == "huber":
        far = x + np.where(np.arange(12).reshape(4, 3) % 2, 0.3, 2.5)  # both branches
        gradcheck(lambda a, b: F.huber_loss(a, b, reduction, delta=1.0), x, far)
    else:
        gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction), x * 3,
                  np.random.default_rng(3).random((4, 3)))  # fmt: skip


@covers("CrossEntropy")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(reduction, smoothing):
    t = np.array([0, 2, 1, 2, 0])
    gradcheck(lambda z: F.cross_entropy(z, t, reduction, smoothing), rand((5, 3), 0, -3, 3))


# -- convolution and pooling ------------------------------------------------------------------


@covers("Conv2d")
@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding", "dilation", "bias"),
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, True),
        ((1, 2, 8, 9), (3, 2, 3, 2), (2, 1), (1, 2), 1, True),
        ((2, 1, 9, 9), (2, 1, 3, 3), 2, 1, 2, False),
        ((1, 3, 5, 5), (2, 3, 5, 5), 1, 2, 1, True),
        ((3, 2, 4, 4), (1, 2, 1, 1), 1, 0, 1, True),
    ],
)
def test_conv2d(x_shape, w_shape, stride, padding, dilation, bias):
    x, w, b = rand(x_shape, 0), rand(w_shape, 1), rand((w_shape[0],), 2)

    def f(x, w, *b):
        return F.conv2d(x, w, *b, stride=stride, padding=padding, dilation=dilation)

    gradcheck(f, x, w, *([b] if bias else []))


@covers("MaxPool2d")
@pytest.mark.parametrize(("kernel", "stride", "padding"), [(2, None, 0), (3, 2, 1), ((2, 3), 1, 0)])
def test_max_pool2d(kernel, stride, padding):
    gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), distinct((2, 3, 7, 8), 0))


@covers("AvgPool2d")
@pytest.mark.parametrize(("kernel", "stride", "padding"), [(2, None, 0), (3, 2, 1), ((2, 3), 1, 0)])
def test_avg_pool2d(kernel, stride, padding):
    gradcheck(lambda x: F.avg_pool2d(x, kernel, stride, padding), rand((2, 3, 7, 8), 0))


@pytest.mark.parametrize("size", [1, 2, (3, 2)])
def test_adaptive_avg_pool2d(size):
    gradcheck(lambda x: F.adaptive_avg_pool2d(x, size), rand((2, 3, 6, 4), 0))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_images(training):
    rm, rv = rand((3,), 7), rand((3,), 8, 0.5, 2.0)

    def f(x, w, b):
        return F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training) ** 2

    gradcheck(f, rand((2, 3, 4, 5), 0), rand((3,), 1), rand((3,), 2))


# -- composite expressions --------------------------------------------------------------------


def test_composite_layer():
    x, w, b = rand((5, 3), 0), rand((4, 3), 1), rand((4,), 2)
    errs = gradcheck(lambda x, w, b: F.tanh(x @ w.T + b).sum(), x, w, b)
    assert len(errs) == 3 and max(errs) < 1e-6


def test_tensor_used_twice_accumulates():
    gradcheck(lambda x: x * x.exp() + x, rand((3,), 0))


def test_every_function_is_tested():
    functions = {
        name
        for name, obj in vars(F).items()
        if inspect.isclass(obj) and issubclass(obj, Function) and obj is not Function
    }
    assert functions, "no Function found in mininn.functional"
    missing = functions - TESTED
    assert not missing, f"Functions without a gradcheck test: {sorted(missing)}"


# -- recurrent layers and embedding (kernels in mininn.kernels.rnn) ---------------------------


@covers("LSTM")
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_sequence(bias):
    t, n, i, h = 4, 2, 3, 3
    args = [rand((t, n, i), 0), rand((n, h), 1), rand((n, h), 2),
            rand((4 * h, i), 3, -1, 1), rand((4 * h, h), 4, -1, 1)]  # fmt: skip
    if bias:
        args += [rand((4 * h,), 5, -1, 1), rand((4 * h,), 6, -1, 1)]
    gradcheck(F.LSTM, *args)
    gradcheck(lambda x, *w: F.lstm(x, *w)[0], args[0], *args[3:])  # zero initial state


@covers("GRU")
@pytest.mark.parametrize("bias", [True, False])
def test_gru_sequence(bias):
    t, n, i, h = 4, 2, 3, 3
    args = [rand((t, n, i), 0), rand((n, h), 1),
            rand((3 * h, i), 3, -1, 1), rand((3 * h, h), 4, -1, 1)]  # fmt: skip
    if bias:
        args += [rand((3 * h,), 5, -1, 1), rand((3 * h,), 6, -1, 1)]
    gradcheck(F.GRU, *args)


@covers("RNN")
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_sequence(nonlinearity):
    t, n, i, h = 4, 2, 3, 3
    args = [rand((t, n, i), 0), rand((n, h), 1), rand((h, i), 3, -1, 1),
            rand((h, h), 4, -1, 1), rand((h,), 5, -1, 1), rand((h,), 6, -1, 1)]  # fmt: skip

    def f(x, h0, w_ih, w_hh, b_ih, b_hh):
        return F.rnn(x, w_ih, w_hh, b_ih, b_hh, h0=h0, nonlinearity=nonlinearity)[0]

    gradcheck(f, *args)


@covers("Embedding")
def test_embedding():
    idx = np.array([[0, 3, 3], [1, 0, 4]])
    gradcheck(lambda w: F.embedding(idx, w), rand((5, 3), 0))


@pytest.mark.parametrize("which", ["lstm", "gru", "rnn"])
def test_recurrent_layers_with_token_id_input(which):
    """Integer ids stand for one-hot input: the weight gradients come from a scatter-add."""
    ids = np.array([[0, 2], [3, 3], [1, 0]])
    g = {"lstm": 4, "gru": 3, "rnn": 1}[which]
    h = 3
    args = [rand((g * h, 4), 3, -1, 1), rand((g * h, h), 4, -1, 1),
            rand((g * h,), 5, -1, 1), rand((g * h,), 6, -1, 1)]  # fmt: skip
    fn = getattr(F, which)
    gradcheck(lambda *w: fn(ids, *w)[0], *args)
