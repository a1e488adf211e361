"""Convolution and pooling: kernels against their NumPy references, layers against PyTorch,
and clear errors on bad input.

The PyTorch comparisons copy the weights across and check outputs and gradients at 1e-4
relative in float32; they skip when PyTorch is not installed (`pip install torch==2.13.0`).
"""

from __future__ import annotations

import numpy as np
import pytest

import mininn
import mininn.functional as F
from mininn import Tensor, nn
from mininn.kernels import conv as KC
from mininn.kernels import norm as KN
from mininn.kernels import pool as KP

GEOMETRIES = [  # x shape, kernel, stride, padding, dilation
    ((2, 3, 7, 6), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 8, 9), (3, 2), (2, 1), (1, 2), (1, 1)),
    ((2, 1, 9, 9), (3, 3), (2, 2), (1, 1), (2, 2)),
    ((3, 2, 5, 5), (5, 5), (1, 1), (2, 2), (1, 1)),
    ((2, 4, 6, 6), (1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 1, 4, 11), (2, 4), (3, 2), (0, 3), (1, 2)),
]


def _out(shape, kernel, stride, padding, dilation):
    return tuple(
        KC.conv_output_size(shape[2 + a], kernel[a], stride[a], padding[a], dilation[a])
        for a in (0, 1)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation"), GEOMETRIES)
def test_im2col_and_col2im_kernels_match_the_numpy_references(
    shape, kernel, stride, padding, dilation, dtype
):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    oh, ow = _out(shape, kernel, stride, padding, dilation)
    cols = KC.im2col(x, *kernel, *stride, *padding, *dilation, oh, ow)
    ref = KC.im2col_reference(x, kernel, stride, padding, dilation)
    assert cols.dtype == dtype and cols.shape == ref.shape
    np.testing.assert_array_equal(cols, ref)
    c = rng.standard_normal(cols.shape).astype(dtype)
    back = KC.col2im(c, *shape, *kernel, *stride, *padding, *dilation, oh, ow)
    np.testing.assert_allclose(
        back, KC.col2im_reference(c, shape, kernel, stride, padding, dilation), rtol=1e-6
    )
    # col2im is the adjoint (transpose) of im2col: <im2col(x), c> == <x, col2im(c)>
    lhs = float((cols.astype(np.float64) * c).sum())
    rhs = float((x.astype(np.float64) * back).sum())
    assert abs(lhs - rhs) <= 1e-4 * (abs(lhs) + 1)


def test_conv2d_reference_against_a_direct_loop():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2)), rng.random(4)
    out = KC.conv2d_reference(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    oh, ow = _out(x.shape, (3, 2), (2, 1), (1, 0), (1, 2))
    direct = np.zeros((2, 4, oh, ow))
    for n in range(2):
        for o in range(4):
            for y in range(oh):
                for z in range(ow):
                    patch = xp[n, :, 2 * y : 2 * y + 3, z : z + 3 : 2]
                    direct[n, o, y, z] = (patch * w[o]).sum() + b[o]
    np.testing.assert_allclose(out, direct, rtol=1e-12)
    got = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    np.testing.assert_allclose(got.data, direct, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                                      ((2, 3), (1, 2), (1, 1))]
)  # fmt: skip
def test_pool_kernels_match_the_numpy_references(kernel, stride, padding, dtype):
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 8)).astype(dtype)
    oh = (7 + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (8 + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out, arg = KP.max_pool2d_forward(x, *kernel, *stride, *padding, oh, ow)
    ref, ref_offset = KP.max_pool2d_reference(x, kernel, stride, padding)
    np.testing.assert_array_equal(out, ref)
    # the flat index of each maximum, recomputed from the reference's window offset
    y0 = np.arange(oh)[:, None] * stride[0] - padding[0]
    x0 = np.arange(ow)[None, :] * stride[1] - padding[1]
    expect = (y0 + ref_offset // kernel[1]) * 8 + (x0 + ref_offset % kernel[1])
    np.testing.assert_array_equal(arg, expect)
    avg = KP.avg_pool2d_forward(x, *kernel, *stride, *padding, oh, ow)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(avg, KP.avg_pool2d_reference(x, kernel, stride, padding), **tol)


def test_max_pool_sends_a_tied_window_gradient_to_its_first_maximum_only():
    x = np.zeros((1, 1, 4, 4), np.float32)  # every window is a four-way tie
    x[0, 0, 3, 3] = -1.0
    t = Tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).sum().backward()
    expect = np.zeros((4, 4), np.float32)
    expect[0, 0] = expect[0, 2] = expect[2, 0] = expect[2, 2] = 1.0
    np.testing.assert_array_equal(t.grad[0, 0], expect)
    assert t.grad.sum() == 4.0  # one unit of gradient per window, never more


def test_max_pool_padding_never_wins():
    x = -np.ones((1, 1, 3, 3), np.float32) * np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    out = F.max_pool2d(x, 3, stride=1, padding=1)
    assert (out.data < 0).all()  # a zero from the padding would have been the maximum


def test_global_average_pooling():
    x = np.random.default_rng(3).standard_normal((2, 5, 4, 6))
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(x, 1).data, x.mean(axis=(2, 3), keepdims=True), rtol=1e-12
    )
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(x, (2, 3)).data,
        x.reshape(2, 5, 2, 2, 3, 2).mean(axis=(3, 5)),
        rtol=1e-12,
    )
    assert nn.AdaptiveAvgPool2d(1)(Tensor(x)).shape == (2, 5, 1, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(16, 5, 49), (7, 3, 1), (2, 4, 300)])
