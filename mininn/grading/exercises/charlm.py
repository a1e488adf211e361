"""Graded exercises of the chapter on a character language model (notebook stem ``charlm``):
the conversions between nats, bits and perplexity, a smoothed bigram model's cross-entropy
(the baseline a neural model must beat), the softmax with a temperature, top-k filtering of
the logits, and sampling from a categorical distribution by inverting its cumulative sum.

Sampling is random, but the checks must not depend on luck: the sampling function receives
its uniform random numbers ``u`` as an argument (a student's notebook draws them with
``rng.random(N)``), so the same ``u`` must give exactly the same characters. Every reference
is computed here by explicit loops that follow the definitions in the exercise notebook (with
``math.exp`` and ``math.log`` on Python floats), except the tempered softmax, which is the
softmax reference of the softmax-regression chapter (a stable log-sum-exp) applied to
logits / T; never by `mininn` and never by the student's code.

Tolerances. The nats/bits/perplexity conversion is one division and one exponential: 1e-12.
The bigram cross-entropy averages a few hundred logarithms of exact ratios of counts, so a
student's vectorised sum differs from the loop by a few units in the last place: 1e-9. The
tempered softmax is an exponential of differences divided by a sum of at most a few dozen
terms; subtracting the maximum before or after dividing by the temperature changes the
exponent by a few units in the last place of numbers up to about 1e3, hence a relative error
of about 1e-13 in each probability: 1e-9 leaves a wide margin and is far below any real
mistake (a temperature applied as ``logits * T`` or a sum over the wrong axis changes
probabilities by more than 1e-2). Top-k filtering only copies or replaces values, and sampled
ids are integers: both are compared exactly. The ``u`` of the sampling cases stay at least
1e-9 away from every boundary of the cumulative sums, so the order in which a student adds
the probabilities cannot move a sample to the neighbouring character.

Edge cases: a perplexity of exactly the vocabulary size, a vocabulary of one character, a
validation pair never seen in training (only the smoothing gives it a probability), huge
logits (an unstabilised ``exp`` overflows), a tiny temperature (almost one-hot), ties in
top-k (entries equal to the k-th largest stay), k = 1 (greedy) and k at least the vocabulary
size (nothing removed), zero probabilities that must never be sampled, and u = 0.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.exercises.softmax_regression import _softmax
from mininn.grading.spec import Case, Exercise, case_rng

EXACT = 0.0
CLOSED_FORM = 1e-12
F64_SUMS = 1e-9


# ---------------------------------------------------------------------------------------------
# 1. Nats per character -> (bits per character, perplexity)
# ---------------------------------------------------------------------------------------------


def _bits_perplexity_reference(nats: float) -> tuple[float, float]:
    return nats / math.log(2.0), math.exp(nats)


def _bits_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, nats, hidden=False):
        return Case(name, (float(nats),), _bits_perplexity_reference(nats), CLOSED_FORM, hidden)

    return [
        case("1.5 nats per character", 1.5),
        case("a perfect model: 0 nats", 0.0),
        case("uniform over 65 characters: log(65) nats", math.log(65.0)),
        case("ln 2 nats is exactly one bit", math.log(2.0)),
        case("a random loss in (0.5, 4)", rng.uniform(0.5, 4.0), hidden=True),
        case("a small loss, 0.01 nats", 0.01, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Cross-entropy of an add-alpha bigram model
# ---------------------------------------------------------------------------------------------


def _bigram_reference(train_ids, valid_ids, vocab_size: int, alpha: float) -> float:
    pair: dict[tuple[int, int], int] = {}
    first: dict[int, int] = {}
    for t in range(1, len(train_ids)):
        a, b = int(train_ids[t - 1]), int(train_ids[t])
        pair[(a, b)] = pair.get((a, b), 0) + 1
        first[a] = first.get(a, 0) + 1
    total = 0.0
    for t in range(1, len(valid_ids)):
        a, b = int(valid_ids[t - 1]), int(valid_ids[t])
        p = (pair.get((a, b), 0) + alpha) / (first.get(a, 0) + alpha * vocab_size)
        total -= math.log(p)
    return total / (len(valid_ids) - 1)


def _bigram_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def zipf_ids(n, vocab):
        w = 1.0 / np.arange(1, vocab + 1)
        return rng.choice(vocab, size=n, p=w / w.sum()).astype(np.int64)

    def case(name, train, valid, vocab, alpha, hidden=False):
        ref = _bigram_reference(train, valid, vocab, alpha)
        return Case(name, (train, valid, int(vocab), float(alpha)), ref, F64_SUMS, hidden)

    cycle = np.tile(np.arange(4, dtype=np.int64), 10)  # 0 1 2 3 0 1 2 3 ...
    return [
        case("a 4-character cycle, alpha = 1", cycle, cycle[:13].copy(), 4, 1.0),
        case("Zipf-like ids, V = 10, alpha = 0.5", zipf_ids(300, 10), zipf_ids(80, 10), 10, 0.5),
        case(
            "a validation pair never seen in training (only alpha gives it a probability)",
            np.array([0, 1, 0, 1, 0, 1, 0], np.int64),
            np.array([0, 0, 1, 1], np.int64),
            3,
            0.1,
        ),
        case(
            "a character that never starts a training pair (the last one)",
            np.array([0, 1, 2, 0, 1, 3], np.int64),
            np.array([3, 0, 1], np.int64),
            4,
            1.0,
        ),
        case("a vocabulary of one character: loss 0", np.zeros(20, np.int64),
             np.zeros(5, np.int64), 1, 1.0),  # fmt: skip
        case("Zipf-like ids, V = 30, alpha = 0.1", zipf_ids(2000, 30), zipf_ids(400, 30), 30, 0.1,
             hidden=True),  # fmt: skip
        case("two validation characters, alpha = 2", zipf_ids(50, 6), zipf_ids(2, 6), 6, 2.0,
             hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 3. Softmax with a temperature
# ---------------------------------------------------------------------------------------------


def _tempered_reference(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Part II's softmax reference (softmax regression chapter) of logits / temperature."""
    return _softmax(np.asarray(logits, dtype=np.float64) / temperature)


