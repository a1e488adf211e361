"""Graded exercises of the probability chapter: estimates, likelihoods and information.

Each reference is computed here in float64 from the case's inputs, with trusted NumPy code
(`np.var`, `np.logaddexp.reduce`) or a closed form, never with the student's code. Float32
cases compute the reference from the float32 inputs (converted to float64) and compare with
a single-precision tolerance.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances suited to each precision
LOG64 = 1e-9  # float64 results of a max-shift and a logarithm: formulas differ by a few ulps


def _tol(x: np.ndarray, f64: float = F64) -> float:
    return F32 if x.dtype == np.float32 else f64


def _lse(x: np.ndarray, axis: int | None) -> np.ndarray:
    """log(sum(exp(x))) along `axis` (all entries for None), by NumPy's own stable ufunc."""
    x = np.asarray(x, dtype=np.float64)
    if axis is None:
        return np.asarray(np.logaddexp.reduce(x.ravel()))
    return np.asarray(np.logaddexp.reduce(x, axis=axis))


# ---------------------------------------------------------------------------------------------
# Mean and variance
# ---------------------------------------------------------------------------------------------


def _mean_var_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)
    loose = 1e-7  # tolerance of the large-mean cases

    def case(name, x, hidden=False, rtol=None):
        x64 = x.astype(np.float64)
        ref = (np.asarray(x64.mean(axis=0)), np.asarray(x64.var(axis=0, ddof=1)))
        return Case(name, (x,), tuple(r.astype(x.dtype) for r in ref), rtol or _tol(x), hidden)

    return [
        case("20 numbers", rng.normal(2.0, 1.5, 20)),
        case("a data matrix: 30 samples of 4 features", rng.normal(0.0, 3.0, (30, 4))),
        case("the smallest sample: two numbers", np.array([1.0, 4.0])),
        case("constant data (variance 0)", np.full(5, 3.0)),
        # A running (Welford) update is stable too, but only to about 1e-9 here; the formula
        # E[x^2] - E[x]^2 is off by about 1 (100%).
        case("large mean, small spread: 1e8 + noise", 1e8 + rng.standard_normal(1000), rtol=loose),
        case("float32 data around 1000", (1000 + rng.standard_normal((200, 3))).astype(np.float32)),
        case("a single feature: shape (6, 1)", rng.normal(-5.0, 0.1, (6, 1)), hidden=True),
        case("large mean, many features", 1e7 + rng.standard_normal((500, 5)), True, loose),
    ]


# ---------------------------------------------------------------------------------------------
# Gaussian negative log-likelihood
# ---------------------------------------------------------------------------------------------