def test_batch_norm_kernels_match_the_numpy_references(shape, dtype):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    w = rng.uniform(0.5, 2, shape[1]).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    mean, var = np.empty(shape[1], dtype), np.empty(shape[1], dtype)
    y = KN.batch_norm_forward(x, w, b, mean, var, 1e-5, True)
    x64 = x.astype(np.float64)
    y_ref, mean_ref, var_ref = KN.batch_norm_forward_reference(x64, w, b)
    assert y.dtype == dtype and y.shape == shape
    for got, want in [(y, y_ref), (mean, mean_ref), (var, var_ref)]:
        np.testing.assert_allclose(got, want, **tol)
    grads = KN.batch_norm_backward(g, x, w, mean, var, 1e-5, True)
    for got, want in zip(grads, KN.batch_norm_backward_reference(g.astype(np.float64), x64, w), strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **tol)
    # with fixed statistics (evaluation mode) the output is an affine map of x
    m0, v0 = rng.standard_normal(shape[1]).astype(dtype), rng.uniform(0.5, 2, shape[1]).astype(dtype)
    y_eval = KN.batch_norm_forward(x, w, b, m0.copy(), v0.copy(), 1e-5, False)
    scale = (w / np.sqrt(v0.astype(np.float64) + 1e-5))[None, :, None]
    np.testing.assert_allclose(y_eval, (x64 - m0[None, :, None]) * scale + b[None, :, None], **tol)
    gx, gw, gb = KN.batch_norm_backward(g, x, w, m0, v0, 1e-5, False)
    np.testing.assert_allclose(gx, g * scale, **tol)
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2)), **tol)


def test_batch_norm_statistics_keep_their_digits_on_a_large_float32_batch():
    # a million values per channel with a large offset: naive float32 sums lose digits
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((1000, 2, 1000)) * 0.01 + 1000).astype(np.float32)
    mean, var = np.empty(2, np.float32), np.empty(2, np.float32)
    KN.batch_norm_forward(x, np.ones(2, np.float32), np.zeros(2, np.float32), mean, var, 0.0, True)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=(0, 2)), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(axis=(0, 2)), rtol=1e-3)


def test_batch_norm_propagates_nan_instead_of_hiding_it():
    x = np.ones((4, 2, 3), np.float32)
    x[1, 0, 2] = np.nan
    mean, var = np.empty(2, np.float32), np.empty(2, np.float32)
    y = KN.batch_norm_forward(x, np.ones(2, np.float32), np.zeros(2, np.float32), mean, var, 1e-5, True)
    assert np.isnan(y[:, 0]).all() and not np.isnan(y[:, 1]).any()


