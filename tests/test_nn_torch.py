"""Layers, losses, optimisers and schedules agree with PyTorch, weights copied across.

Every comparison is at 1e-5 relative (float32) unless said otherwise. Skipped when PyTorch is
not installed (`pip install torch==2.13.0`).
"""

from __future__ import annotations

import numpy as np
import pytest

import mininn
import mininn.functional as F
from mininn import Tensor, nn, optim

torch = pytest.importorskip("torch")
tnn = torch.nn
RTOL = 1e-5


def close(ours, theirs, rtol=RTOL, atol=1e-6, what=""):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.data if isinstance(ours, Tensor) else np.asarray(ours)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def copy_params(ours: nn.Module, theirs) -> None:
    state = {
        k: v.detach().numpy()
        for k, v in theirs.state_dict().items()
        if k in dict(ours.state_dict())
    }
    ours.load_state_dict(state, strict=False)


def run_both(ours, theirs, x, train=True):
    ours.train(train)
    theirs.train(train)
    xm = Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    close(ym, yt, what="forward")
    g = np.random.default_rng(1).standard_normal(ym.shape).astype(np.float32)
    ym.backward(g)
    yt.backward(torch.tensor(g))
    close(xm.grad, xt.grad, what="input gradient")
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, tparams[name].grad, what=f"gradient of {name}")
    return ym


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.Linear(5, 3), tnn.Linear(5, 3)),
        lambda: (nn.Linear(5, 3, bias=False), tnn.Linear(5, 3, bias=False)),
        lambda: (nn.ReLU(), tnn.ReLU()),
        lambda: (nn.LeakyReLU(0.2), tnn.LeakyReLU(0.2)),
        lambda: (nn.Sigmoid(), tnn.Sigmoid()),
        lambda: (nn.Tanh(), tnn.Tanh()),
        lambda: (nn.GELU(), tnn.GELU()),
        lambda: (nn.Flatten(), tnn.Flatten()),
        lambda: (nn.Identity(), tnn.Identity()),
    ],
    ids=[
        "linear",
        "linear-nobias",
        "relu",
        "leaky",
        "sigmoid",
        "tanh",
        "gelu",
        "flatten",
        "identity",
    ],
)
def test_layers_match(make):
    ours, theirs = make()
    copy_params(ours, theirs)
    run_both(ours, theirs, data(6, 5))


def test_linear_on_three_dimensional_input_and_flatten():
    ours, theirs = nn.Linear(4, 2), tnn.Linear(4, 2)
    copy_params(ours, theirs)
    run_both(ours, theirs, data(3, 5, 4))
    run_both(nn.Flatten(), tnn.Flatten(), data(2, 3, 4, 5))


@pytest.mark.parametrize("shape", [(8, 4), (6, 4, 5)])
def test_batchnorm1d_train_then_eval_with_running_statistics(shape):
    ours, theirs = nn.BatchNorm1d(4, momentum=0.2), tnn.BatchNorm1d(4, momentum=0.2)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-0.5, 0.5)
    copy_params(ours, theirs)
    for step in range(3):
        run_both(ours, theirs, data(*shape, seed=step) * 2 + 1, train=True)
    close(ours.running_mean, theirs.running_mean, what="running mean")
    close(ours.running_var, theirs.running_var, what="running var")
    run_both(ours, theirs, data(*shape, seed=9), train=False)


def test_dropout_statistics_and_eval_identity():
    mininn.manual_seed(0)
    d = nn.Dropout(0.3)
    x = Tensor(np.ones((200, 500), np.float32), requires_grad=True)
    y = d(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # the gradient goes exactly where data went
    d.eval()
    assert d(x) is x


def test_mlp_matches_pytorch():
    ours = nn.Sequential(
        nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4)
    )
    theirs = tnn.Sequential(
        tnn.Linear(20, 16), tnn.ReLU(), tnn.Linear(16, 16), tnn.Tanh(), tnn.Linear(16, 4)
    )
    copy_params(ours, theirs)
    run_both(ours, theirs, data(10, 20))


