"""Graded exercises of the optimisation chapter: update rules, clipping and a schedule.

Each reference is computed here in float64 from the case's inputs, with the formulas of the
chapter (PyTorch's conventions), and cast back to the dtype of the inputs.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances suited to each precision


def _away_from_zero(rng: np.random.Generator, shape) -> np.ndarray:
    """Entries of size 0.5 to 2 with random signs: a small step cannot bring them near 0."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _tol(a: np.ndarray) -> float:
    return F32 if a.dtype == np.float32 else F64


# ---------------------------------------------------------------------------------------------
# SGD with momentum
# ---------------------------------------------------------------------------------------------


def _momentum_reference(p, g, buf, lr, momentum, nesterov):
    p64, g64 = p.astype(np.float64), g.astype(np.float64)
    b = g64.copy() if buf is None else momentum * buf.astype(np.float64) + g64
    step = g64 + momentum * b if nesterov else b
    return (p64 - lr * step).astype(p.dtype), b.astype(p.dtype)


def _momentum_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, p, g, buf, lr, momentum, nesterov, hidden=False):
        ref = _momentum_reference(p, g, buf, lr, momentum, nesterov)
        return Case(name, (p, g, buf, lr, momentum, nesterov), ref, _tol(p), hidden)

    def arrays(shape, dtype=np.float64):
        return tuple(rng.standard_normal(shape).astype(dtype) for _ in range(3))

    p, g, buf = arrays((3, 4))
    p2, g2, buf2 = arrays((2, 5))
    p32 = _away_from_zero(rng, (4, 3)).astype(np.float32)
    g32, buf32 = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    p3, g3, buf3 = arrays((2, 3, 2))
    return [
        case("first step (buf is None), heavy ball", p, g, None, 0.1, 0.9, False),
        case("later step, heavy ball", p, g, buf, 0.1, 0.9, False),
        case("first step (buf is None), Nesterov", p2, g2, None, 0.05, 0.9, True),
        case("later step, Nesterov", p2, g2, buf2, 0.05, 0.8, True),
        case("momentum 0 is plain SGD", p, g, buf, 0.01, 0.0, False),
        case("zero gradient: the buffer keeps moving", p, np.zeros_like(g), buf, 0.1, 0.9, False),
        case("float32 arrays, Nesterov", p32, g32, buf32, 0.01, 0.9, True),
        case("a 3-D parameter, Nesterov", p3, g3, buf3, 0.1, 0.95, True, hidden=True),
        case(
            "a single number in an array",
            p[:1, :1],
            g[:1, :1],
            buf[:1, :1],
            0.5,
            0.5,
            False,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------------------------


def _adam_reference(p, g, m, v, t, lr, beta1, beta2, eps):
    p64, g64 = p.astype(np.float64), g.astype(np.float64)
    m_new = beta1 * m.astype(np.float64) + (1 - beta1) * g64
    v_new = beta2 * v.astype(np.float64) + (1 - beta2) * g64 * g64
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    p_new = p64 - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p_new.astype(p.dtype), m_new.astype(p.dtype), v_new.astype(p.dtype)


def _adam_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, hidden=False):
        ref = _adam_reference(p, g, m, v, t, lr, beta1, beta2, eps)
        return Case(name, (p, g, m, v, t, lr, beta1, beta2, eps), ref, _tol(p), hidden)

    def state(shape, dtype=np.float64):
        p = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        m = (0.3 * rng.standard_normal(shape)).astype(dtype)
        v = rng.uniform(0.1, 2.0, shape).astype(dtype)
        return p, g, m, v

    p, g, m, v = state((3, 4))
    zeros = np.zeros((3, 4))
    p32 = _away_from_zero(rng, (5, 2)).astype(np.float32)
    g32 = rng.standard_normal((5, 2)).astype(np.float32)
    m32 = (0.3 * rng.standard_normal((5, 2))).astype(np.float32)
    v32 = rng.uniform(0.1, 2.0, (5, 2)).astype(np.float32)
    p3, g3, m3, v3 = state((2, 2, 3))
    return [
        case("first step (t = 1) from zero moments", p, g, zeros, zeros, 1, lr=0.01),
        case("step t = 10 with earlier moments", p, g, m, v, 10, lr=0.01),
        case("late step t = 10000", p, g, m, v, 10000),
        case("other settings: betas (0.8, 0.99), eps 1e-6", p, g, m, v, 3, 0.1, 0.8, 0.99, 1e-6),
        case("zero gradient at the first step", p, np.zeros_like(g), zeros, zeros, 1),
        case(
            "tiny gradients: eps goes outside the square root",
            p,
            g * 1e-7,
            zeros,
            zeros,
            1,
            lr=0.01,
        ),
        case("float32 arrays", p32, g32, m32, v32, 5, lr=0.01),
        case("a 3-D parameter, t = 2", p3, g3, m3, v3, 2, lr=0.05, hidden=True),
        case(
            "huge gradients (Adam is scale-invariant)",
            p,
            g * 1e6,
            m * 1e6,
            v * 1e12,
            7,
            lr=0.01,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# RMSprop and Adagrad
# ---------------------------------------------------------------------------------------------


def _rmsprop_reference(p, g, s, lr, alpha, eps):
    g64 = g.astype(np.float64)
    s_new = alpha * s.astype(np.float64) + (1 - alpha) * g64 * g64
    p_new = p.astype(np.float64) - lr * g64 / (np.sqrt(s_new) + eps)
    return p_new.astype(p.dtype), s_new.astype(p.dtype)


def _rmsprop_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, p, g, s, lr=0.01, alpha=0.99, eps=1e-8, hidden=False):
        ref = _rmsprop_reference(p, g, s, lr, alpha, eps)
        return Case(name, (p, g, s, lr, alpha, eps), ref, _tol(p), hidden)

    p, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    s = rng.uniform(0.1, 2.0, (4, 3))
    zeros = np.zeros((4, 3))
    p32 = _away_from_zero(rng, (3, 3)).astype(np.float32)
    g32 = rng.standard_normal((3, 3)).astype(np.float32)
    s32 = rng.uniform(0.1, 2.0, (3, 3)).astype(np.float32)
    return [
        case("first step from a zero average", p, g, zeros),
        case("later step", p, g, s),
        case("alpha 0.9, eps 1e-6", p, g, s, 0.001, 0.9, 1e-6),
        case("zero gradient from a zero average (no division by zero)", p, np.zeros_like(g), zeros),
        case("tiny gradients: eps goes outside the square root", p, g * 1e-7, zeros),
        case("float32 arrays", p32, g32, s32),
        case(
            "a 3-D parameter",
            rng.standard_normal((2, 3, 2)),
            rng.standard_normal((2, 3, 2)),
            rng.uniform(0.1, 2.0, (2, 3, 2)),
            0.05,
            0.95,
            hidden=True,
        ),
    ]


def _adagrad_reference(p, g, s, lr, eps):
    g64 = g.astype(np.float64)
    s_new = s.astype(np.float64) + g64 * g64
    p_new = p.astype(np.float64) - lr * g64 / (np.sqrt(s_new) + eps)
    return p_new.astype(p.dtype), s_new.astype(p.dtype)


def _adagrad_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, p, g, s, lr=0.01, eps=1e-10, hidden=False):
        ref = _adagrad_reference(p, g, s, lr, eps)
        return Case(name, (p, g, s, lr, eps), ref, _tol(p), hidden)

    p, g = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    s = rng.uniform(0.5, 5.0, (3, 5))
    zeros = np.zeros((3, 5))
    p32 = _away_from_zero(rng, (4, 2)).astype(np.float32)
    g32 = rng.standard_normal((4, 2)).astype(np.float32)
    s32 = rng.uniform(0.5, 5.0, (4, 2)).astype(np.float32)
    return [
        case("first step from a zero sum", p, g, zeros, lr=0.1),
        case("later step", p, g, s),
        case("zero gradient from a zero sum (no division by zero)", p, np.zeros_like(g), zeros),
        case("tiny gradients, eps 1e-6", p, g * 1e-7, zeros, 0.1, 1e-6),
        case("float32 arrays", p32, g32, s32),
        case("a long history: large sum", p, g, s * 1e4, lr=1.0, hidden=True),
        case("a 1-D parameter", p[0], g[0], s[0], 0.5, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# Clipping by the global norm
# ---------------------------------------------------------------------------------------------


def _clip_reference(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    scale = max_norm / total if total > max_norm else 1.0
    return tuple((g.astype(np.float64) * scale).astype(g.dtype) for g in grads)


def _clip_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, grads, max_norm, hidden=False):
        tol = F32 if any(g.dtype == np.float32 for g in grads) else F64
        return Case(name, (grads, max_norm), _clip_reference(grads, max_norm), tol, hidden)

    def grads(*shapes, scale=1.0, dtype=np.float64):
        return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]

    return [
        case("two arrays, global norm above the threshold", grads((3, 4), (4,), scale=3.0), 1.0),
        case("global norm below the threshold: unchanged", grads((3, 4), (4,), scale=0.1), 5.0),
        case("one array of shape (5,)", grads((5,), scale=10.0), 2.0),
        case("three arrays of different shapes", grads((2, 3), (3,), (2, 2, 2), scale=2.0), 1.5),
        case("all zeros (no division by zero)", [np.zeros((2, 3)), np.zeros(3)], 1.0),
        case(
            "float32 gradients of size 1e20 (the norm overflows in float32)",
            grads((3, 2), (2,), scale=1e20, dtype=np.float32),
            1.0,
        ),
        case("many small arrays", grads(*[(2,)] * 10, scale=1.0), 0.5, hidden=True),
        case(
            "one huge entry among small ones",
            [np.array([1e3, 1e-3, -1e-3]), np.ones(2)],
            10.0,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Cosine annealing
# ---------------------------------------------------------------------------------------------


def _cosine_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, epoch, base_lr, T_max, eta_min, hidden=False):  # noqa: N803
        ref = eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2
        return Case(name, (epoch, base_lr, T_max, eta_min), float(ref), F64, hidden)

    base = float(rng.uniform(0.01, 0.5))
    return [
        case("epoch 0 gives the base rate", 0, base, 10, 0.0),
        case("epoch T_max gives eta_min", 10, base, 10, 0.001),
        case("half-way: the mean of the two", 15, 0.1, 30, 0.002),
        case("epoch 3 of 10", 3, base, 10, 0.0),
        case("epoch 7 of 20, eta_min 1e-4", 7, 0.05, 20, 1e-4),
        case("T_max = 1", 1, 0.3, 1, 0.0),
        case("past T_max the cosine rises again", 25, base, 20, 0.0, hidden=True),
        case("epoch 1 of 100", 1, 1.0, 100, 0.0, hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="opt.sgd_momentum_step",
        function="sgd_momentum_step",
        points=3,
        chapter="optimization",
        title="one step of SGD with heavy-ball or Nesterov momentum",
        hint="update the buffer first (at the first step it is the gradient itself); Nesterov "
        "steps along the gradient plus momentum times the new buffer",
        make_cases=_momentum_cases,
    ),
    Exercise(
        id="opt.adam_step",
        function="adam_step",
        points=3,
        chapter="optimization",
        title="one step of Adam",
        hint="update both moving averages, divide copies of them by 1 - beta**t, and add eps "
        "after the square root; return the uncorrected averages",
        make_cases=_adam_cases,
    ),
    Exercise(
        id="opt.rmsprop_step",
        function="rmsprop_step",
        points=2,
        chapter="optimization",
        title="one step of RMSprop",
        hint="the new average gives weight alpha to the old one and 1 - alpha to the squared "
        "gradient; eps goes outside the square root",
        make_cases=_rmsprop_cases,
    ),
    Exercise(
        id="opt.adagrad_step",
        function="adagrad_step",
        points=2,
        chapter="optimization",
        title="one step of Adagrad",
        hint="add the squared gradient to the sum before dividing by its square root",
        make_cases=_adagrad_cases,
    ),
    Exercise(
        id="opt.clip_by_global_norm",
        function="clip_by_global_norm",
        points=2,
        chapter="optimization",
        title="clip a list of gradients by their global norm",
        hint="one norm for all the arrays together, computed in float64; rescale only when it "
        "exceeds max_norm",
        make_cases=_clip_cases,
    ),
    Exercise(
        id="opt.cosine_lr",
        function="cosine_lr",
        points=2,
        chapter="optimization",
        title="the learning rate of cosine annealing",
        hint="the factor (1 + cos(pi * epoch / T_max)) / 2 goes from 1 at epoch 0 to 0 at T_max",
        make_cases=_cosine_cases,
    ),
]