def _gaussian_nll_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, x, mu, sigma, hidden=False):
        x64, mu64 = x.astype(np.float64), np.asarray(mu, dtype=np.float64)
        ref = np.mean(0.5 * np.log(2 * np.pi) + np.log(sigma) + (x64 - mu64) ** 2 / (2 * sigma**2))
        return Case(name, (x, mu, sigma), float(ref), _tol(x), hidden)

    line = rng.uniform(-2, 2, 40)
    return [
        case("50 samples, mu = 1.5, sigma = 2", rng.normal(1.5, 2.0, 50), 1.5, 2.0),
        case("every sample at the mean, sigma = 1", np.full(4, 3.0), 3.0, 1.0),
        case("a single sample", np.array([0.7]), -0.2, 0.5),
        case("small sigma (1e-3)", rng.normal(10.0, 1e-3, 20), 10.0, 1e-3),
        case("a sample far from the mean", np.array([0.0, 0.1, 1000.0]), 0.0, 0.1),
        case(
            "one mean per sample (a regression line)",
            1.5 * line - 0.5 + rng.normal(0.0, 0.7, 40),
            1.5 * line - 0.5,
            0.7,
        ),
        case("float32 samples", rng.normal(2.0, 1.5, 64).astype(np.float32), 2.0, 1.5),
        case(
            "many samples, one mean each",
            rng.normal(0.0, 3.0, 500),
            rng.normal(0.0, 3.0, 500),
            3.5,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Entropy and KL divergence
# ---------------------------------------------------------------------------------------------


def _entropy_ref(p: np.ndarray) -> np.ndarray:
    p = p.astype(np.float64)
    logs = np.log(np.where(p > 0, p, 1.0))  # log 1 = 0 where p = 0: 0 log 0 = 0
    return np.asarray(-np.sum(p * logs, axis=-1))


def _with_zeros(rng: np.random.Generator, shape: tuple[int, ...], n_zero: int) -> np.ndarray:
    """Random distributions along the last axis with `n_zero` zero entries in each."""
    p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    for idx in np.ndindex(*shape[:-1]):
        p[idx][rng.choice(shape[-1], n_zero, replace=False)] = 0.0
    return p / p.sum(axis=-1, keepdims=True)


def _entropy_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, p, hidden=False):
        return Case(name, (p,), _entropy_ref(p).astype(p.dtype), _tol(p), hidden)

    one_hot = np.eye(4)[[2, 0, 3]]
    return [
        case("a batch of 4 distributions over 5 classes", rng.dirichlet(np.ones(5), size=4)),
        case("one distribution, shape (6,): a fair die", np.full(6, 1 / 6)),
        case("zeros in the distributions", _with_zeros(rng, (3, 6), 2)),
        case("certain outcomes (one-hot rows)", one_hot),
        case("one-class distributions: shape (3, 1)", np.ones((3, 1))),
        case("a batch of one", rng.dirichlet(np.ones(3), size=1)),
        case("float32 distributions", rng.dirichlet(np.ones(8), size=5).astype(np.float32)),
        case("leading axes: shape (2, 3, 4)", _with_zeros(rng, (2, 3, 4), 1), hidden=True),
        case("1000 classes, most of them zero", _with_zeros(rng, (2, 1000), 900), hidden=True),
    ]


def _kl_ref(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    p, q = p.astype(np.float64), q.astype(np.float64)
    pos = p > 0
    safe_q = np.where(pos, q, 1.0)
    with np.errstate(divide="ignore"):  # q = 0 where p > 0: the divergence is +inf
        terms = np.where(pos, p * (np.log(np.where(pos, p, 1.0)) - np.log(safe_q)), 0.0)
    return np.asarray(np.sum(terms, axis=-1))


def _kl_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, p, q, hidden=False):
        return Case(name, (p, q), _kl_ref(p, q).astype(p.dtype), _tol(p, LOG64), hidden)

    def dirichlet(shape):
        return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])

    p_shared = _with_zeros(rng, (3, 5), 2)
    q_shared = np.where(p_shared > 0, dirichlet((3, 5)), 0.0)
    q_shared /= q_shared.sum(axis=-1, keepdims=True)
    same = dirichlet((3, 4))
    p_inf = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q_inf = np.array([[1.0, 0.0, 0.0], [0.3, 0.3, 0.4]])
    return [
        case("a batch of 4 pairs over 5 classes", dirichlet((4, 5)), dirichlet((4, 5))),
        case(
            "one pair, shape (2,): Bernoulli(0.5) and Bernoulli(0.9)",
            np.array([0.5, 0.5]),
            np.array([0.1, 0.9]),
        ),
        case("identical distributions (divergence 0)", same, same.copy()),
        case("zeros in p", _with_zeros(rng, (3, 6), 3), dirichlet((3, 6))),
        case("zeros in both p and q", p_shared, q_shared),
        case("q is 0 where p is not: +inf", p_inf, q_inf),
        case("a batch of one", dirichlet((1, 7)), dirichlet((1, 7))),
        case(
            "float32 distributions",
            dirichlet((5, 6)).astype(np.float32),
            rng.dirichlet(0.5 * np.ones(6), size=5).astype(np.float32),
        ),
        case(
            "leading axes: shape (2, 3, 4)", dirichlet((2, 3, 4)), dirichlet((2, 3, 4)), hidden=True
        ),
        case(
            "one-class distributions: shape (2, 1)", np.ones((2, 1)), np.ones((2, 1)), hidden=True
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Log-sum-exp, log-softmax and the cross-entropy loss
# ---------------------------------------------------------------------------------------------


def _logsumexp_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, x, axis, hidden=False):
        return Case(name, (x, axis), _lse(x, axis).astype(x.dtype), _tol(x, LOG64), hidden)

    huge = rng.choice([-1e4, 1e4], size=(4, 1)) + rng.uniform(-3, 3, (4, 5))
    with_inf = rng.standard_normal((3, 4))
    with_inf[0, 1] = with_inf[1, [0, 3]] = -np.inf
    with_inf[2] = -np.inf
    return [
        case("a 4x6 matrix, axis=1", rng.standard_normal((4, 6)) * 2, 1),
        case("a 3x5 matrix, axis=0", rng.standard_normal((3, 5)) * 2, 0),
        case("huge values (about +1e4 and -1e4), axis=-1", huge, -1),
        case("-inf entries, and a row of only -inf, axis=1", with_inf, 1),
        case("a vector, axis=None", rng.standard_normal(7), None),
        case("one class: shape (3, 1), axis=1", rng.standard_normal((3, 1)), 1),
        case("a batch of one: shape (1, 7), axis=1", rng.standard_normal((1, 7)) + 500, 1),
        case(
            "float32 values around 100, axis=1",
            (100 + rng.uniform(-2, 2, (3, 6))).astype(np.float32),
            1,
        ),
        case("a 3-D array, axis=1", rng.standard_normal((2, 3, 4)) * 3, 1, hidden=True),
        case("huge values, axis=None", rng.uniform(-3, 3, (3, 4)) - 1e4, None, hidden=True),
    ]


def _log_softmax_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, x, hidden=False):
        x64 = x.astype(np.float64)
        ref = x64 - _lse(x64, -1)[..., None]
        return Case(name, (x,), ref.astype(x.dtype), _tol(x, LOG64), hidden)

    huge = rng.uniform(-2, 2, (4, 5)) + np.array([[1e4], [1e4], [0.0], [-1e4]])
    huge[2] = [1e4, 0.0, -1e4, 1e4, -1e4]  # rows of different scales: shift each by its own max
    with_inf = rng.standard_normal((2, 4))
    with_inf[0, 2] = -np.inf
    return [
        case("a batch of 4 rows of 6 logits", rng.standard_normal((4, 6)) * 3),
        case("a single vector of 5 logits", rng.standard_normal(5)),
        case("huge logits (about +1e4 and -1e4)", huge),
        case("equal logits (probabilities 1/C)", np.full((2, 5), 7.0)),
        case("one class: shape (3, 1)", rng.standard_normal((3, 1))),
        case("a logit of -inf (a class that is switched off)", with_inf),
        case("a batch of one: shape (1, 4), logits around -1e4", -1e4 + rng.uniform(-2, 2, (1, 4))),
        case("float32 logits around 90", (90 + rng.uniform(-1, 1, (3, 6))).astype(np.float32)),
        case("leading axes: shape (2, 3, 4)", rng.standard_normal((2, 3, 4)) * 3, hidden=True),
    ]