def test_conv_layer_shapes_dtype_and_parameters():
    mininn.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.bias.shape == (8,)
    assert conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(27)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > bound / 2
    y = conv(Tensor(np.zeros((5, 3, 9, 9), np.float32)))
    assert y.shape == (5, 8, 5, 5) and y.dtype == np.float32
    assert "stride=(2, 2)" in repr(conv) and "padding=(1, 1)" in repr(conv)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(3, 8, 3, bias=False).bias is None
    assert "bias=False" in repr(nn.Conv2d(3, 8, 3, bias=False))


def test_batchnorm2d_normalises_each_channel_and_keeps_running_statistics():
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((8, 3, 5, 5)) * [[[[2.0]], [[0.5]], [[3.0]]]] + 1).astype(np.float32)
    bn = nn.BatchNorm2d(3)
    y = bn(Tensor(x)).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)
    n = 8 * 5 * 5
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(
        bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3)) * n / (n - 1), rtol=1e-5
    )
    bn.eval()
    y_eval = bn(Tensor(x)).data
    expect = (x - bn.running_mean.reshape(1, 3, 1, 1)) / np.sqrt(
        bn.running_var.reshape(1, 3, 1, 1) + 1e-5
    )
    np.testing.assert_allclose(y_eval, expect, rtol=1e-5, atol=1e-6)


# -- errors on bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.conv2d(np.zeros((3, 28, 28)), np.zeros((4, 3, 3, 3))), r"\(N, C, H, W\)"),
        (lambda: F.conv2d(np.zeros((1, 2, 8, 8)), np.zeros((4, 3, 3, 3))), "2 channels"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3))), r"\(O, C, KH, KW\)"),
        (lambda: F.conv2d(np.zeros((1, 3, 2, 2)), np.zeros((4, 3, 3, 3))), "does not fit"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), stride=0), "stride"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), padding=-1), "padding"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), np.zeros(3)), "bias"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8), np.float32), np.zeros((4, 3, 3, 3))), "float64"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8), np.int64), np.zeros((4, 3, 3, 3))), "int64"),
        (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), stride=1.5), "int"),
        (lambda: F.max_pool2d(np.zeros((1, 1, 3, 3)), 4), "does not fit"),
        (lambda: F.max_pool2d(np.zeros((1, 1, 8, 8)), 2, padding=2), "half the kernel"),
        (lambda: F.avg_pool2d(np.zeros((8, 8)), 2), r"\(N, C, H, W\)"),
        (lambda: F.adaptive_avg_pool2d(np.zeros((1, 1, 5, 5)), 2), "multiple"),
        (lambda: nn.Conv2d(0, 4, 3), "positive"),
        (lambda: nn.Conv2d(1, 4, (3, 3, 3)), "pair"),
        (lambda: nn.MaxPool2d(0), "kernel_size"),
        (lambda: nn.BatchNorm2d(3)(Tensor(np.zeros((2, 4, 5, 5), np.float32))), r"\(N, 3, H, W\)"),
        (lambda: nn.Conv2d(3, 4, 3)(Tensor(np.zeros((2, 1, 8, 8), np.float32))), "1 channels"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# -- against PyTorch ---------------------------------------------------------------------------

RTOL, ATOL = 1e-4, 1e-5


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy()
    ours = ours.data if isinstance(ours, Tensor) else ours
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def _compare(ours, theirs, x_shape, train=True):
    torch = pytest.importorskip("torch")
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict({k: v for k, v in state.items() if k in dict(ours.state_dict())})
    ours.train(train)
    theirs.train(train)
    x = np.random.default_rng(5).standard_normal(x_shape).astype(np.float32)
    xm, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    _close(ym, yt, "forward")
    g = np.random.default_rng(6).standard_normal(ym.shape).astype(np.float32)
    ym.backward(g)
    yt.backward(torch.tensor(g))
    _close(xm.grad, xt.grad, "input gradient")
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, tparams[name].grad, f"gradient of {name}")
    for name, buf in ours.named_buffers():
        _close(np.asarray(buf), theirs.state_dict()[name], f"buffer {name}")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3),
        dict(kernel_size=3, padding=1),
        dict(kernel_size=5, padding=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(3, 2), stride=(1, 2), padding=(0, 1)),
        dict(kernel_size=3, dilation=2, padding=2),
        dict(kernel_size=1, bias=False),
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()),
)
def test_conv2d_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    _compare(nn.Conv2d(3, 5, **kwargs), torch.nn.Conv2d(3, 5, **kwargs), (4, 3, 11, 10))


