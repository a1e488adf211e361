"""Graded exercises of the chapter on sequence tasks (notebook stem ``tasks``): a chronological
split normalised with training statistics only, a linear autoregressive model fitted by least
squares, padding a batch of words, gathering each word's state at its last real character, and
the macro-averaged F1 score from a confusion matrix.

Every reference is computed here by explicit loops that follow the definitions in the exercise
notebook, never by `mininn` and never by the student's code: means and variances as plain sums,
the autoregressive fit from its normal equations (built entry by entry, then solved), padding
and gathering one entry at a time, and F1 one class at a time (the classifier chapter's
reference, averaged).

Tolerances. Ids, lengths and gathered states only copy values, so they are compared exactly
(tolerance 0). The normalised series are a subtraction and a division of float64 numbers
(relative 1e-9). The autoregressive coefficients come from a least-squares problem: a student
may use `np.linalg.lstsq` (an SVD) where the reference solves the normal equations; on the
well-conditioned series used here both agree to about 1e-10, and 1e-6 is still far below any
real mistake (a lag order reversed or a missing intercept changes them by more than 1e-2).
Macro F1 is a few divisions (1e-9). Edge cases: an empty validation part, an exact
fit (as many equations as unknowns), a random walk, words of one letter, a batch of one,
every word of the same length, a class that is never predicted, a class absent from the data.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.exercises.classifier import _prf_ref
from mininn.grading.spec import Case, Exercise, case_rng

EXACT = 0.0
F64_ARITH = 1e-9
LSTSQ = 1e-6


# ---------------------------------------------------------------------------------------------
# 1. Chronological split, normalised with the training part's statistics
# ---------------------------------------------------------------------------------------------


def _normalise_reference(series: np.ndarray, n_train: int, n_val: int):
    train = [float(v) for v in series[:n_train]]
    total = 0.0
    for v in train:
        total += v
    mean = total / len(train)
    sq = 0.0
    for v in train:
        sq += (v - mean) * (v - mean)
    std = math.sqrt(sq / len(train))

    def z(part):
        out = np.zeros(len(part))
        for i, v in enumerate(part):
            out[i] = (float(v) - mean) / std
        return out

    return (
        z(series[:n_train]),
        z(series[n_train : n_train + n_val]),
        z(series[n_train + n_val :]),
        mean,
        std,
    )


def _normalise_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, series, n_train, n_val, hidden=False):
        expected = _normalise_reference(series, n_train, n_val)
        return Case(name, (series, n_train, n_val), expected, F64_ARITH, hidden)

    walk = 100.0 + np.cumsum(rng.standard_normal(60))
    trend = np.linspace(10.0, 50.0, 40) + rng.standard_normal(40)
    return [
        case("0..9: train 6, validation 2, test 2", np.arange(10, dtype=np.float64), 6, 2),
        case("a random walk around 100", walk, 40, 10),
        case("a rising trend: the test part lies above the training range", trend, 24, 8),
        case("no validation part (n_val=0)", walk[:20], 15, 0),
        case(
            "training statistics only: a huge test value changes nothing",
            np.array([1.0, 2.0, 3.0, 4.0, 1000.0]),
            4,
            0,
        ),
        case("a long random walk", 50.0 + np.cumsum(rng.standard_normal(500)), 350, 50, True),
        case("negative values, train 3", np.array([-5.0, -3.0, -4.0, 2.0, 7.0, -1.0]), 3, 1, True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. A linear autoregressive model by least squares
# ---------------------------------------------------------------------------------------------


def _fit_ar_reference(series: np.ndarray, p: int):
    # Unknowns: a_1 .. a_p (weights of s_{t-1} .. s_{t-p}) and the intercept b, in that order.
    rows = []
    targets = []
    for t in range(p, len(series)):
        rows.append([float(series[t - k]) for k in range(1, p + 1)] + [1.0])
        targets.append(float(series[t]))
    m = p + 1
    AtA = np.zeros((m, m))
    Atb = np.zeros(m)
    for row, y in zip(rows, targets, strict=True):
        for i in range(m):
            Atb[i] += row[i] * y
            for j in range(m):
                AtA[i, j] += row[i] * row[j]
    sol = np.linalg.solve(AtA, Atb)
    return sol[:p].copy(), float(sol[p])


def _ar_series(rng, n, coefs, intercept, noise=1.0):
    s = np.zeros(n + 50)
    for t in range(len(coefs), len(s)):
        s[t] = intercept + sum(c * s[t - k - 1] for k, c in enumerate(coefs))
        s[t] += noise * rng.standard_normal()
    return s[50:]


def _fit_ar_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, series, p, hidden=False):
        return Case(name, (series, p), _fit_ar_reference(series, p), LSTSQ, hidden)

    ar1 = _ar_series(rng, 200, [0.6], 2.0)
    ar2 = _ar_series(rng, 300, [0.5, -0.3], 1.0)
    walk = 20.0 + np.cumsum(rng.standard_normal(150))
    return [
        case("an AR(1) series, p=1", ar1, 1),
        case("an AR(2) series, p=2", ar2, 2),
        case("an AR(2) series, p=4: extra lags get small weights", ar2, 4),
        case("a random walk, p=1: a weight close to 1", walk, 1),
        case("as many equations as unknowns: an exact fit", np.array([1.0, 3.0, 2.0, 5.0, 4.0]), 2),
        case("an AR(2) series, p=7", _ar_series(rng, 400, [0.7, -0.2], -3.0), 7, True),
        case("a short AR(1) series, p=3", _ar_series(rng, 25, [0.3], 5.0), 3, True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Padding a batch of words
# ---------------------------------------------------------------------------------------------


def _pad_reference(words: list[str], alphabet: str):
    longest = 0
    for w in words:
        longest = max(longest, len(w))
    ids = np.zeros((longest, len(words)), dtype=np.int64)
    lengths = np.zeros(len(words), dtype=np.int64)
    for n, w in enumerate(words):
        lengths[n] = len(w)
        for t, ch in enumerate(w):
            for k, a in enumerate(alphabet):
                if a == ch:
                    ids[t, n] = k + 1
                    break
    return ids, lengths


def _random_words(rng, n, alphabet, low, high):
    return ["".join(rng.choice(list(alphabet), int(rng.integers(low, high + 1)))) for _ in range(n)]


def _pad_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)
    latin = "abcdefghijklmnopqrstuvwxyz"
    accents = "abcdefghijklmnopqrstuvwxyzßàäçéèñöü"

    def case(name, words, alphabet, hidden=False):
        return Case(name, (list(words), alphabet), _pad_reference(words, alphabet), EXACT, hidden)

    return [
        case("three words: cat, horse, ox", ["cat", "horse", "ox"], latin),
        case("accented letters", ["été", "straße", "niño", "perché"], accents),
        case("a batch of one word", ["radio"], latin),
        case("words of one letter", ["a", "b", "z"], latin),
        case("every word of the same length", ["abc", "cab", "bca"], "abc"),
        case(
            "40 random words of 1 to 15 letters",
            _random_words(rng, 40, accents, 1, 15),
            accents,
            True,
        ),
        case("a long word and short ones", ["a", "supercalifragilistic", "an"], latin, True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. The state at each word's last real character
# ---------------------------------------------------------------------------------------------


def _last_hidden_reference(outputs: np.ndarray, lengths: np.ndarray):
    T, N, H = outputs.shape
    out = np.zeros((N, H), dtype=outputs.dtype)
    for n in range(N):
        for j in range(H):
            out[n, j] = outputs[int(lengths[n]) - 1, n, j]
    return out


def _last_hidden_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, T, N, H, lengths=None, dtype=np.float64, hidden=False):
        outputs = rng.standard_normal((T, N, H)).astype(dtype)
        if lengths is None:
            lengths = rng.integers(1, T + 1, N)
        lengths = np.asarray(lengths, dtype=np.int64)
        expected = _last_hidden_reference(outputs, lengths)
        return Case(name, (outputs, lengths), expected, EXACT, hidden)

    return [
        case("T=5, N=3, H=4, lengths 2, 5, 1", 5, 3, 4, [2, 5, 1]),
        case("every word full length: the last step", 6, 4, 3, [6, 6, 6, 6]),
        case("every word of length 1: the first step", 4, 3, 2, [1, 1, 1]),
        case("a batch of one", 7, 1, 5, [4]),
        case("float32 states", 8, 5, 6, dtype=np.float32),
        case("T=20, N=64, H=32, random lengths", 20, 64, 32, hidden=True),
        case("T=3, N=10, H=1", 3, 10, 1, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Macro-averaged F1 from a confusion matrix
# ---------------------------------------------------------------------------------------------


def _macro_f1_reference(cm: np.ndarray) -> float:
    """The mean of the per-class F1 of Part II's reference (classifier chapter)."""
    return float(_prf_ref(cm)[2].mean())