def _cross_entropy_loss_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 7)

    def case(name, logits, labels, hidden=False):
        z = logits.astype(np.float64)
        losses = _lse(z, 1) - z[np.arange(len(labels)), labels]
        return Case(name, (logits, labels), float(np.mean(losses)), _tol(logits, LOG64), hidden)

    def labels_for(n, c):
        return rng.integers(0, c, size=n)

    huge = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4 - 1.0], [5e3, 5e3, 5e3]])
    return [
        case("5 examples, 4 classes", rng.standard_normal((5, 4)) * 2, labels_for(5, 4)),
        case("equal logits: loss log C", np.zeros((3, 10)), labels_for(3, 10)),
        case("huge logits (about 1e4)", huge, np.array([0, 2, 1])),
        case("a batch of one, confidently wrong", np.array([[1e4, -1e4]]), np.array([1])),
        case("one class: loss 0", rng.standard_normal((4, 1)), np.zeros(4, dtype=np.int64)),
        case(
            "float32 logits around 90",
            (90 + rng.uniform(-1, 1, (6, 5))).astype(np.float32),
            labels_for(6, 5),
        ),
        case(
            "64 examples, 10 classes",
            rng.standard_normal((64, 10)) * 4,
            labels_for(64, 10),
            hidden=True,
        ),
    ]


EXERCISES = [
    Exercise(
        id="probability.sample_mean_and_variance",
        function="sample_mean_and_variance",
        points=2,
        chapter="probability",
        title="sample mean and unbiased variance",
        hint="subtract the mean first, then average the squared deviations, dividing by N - 1",
        make_cases=_mean_var_cases,
    ),
    Exercise(
        id="probability.gaussian_nll",
        function="gaussian_nll",
        points=2,
        chapter="probability",
        title="average negative log-likelihood under a Gaussian",
        hint="-log N(x; mu, sigma^2) = log(sigma) + log(2 pi) / 2 + (x - mu)^2 / (2 sigma^2)",
        make_cases=_gaussian_nll_cases,
    ),
    Exercise(
        id="probability.entropy",
        function="entropy",
        points=2,
        chapter="probability",
        title="entropy of a batch of distributions",
        hint="take the log of np.where(p > 0, p, 1) so that 0 log 0 becomes 0 * 0 = 0",
        make_cases=_entropy_cases,
    ),
    Exercise(
        id="probability.kl_divergence",
        function="kl_divergence",
        points=2,
        chapter="probability",
        title="Kullback-Leibler divergence",
        hint="sum p * (log p - log q) over the entries where p > 0 only, along the last axis",
        make_cases=_kl_cases,
    ),
    Exercise(
        id="probability.logsumexp",
        function="logsumexp",
        points=3,
        chapter="probability",
        title="stable log-sum-exp along an axis",
        hint="shift by the maximum along the axis (keepdims=True); use 0 where it is -inf",
        make_cases=_logsumexp_cases,
    ),
    Exercise(
        id="probability.log_softmax",
        function="log_softmax",
        points=2,
        chapter="probability",
        title="stable log-softmax",
        hint="log softmax(x) = x - logsumexp(x) along the last axis, with the max-shift trick",
        make_cases=_log_softmax_cases,
    ),
    Exercise(
        id="probability.cross_entropy_loss",
        function="cross_entropy_loss",
        points=3,
        chapter="probability",
        title="cross-entropy loss from logits",
        hint="loss of example i = logsumexp(logits[i]) - logits[i, labels[i]]; then average",
        make_cases=_cross_entropy_loss_cases,
    ),
]