POOLS = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3,), dict(stride=2, padding=1)),
    ("MaxPool2d", ((2, 3),), dict(stride=(1, 2))),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3,), dict(stride=2, padding=1)),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool2d", (2,), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), POOLS, ids=[f"{p[0]}{p[1]}" for p in POOLS])
def test_pooling_matches_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    _compare(ours, theirs, (3, 4, 10, 12))


def test_max_pool_on_real_tied_images_matches_pytorch():
    """Ties in black backgrounds: the gradient goes where PyTorch sends it."""
    torch = pytest.importorskip("torch")
    x = np.zeros((2, 1, 8, 8), np.float32)
    x[:, :, 2:5, 3:6] = 0.7  # a plateau: ties inside and around it
    _compare(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x.shape)
    xm, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(xm, 2).sum().backward()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xm.grad, xt.grad.numpy())


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm2d_matches_pytorch(train):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-0.5, 0.5)
        theirs.running_mean.uniform_(-1, 1)
        theirs.running_var.uniform_(0.5, 2)
    _compare(ours, theirs, (6, 4, 5, 7), train=train)


def test_lenet_forward_backward_matches_pytorch():
    torch = pytest.importorskip("torch")
    T = torch.nn

    def lenet(m):
        return m.Sequential(
            m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
            m.Conv2d(6, 16, 5), m.BatchNorm2d(16), m.ReLU(), m.AvgPool2d(2),
            m.Flatten(), m.Linear(400, 10),
        )  # fmt: skip

    _compare(lenet(nn), lenet(T), (8, 1, 28, 28))


def test_the_benchmarks_numpy_reference_computes_the_same_convolution():
    from mininn.benchmarks import _numpy_conv_step

    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.random(4)
    g = rng.standard_normal((2, 4, 6, 5))
    out, gx, gw, gb = _numpy_conv_step(x, w, b, g)
    xm, wm, bm = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xm, wm, bm, padding=1)
    y.backward(g)
    for ours, ref in ((y.data, out), (xm.grad, gx), (wm.grad, gw.reshape(w.shape)), (bm.grad, gb)):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_the_benchmarks_interleave_the_functions_they_compare():
    from mininn.benchmarks import _interleaved_median_ms

    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    out = _interleaved_median_ms(fns, repeats=10, block=5)
    assert sorted(out) == ["a", "b"] and all(v >= 0 for v in out.values())
    # one warm-up call each, then blocks of five that alternate: a a a a a b b b b b a ...
    assert calls == ["a", "b"] + (["a"] * 5 + ["b"] * 5) * 2


def test_malloc_tuning_is_on_by_default_and_can_be_turned_off():
    import subprocess
    import sys

    code = "import mininn; print(mininn.MALLOC_TUNED)"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    env = {**__import__("os").environ, "MININN_MALLOC_TUNING": "0"}
    off = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert off.stdout.strip() == "False"
    if sys.platform.startswith("linux"):
        assert on.stdout.strip() == "True"


def test_weight_gradient_summed_over_blocks_matches_one_product():
    """A long, thin weight gradient takes the blocked path; it must equal the plain product."""
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((9, 1, 28, 28)), rng.standard_normal((2, 1, 3, 3))
    g = rng.standard_normal((9, 2, 28, 28))
    wm = Tensor(w, requires_grad=True)
    F.conv2d(x, wm, padding=1).backward(g)
    cols = KC.im2col_reference(x, (3, 3), (1, 1), (1, 1))
    assert cols.shape[1] > 2 * 2048 and 2 * cols.shape[0] <= 1024  # the blocked path
    expect = (g.transpose(1, 0, 2, 3).reshape(2, -1) @ cols.T).reshape(w.shape)
    np.testing.assert_allclose(wm.grad, expect, rtol=1e-10)
    assert F._weight_grad(np.ones((2, 5000)), np.ones((3, 5000))).tolist() == [[5000.0] * 3] * 2
