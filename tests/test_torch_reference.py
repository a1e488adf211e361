"""Values and gradients of random expressions agree with PyTorch's autograd.

Each seed (drawn by Hypothesis, which also shrinks a failure to a small one) builds a random
program, every choice uniform: a few leaf tensors, then a chain of operations, each
applied to values already computed (so values are reused and gradients must add up). The
same program runs in mininn and in PyTorch; every leaf's gradient must agree. Skipped when
PyTorch is not installed (it is optional: `pip install torch==2.13.0`).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mininn.functional as F
from mininn import Tensor

torch = pytest.importorskip("torch")

LEAF_SHAPES = [(3, 4), (4,), (4, 5), (3, 1)]


def unary_ops():
    """(name, mininn op, torch op); each keeps the shape of its input."""
    return [
        ("tanh", F.tanh, torch.tanh),
        ("sigmoid", F.sigmoid, torch.sigmoid),
        ("relu", F.relu, torch.relu),
        ("neg", F.neg, torch.neg),
        ("square", lambda a: a**2, lambda a: a**2),
        ("exp_tanh", lambda a: a.tanh().exp(), lambda a: a.tanh().exp()),
        ("log_soft", lambda a: (a * a + 0.5).log(), lambda a: (a * a + 0.5).log()),
        ("abs", F.abs, torch.abs),
        ("scale", lambda a: 0.5 * a - 1.0, lambda a: 0.5 * a - 1.0),
        ("softmax", lambda a: F.softmax(a, axis=-1), lambda a: torch.softmax(a, dim=-1)),
        (
            "log_softmax",
            lambda a: F.log_softmax(a, axis=0),
            lambda a: torch.log_softmax(a, dim=0),
        ),
    ]


def reduce_ops(axis):
    return [
        ("sum", lambda a: a.sum(axis=axis, keepdims=True), lambda a: a.sum(axis, keepdim=True)),
        ("mean", lambda a: a.mean(axis=axis, keepdims=True), lambda a: a.mean(axis, keepdim=True)),
        ("max", lambda a: a.max(axis=axis, keepdims=True), lambda a: a.amax(axis, keepdim=True)),
        (
            "logsumexp",
            lambda a: F.logsumexp(a, axis=axis, keepdims=True),
            lambda a: torch.logsumexp(a, dim=axis, keepdim=True),
        ),
    ]


def binary_ops():
    return [
        ("add", lambda a, b: a + b, lambda a, b: a + b),
        ("sub", lambda a, b: a - b, lambda a, b: a - b),
        ("mul", lambda a, b: a * b, lambda a, b: a * b),
        ("div", lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    ]


def run_program(seed, dtype):
    """Build and run one random program; every choice comes from `seed`, uniformly."""
    rng = np.random.default_rng(seed)

    def pick(options):
        return options[rng.integers(len(options))]

    leaves = [rng.uniform(-2, 2, size=s).astype(dtype) for s in LEAF_SHAPES]
    ours = [Tensor(a, requires_grad=True) for a in leaves]
    theirs = [torch.tensor(a, requires_grad=True) for a in leaves]
    pool = list(zip(ours, theirs, strict=True))

    for _ in range(rng.integers(2, 9)):
        kind = pick(["unary", "reduce", "binary", "matmul", "shape"])
        a, ta = pick(pool)
        if kind == "unary":
            _, op, top = pick(unary_ops())
            pool.append((op(a), top(ta)))
        elif kind == "reduce":
            _, op, top = pick(reduce_ops(int(rng.integers(a.ndim))))
            pool.append((op(a), top(ta)))
        elif kind == "binary":
            partners = [p for p in pool if _broadcastable(p[0].shape, a.shape)]
            b, tb = pick(partners)
            _, op, top = pick(binary_ops())
            pool.append((op(a, b), top(ta, tb)))
        elif kind == "matmul":
            partners = [p for p in pool if p[0].ndim in (1, 2) and p[0].shape[0] == a.shape[-1]]
            if partners and a.ndim in (1, 2):
                b, tb = pick(partners)
                pool.append((a @ b, ta @ tb))
        else:
            choice = pick(["T", "slice", "cat", "stack", "reshape"])
            if choice == "T":
                pool.append((a.T, ta.T if ta.ndim == 2 else ta))
            elif choice == "slice":
                pool.append((a[::-1][:2], ta.flip(0)[:2]))
            elif choice == "cat":
                pool.append((F.concatenate([a, a * 2], axis=0), torch.cat([ta, ta * 2], dim=0)))
            elif choice == "stack":
                pool.append((F.stack([a, -a], axis=-1), torch.stack([ta, -ta], dim=-1)))
            else:
                pool.append((a.reshape(-1), ta.reshape(-1)))

        if pool[-1][0].ndim == 0:  # keep every value at least 1-D so any op applies
            pool[-1] = (pool[-1][0].reshape(1), pool[-1][1].reshape(1))

    out, tout = pool[-1]
    weights = rng.standard_normal(out.shape).astype(dtype)
    # Every leaf contributes to the loss, so every leaf gets a gradient to compare.
    loss = (out * weights).sum() + sum((t * t).sum() for t in ours) * 0.01
    tloss = (tout * torch.tensor(weights)).sum() + sum((t * t).sum() for t in theirs) * 0.01
    loss.backward()
    tloss.backward()
    return out, tout, ours, theirs


def _broadcastable(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize(("dtype", "tol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1))
def test_random_expressions_match_pytorch(dtype, tol, seed):
    out, tout, ours, theirs = run_program(seed, dtype)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=tol, atol=tol)
    for i, (a, ta) in enumerate(zip(ours, theirs, strict=True)):
        assert a.grad is not None and a.grad.shape == a.shape
        np.testing.assert_allclose(
            a.grad, ta.grad.numpy(), rtol=tol, atol=tol, err_msg=f"gradient of leaf {i}"
        )


def test_mlp_layer_matches_pytorch_exactly_in_float64():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((8, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    y = rng.integers(0, 3, size=8)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    mx, mw, mb = (Tensor(a, requires_grad=True) for a in (x, w, b))

    logits = F.tanh(mx @ mw.T + mb)
    loss = -F.log_softmax(logits, axis=1)[np.arange(8), y].mean()
    loss.backward()
    tlogits = torch.tanh(tx @ tw.T + tb)
    tloss = torch.nn.functional.cross_entropy(tlogits, torch.tensor(y))
    tloss.backward()

    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