def _macro_f1_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, cm, hidden=False):
        cm = np.asarray(cm, dtype=np.int64)
        return Case(name, (cm,), _macro_f1_reference(cm), F64_ARITH, hidden)

    return [
        case("two classes", [[8, 2], [1, 9]]),
        case("three classes", [[5, 1, 0], [2, 6, 2], [0, 1, 7]]),
        case("perfect predictions: 1.0", np.diag([4, 7, 2])),
        case("a class that is never predicted: its precision is 0/0 = 0", [[5, 0], [3, 0]]),
        case(
            "a class absent from the data and never predicted: F1 0",
            [[4, 1, 0], [2, 6, 0], [0, 0, 0]],
        ),
        case("everything wrong: 0.0", [[0, 3], [4, 0]]),
        case("five classes, random counts", rng.integers(0, 50, (5, 5)), True),
        case(
            "ten classes, a strong diagonal",
            rng.integers(0, 10, (10, 10)) + np.diag(rng.integers(50, 100, 10)),
            True,
        ),
    ]


EXERCISES = [
    Exercise(
        id="tasks.normalise_split",
        function="normalise_split",
        points=2,
        chapter="tasks",
        title="a chronological split normalised with training statistics",
        hint="cut the series in order; mean and std (ddof=0) of series[:n_train] only",
        make_cases=_normalise_cases,
    ),
    Exercise(
        id="tasks.fit_ar",
        function="fit_ar",
        points=3,
        chapter="tasks",
        title="a linear autoregressive model by least squares",
        hint="row t of the design is s[t-1], ..., s[t-p], 1 for t = p .. L-1; np.linalg.lstsq",
        make_cases=_fit_ar_cases,
    ),
    Exercise(
        id="tasks.pad_words",
        function="pad_words",
        points=2,
        chapter="tasks",
        title="padding a batch of words, time first",
        hint="ids (longest, N) of zeros; column n holds 1 + alphabet.index(ch) for its letters",
        make_cases=_pad_cases,
    ),
    Exercise(
        id="tasks.last_hidden",
        function="last_hidden",
        points=2,
        chapter="tasks",
        title="the state at each word's last real character",
        hint="outputs[lengths - 1, np.arange(N)]: one time index per column",
        make_cases=_last_hidden_cases,
    ),
    Exercise(
        id="tasks.macro_f1",
        function="macro_f1",
        points=2,
        chapter="tasks",
        title="macro-averaged F1 from a confusion matrix",
        hint="per class: TP on the diagonal, column sums predicted, row sums actual; 0/0 is 0",
        make_cases=_macro_f1_cases,
    ),
]