# -- losses -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (F.mse_loss, torch.nn.functional.mse_loss),
        (F.l1_loss, torch.nn.functional.l1_loss),
        (F.huber_loss, torch.nn.functional.huber_loss),
        (F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits),
    ],
    ids=["mse", "l1", "huber", "bce"],
)
def test_pointwise_losses_match(ours, theirs, reduction):
    x = data(7, 3) * 3
    y = np.random.default_rng(2).random((7, 3)).astype(np.float32)
    xm, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lm, lt = ours(xm, y, reduction=reduction), theirs(xt, torch.tensor(y), reduction=reduction)
    close(lm, lt)
    lm.sum().backward()
    lt.sum().backward()
    close(xm.grad, xt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_matches(reduction, smoothing):
    z = data(9, 5) * 4
    z[0] *= 1e3  # large logits stay finite
    t = np.random.default_rng(3).integers(0, 5, size=9)
    zm, zt = Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    lm = F.cross_entropy(zm, t, reduction=reduction, label_smoothing=smoothing)
    lt = torch.nn.functional.cross_entropy(
        zt, torch.tensor(t), reduction=reduction, label_smoothing=smoothing
    )
    close(lm, lt, rtol=1e-5, atol=1e-4 if reduction == "sum" else 1e-5)
    lm.sum().backward()
    lt.sum().backward()
    close(zm.grad, zt.grad)


def test_loss_modules_match_functional():
    z, t = data(4, 3), np.array([0, 1, 2, 1])
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(Tensor(z), t).item() == pytest.approx(
        F.cross_entropy(Tensor(z), t, label_smoothing=0.1).item()
    )
    assert nn.MSELoss(reduction="sum")(Tensor(z), z * 0).item() == pytest.approx(
        float((z * z).sum()), rel=1e-6
    )


# -- optimisers -------------------------------------------------------------------------------

OPTIMISERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _ten_steps(name, kwargs, dtype):
    ours = nn.Sequential(nn.Linear(6, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))
    theirs = tnn.Sequential(tnn.Linear(6, 8), tnn.Tanh(), tnn.Linear(8, 3))
    theirs = theirs.double() if dtype == np.float64 else theirs
    copy_params(ours, theirs)
    assert all(p.dtype == dtype for p in ours.parameters())
    opt_m = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    x, t = data(16, 6).astype(dtype), np.random.default_rng(5).integers(0, 3, size=16)
    for _ in range(10):
        opt_m.zero_grad()
        opt_t.zero_grad()
        F.cross_entropy(ours(Tensor(x)), t).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(t)).backward()
        opt_m.step()
        opt_t.step()
    return ours, dict(theirs.named_parameters())


@pytest.mark.parametrize(
    ("name", "kwargs"), OPTIMISERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMISERS)]
)
def test_ten_steps_match_pytorch(name, kwargs):
    # In float64 on both sides, so that what is compared is the update rule. In float32 the
    # last-bit differences between two BLAS builds grow over ten adaptive steps (RMSprop and
    # Adam divide by sqrt(v), which is small) past 1e-5 on some CPUs; see the float32 test.
    ours, tparams = _ten_steps(name, kwargs, np.float64)
    for pname, p in ours.named_parameters():
        close(p, tparams[pname], atol=1e-9, what=f"{name} {kwargs}: {pname} after 10 steps")


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_ten_float32_steps_stay_near_pytorch(name):
    """The float32 path the book trains with stays within float32 noise of PyTorch."""
    ours, tparams = _ten_steps(name, dict(lr=0.01), np.float32)
    for pname, p in ours.named_parameters():
        close(p, tparams[pname], rtol=1e-3, atol=2e-5, what=f"float32 {name}: {pname}")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda o: optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
        ),
        (
            lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        ),
        (
            lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
            lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
        ),
    ],
    ids=["step", "cosine", "linear-warmup"],
)
def test_schedules_match_pytorch(ours, theirs):
    pm = nn.Parameter(np.zeros(1, np.float32))
    pt = torch.zeros(1, requires_grad=True)
    om, ot = optim.SGD([pm], lr=0.1), torch.optim.SGD([pt], lr=0.1)
    sm, st = ours(om), theirs(ot)
    for _ in range(12):
        assert sm.get_last_lr()[0] == pytest.approx(st.get_last_lr()[0], rel=1e-9, abs=1e-12)
        om.step()
        ot.step()
        sm.step()
        st.step()


def test_clip_grad_norm_matches_pytorch():
    ours, theirs = nn.Linear(5, 4), tnn.Linear(5, 4)
    copy_params(ours, theirs)
    x = data(3, 5) * 10
    ours(Tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    nm = optim.clip_grad_norm_(ours.parameters(), max_norm=1.0)
    nt = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm=1.0)
    assert nm == pytest.approx(float(nt), rel=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        close(p.grad, q.grad, what=name)