def _tempered_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, logits, temperature, hidden=False):
        ref = _tempered_reference(logits, temperature)
        return Case(name, (logits, float(temperature)), ref, F64_SUMS, hidden)

    return [
        case("N=3, V=5, temperature 1: the plain softmax", rng.standard_normal((3, 5)), 1.0),
        case("temperature 0.5: sharper", rng.standard_normal((2, 6)) * 2, 0.5),
        case("temperature 2: flatter", rng.standard_normal((2, 6)) * 2, 2.0),
        case("huge logits (around 1000): exp overflows unless the maximum is subtracted",
             1000.0 + rng.standard_normal((2, 4)), 1.0),  # fmt: skip
        case("a tiny temperature, 0.01: almost one-hot", rng.standard_normal((3, 5)), 0.01),
        case("a vocabulary of one character", rng.standard_normal((4, 1)), 0.7),
        case("equal logits: uniform at any temperature", np.full((1, 5), 3.0), 0.3),
        case("N=8, V=65, temperature 1.5", rng.standard_normal((8, 65)) * 3, 1.5, hidden=True),
        case("large negative logits, temperature 0.2", -500.0 + rng.standard_normal((2, 7)), 0.2,
             hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 4. Top-k filtering
# ---------------------------------------------------------------------------------------------


def _top_k_reference(logits: np.ndarray, k: int) -> np.ndarray:
    out = np.array(logits, dtype=np.float64, copy=True)
    for r in range(out.shape[0]):
        ordered = sorted((float(v) for v in logits[r]), reverse=True)
        threshold = ordered[min(k, len(ordered)) - 1]
        for j in range(out.shape[1]):
            if float(logits[r, j]) < threshold:
                out[r, j] = -math.inf
    return out


def _top_k_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, logits, k, hidden=False):
        return Case(name, (logits, int(k)), _top_k_reference(logits, k), EXACT, hidden)

    return [
        case("N=2, V=6, k=3", rng.standard_normal((2, 6)), 3),
        case("k=1 keeps only the largest (greedy)", rng.standard_normal((3, 5)), 1),
        case("k equal to the vocabulary size: nothing removed", rng.standard_normal((2, 4)), 4),
        case("k larger than the vocabulary: nothing removed", rng.standard_normal((2, 4)), 10),
        case("ties at the k-th largest value are all kept",
             np.array([[1.0, 3.0, 2.0, 2.0, 0.0], [5.0, 5.0, 5.0, 1.0, 2.0]]), 2),  # fmt: skip
        case("negative logits", -10.0 + rng.standard_normal((2, 7)), 2),
        case("N=8, V=65, k=10", rng.standard_normal((8, 65)), 10, hidden=True),
        case("one row, k=5, with repeated values",
             np.round(rng.standard_normal((1, 12)), 1), 5, hidden=True),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# 5. Sampling by inverting the cumulative sum
# ---------------------------------------------------------------------------------------------


def _sample_reference(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = np.zeros(probs.shape[0], dtype=np.int64)
    for r in range(probs.shape[0]):
        c = 0.0
        for j in range(probs.shape[1]):
            c += float(probs[r, j])
            if c > float(u[r]):
                out[r] = j
                break
    return out


def _safe_u(rng, probs: np.ndarray) -> np.ndarray:
    """Uniform numbers at least 1e-9 away from every cumulative boundary of their row."""
    u = np.empty(probs.shape[0])
    for r in range(probs.shape[0]):
        bounds = np.cumsum(probs[r])
        while True:
            x = float(rng.random()) * float(bounds[-1])
            if np.min(np.abs(bounds - x)) > 1e-9:
                u[r] = x
                break
    return u


def _sample_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def dist(n, v, zeros=0):
        p = rng.random((n, v)) + 0.05
        for r in range(n):
            p[r, rng.choice(v, size=zeros, replace=False)] = 0.0
        return p / p.sum(axis=1, keepdims=True)

    def case(name, probs, u=None, hidden=False):
        u = _safe_u(rng, probs) if u is None else u
        return Case(name, (probs, u), _sample_reference(probs, u), EXACT, hidden)

    two = np.array([[0.25, 0.75]] * 4)
    with_zeros = np.array([[0.0, 0.5, 0.0, 0.5, 0.0]] * 3)
    return [
        case("N=5, V=6", dist(5, 6)),
        case("two characters, u on both sides of 0.25", two, np.array([0.1, 0.3, 0.2, 0.9])),
        case("u = 0 gives the first character with a nonzero probability", with_zeros,
             np.array([0.0, 0.3, 0.7])),  # fmt: skip
        case("zero probabilities (after top-k) are never sampled", dist(6, 8, zeros=5)),
        case("a one-hot distribution always gives its character", np.eye(4)[[2, 0, 3]]),
        case("N=40, V=65", dist(40, 65), hidden=True),
        case("N=20, V=65, most probabilities zero", dist(20, 65, zeros=60), hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="charlm.bits_perplexity",
        function="bits_and_perplexity",
        points=1,
        chapter="charlm",
        title="nats per character to bits per character and perplexity",
        hint="bits = nats / ln 2; perplexity = exp(nats)",
        make_cases=_bits_cases,
    ),
    Exercise(
        id="charlm.bigram",
        function="bigram_cross_entropy",
        points=3,
        chapter="charlm",
        title="cross-entropy of an add-alpha bigram model",
        hint="count pairs (a, b) in the training ids; P(b|a) = (n(a,b) + alpha) / (n(a) + alpha V)",
        make_cases=_bigram_cases,
    ),
    Exercise(
        id="charlm.tempered_softmax",
        function="tempered_softmax",
        points=2,
        chapter="charlm",
        title="softmax with a temperature, numerically stable",
        hint="divide the logits by the temperature, subtract each row's maximum, then exp",
        make_cases=_tempered_cases,
    ),
    Exercise(
        id="charlm.top_k",
        function="top_k_filter",
        points=2,
        chapter="charlm",
        title="top-k filtering of the logits",
        hint="the k-th largest of each row is the threshold; entries below it become -inf",
        make_cases=_top_k_cases,
    ),
    Exercise(
        id="charlm.sample",
        function="sample_categorical",
        points=2,
        chapter="charlm",
        title="sampling a character from its probabilities with a given uniform number",
        hint="the sample is the first index whose cumulative probability exceeds u",
        make_cases=_sample_cases,
    ),
]
