"""Graded exercises of the end-to-end classifier chapter: preprocessing and evaluation metrics.

Each reference is computed here from the case's inputs with trusted, deliberately plain
NumPy code (explicit loops over classes or thresholds, float64 throughout), never with the
student's code and never with `mininn.metrics`. Ratios whose denominator is 0 are defined as
0, as in the chapter. Cases include ties between scores, classes that never occur or are never
predicted, a batch of one, constant features, and large offsets where the one-pass variance
formula loses every significant digit.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F64 = 1e-10  # relative-error tolerance for float64 results


def _labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, n).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Standardisation with training statistics
# ---------------------------------------------------------------------------------------------


def _standardize_ref(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t64, s64 = train.astype(np.float64), test.astype(np.float64)
    mean = t64.mean(axis=0)
    std = np.sqrt(((t64 - mean) ** 2).mean(axis=0))  # two passes: exact for large offsets
    std = np.where(std == 0, 1.0, std)
    return ((t64 - mean) / std).astype(train.dtype), ((s64 - mean) / std).astype(train.dtype)


def _standardize_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def away_from_zero(make, min_abs):
        # Redraw until no standardised value is within min_abs of 0 (exact zeros are fine),
        # where a relative tolerance would measure rounding noise rather than mistakes.
        for _ in range(10_000):
            train, test = make()
            ref = _standardize_ref(train, test)
            values = np.concatenate([r.ravel() for r in ref]).astype(np.float64)
            if np.all((np.abs(values) > min_abs) | (values == 0)):
                return train, test, ref
        raise RuntimeError("could not draw a standardisation case")  # pragma: no cover

    def case(name, make, rtol=F64, hidden=False, min_abs=1e-4):
        train, test, ref = away_from_zero(make, min_abs)
        return Case(name, (train, test), ref, rtol, hidden)

    def normal(n, m, d, loc=0.0, scale=1.0, dtype=np.float64):
        def make():
            loc_d = loc + rng.normal(size=d) * 3
            scale_d = scale * rng.uniform(0.5, 2.0, d)
            tr = rng.normal(loc_d, scale_d, (n, d)).astype(dtype)
            te = rng.normal(loc_d, scale_d, (m, d)).astype(dtype)
            return tr, te

        return make

    def with_constant(value):
        def make():
            tr, te = normal(8, 5, 4)()
            tr[:, 1] = value
            te[:, 1] = value + rng.normal(size=5)  # new images can differ where training never did
            return tr, te

        return make

    def one_training_row():
        tr, te = normal(1, 4, 3)()
        return tr, te

    return [
        case("8 training rows, 5 test rows, 4 features", normal(8, 5, 4)),
        case("float32 inputs stay float32", normal(20, 6, 5, dtype=np.float32), 1e-4, min_abs=0.02),
        case("a constant feature of zeros (like a border pixel)", with_constant(0.0)),
        case("a constant feature of 2.0", with_constant(2.0)),
        case("a test set of one row", normal(10, 1, 3)),
        case("a training set of one row: every std is 0", one_training_row),
        case(
            "large offset (1e7): use the two-pass variance",
            normal(30, 7, 3, 1e7),
            1e-6,
            min_abs=0.01,
        ),  # fmt: skip
        case(
            "pixels in [0, 1], 50 x 16",
            lambda: (rng.random((50, 16)), rng.random((9, 16))),
            hidden=True,
        ),  # fmt: skip
        case("large offset, 200 rows", normal(200, 20, 5, -3e5), 1e-6, True, min_abs=1e-3),
    ]


# ---------------------------------------------------------------------------------------------
# Confusion matrix
# ---------------------------------------------------------------------------------------------


def _confusion_ref(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    cm = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        cm[t, p] += 1
    return cm


def _confusion_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, y_true, y_pred, k, hidden=False):
        y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
        return Case(name, (y_true, y_pred, k), _confusion_ref(y_true, y_pred, k), 0.0, hidden)

    y = _labels(rng, 300, 10)
    noisy = np.where(rng.random(300) < 0.7, y, _labels(rng, 300, 10))
    return [
        case("six examples, three classes", [0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], 3),
        case("not symmetric: rows are true classes", [0, 0, 0, 1], [1, 1, 1, 1], 2),
        case("repeated (true, predicted) pairs all count", [2, 2, 2, 2], [1, 1, 1, 1], 3),
        case("300 examples, 10 classes, 70% right", y, noisy, 10),
        case("classes 3 and 4 never occur nor get predicted", [0, 1, 2, 0], [0, 2, 1, 0], 5),
        case("a batch of one", [1], [0], 2),
        case("all correct: a diagonal matrix", y[:40], y[:40], 10, hidden=True),
        case(
            "1000 examples, 7 classes", _labels(rng, 1000, 7), _labels(rng, 1000, 7), 7, hidden=True
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Precision, recall and F1 per class from a confusion matrix
# ---------------------------------------------------------------------------------------------


def _ratio(num: float, den: float) -> float:
    return num / den if den != 0 else 0.0


def _prf_ref(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = cm.shape[0]
    p, r, f = np.zeros(k), np.zeros(k), np.zeros(k)
    for c in range(k):
        tp = float(cm[c, c])
        p[c] = _ratio(tp, float(cm[:, c].sum()))
        r[c] = _ratio(tp, float(cm[c, :].sum()))
        f[c] = _ratio(2 * p[c] * r[c], p[c] + r[c])
    return p, r, f


def _prf_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, cm, hidden=False):
        cm = np.asarray(cm, dtype=np.int64)
        return Case(name, (cm,), _prf_ref(cm), F64, hidden)

    return [
        case("3 classes", [[5, 1, 0], [2, 6, 2], [0, 3, 9]]),
        case(
            "10 classes, random counts",
            rng.integers(0, 50, (10, 10)) + np.diag(rng.integers(50, 200, 10)),
        ),
        case("class 2 is never predicted: precision 0/0 = 0", [[4, 1, 0], [0, 3, 0], [2, 2, 0]]),
        case("class 1 never occurs nor is predicted", [[3, 0, 1], [0, 0, 0], [1, 0, 5]]),
        case("perfect predictions: all ones", np.diag([7, 3, 5, 1])),
        case("no correct prediction: F1 is 0, not NaN", [[0, 4], [6, 0]]),
        case("two classes", [[40, 10], [5, 45]], hidden=True),
        case(
            "6 classes with an empty row and column",
            [
                [9, 1, 0, 0, 2, 0],
                [1, 8, 0, 1, 0, 0],
                [0, 0, 0, 0, 0, 0],
                [3, 0, 0, 4, 0, 1],
                [0, 2, 0, 0, 7, 0],
                [0, 0, 0, 1, 0, 0],
            ],
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# Macro F1 from labels
# ---------------------------------------------------------------------------------------------


def _macro_f1_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, y_true, y_pred, k, hidden=False):
        y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
        f1 = _prf_ref(_confusion_ref(y_true, y_pred, k))[2]
        return Case(name, (y_true, y_pred, k), float(f1.mean()), F64, hidden)

    y = _labels(rng, 200, 5)
    noisy = np.where(rng.random(200) < 0.6, y, _labels(rng, 200, 5))
    unbalanced = np.array([0] * 90 + [1] * 5 + [2] * 5)
    return [
        case("perfect predictions: 1.0", [0, 1, 2, 1], [0, 1, 2, 1], 3),
        case("90/5/5 classes, always class 0: not the accuracy", unbalanced, np.zeros(100), 3),
        case("200 examples, 5 classes, 60% right", y, noisy, 5),
        case(
            "class 3 never occurs nor is predicted: it counts as 0", [0, 1, 2, 2], [0, 1, 2, 1], 4
        ),
        case("a batch of one, wrong", [1], [0], 2),
        case("two classes", [0, 0, 1, 1, 1, 0], [0, 1, 1, 1, 0, 0], 2, hidden=True),
        case(
            "500 examples, 10 classes",
            _labels(rng, 500, 10),
            _labels(rng, 500, 10),
            10,
            hidden=True,
        ),  # fmt: skip
    ]


# ---------------------------------------------------------------------------------------------
# ROC curve points
# ---------------------------------------------------------------------------------------------


def _roc_ref(y01: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pos = y01 == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    fpr, tpr = [0.0], [0.0]
    for t in np.unique(scores)[::-1]:  # distinct scores, highest first
        above = scores >= t
        tpr.append(np.sum(above & pos) / n_pos)
        fpr.append(np.sum(above & ~pos) / n_neg)
    return np.array(fpr), np.array(tpr)


def _roc_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, y, s, hidden=False):
        y, s = np.asarray(y, np.int64), np.asarray(s, np.float64)
        return Case(name, (y, s), _roc_ref(y, s), F64, hidden)

    y20 = np.array([0, 1] * 10)
    rng.shuffle(y20)
    y_many = (rng.random(300) < 0.3).astype(np.int64)
    y_many[:2] = [0, 1]
    return [
        case(
            "the chapter's example: a tie at 0.5",
            [1, 1, 0, 1, 0, 0],
            [0.9, 0.8, 0.7, 0.5, 0.5, 0.1],
        ),  # fmt: skip
        case("20 distinct scores, unsorted", y20, rng.random(20)),
        case(
            "perfect separation: through (0, 1)", [0, 0, 1, 1, 0, 1], [0.1, 0.3, 0.8, 0.9, 0.2, 0.7]
        ),
        case("all scores equal: one step to (1, 1)", [0, 1, 1, 0], [0.5, 0.5, 0.5, 0.5]),
        case("logits: negative scores, many ties", y_many[:60], np.round(rng.normal(size=60), 1)),
        case("one positive and one negative", [1, 0], [-2.0, 3.0]),
        case("300 examples, 30% positive", y_many, rng.random(300), hidden=True),
        case("300 examples, rounded scores", y_many, np.round(rng.random(300), 2), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# Area under a curve by the trapezoid rule
# ---------------------------------------------------------------------------------------------


def _auc_ref(x: np.ndarray, y: np.ndarray) -> float:
    total = 0.0
    for i in range(1, len(x)):
        total += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2
    return float(total)


def _auc_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, x, y, hidden=False):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        return Case(name, (x, y), _auc_ref(x, y), F64, hidden)

    def random_curve(n):
        x = np.concatenate([[0.0], np.sort(rng.random(n - 2)), [1.0]])
        y = np.concatenate([[0.0], np.sort(rng.random(n - 2)), [1.0]])
        return x, y

    return [
        case("the chance diagonal: 0.5", [0.0, 1.0], [0.0, 1.0]),
        case("a perfect classifier: 1.0", [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]),
        case(
            "the chapter's example: 5/6", [0, 0, 0, 1 / 3, 2 / 3, 1], [0, 1 / 3, 2 / 3, 2 / 3, 1, 1]
        ),
        case("a worse-than-chance curve", [0.0, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 1.0]),
        case(
            "vertical and horizontal steps", [0, 0, 0.25, 0.25, 0.75, 1], [0, 0.5, 0.5, 0.9, 0.9, 1]
        ),
        case("a random increasing curve of 30 points", *random_curve(30)),
        case("a random curve of 500 points", *random_curve(500), hidden=True),
        case("a diagonal step of a tie", [0.0, 0.2, 0.6, 1.0], [0.0, 0.6, 0.8, 1.0], hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="clf.standardize_with_train_stats",
        function="standardize_with_train_stats",
        points=2,
        chapter="classifier",
        title="standardise with training statistics only",
        hint="the mean and std come from train alone (one per column); a zero std divides by 1",
        make_cases=_standardize_cases,
    ),
    Exercise(
        id="clf.confusion_matrix",
        function="confusion_matrix",
        points=2,
        chapter="classifier",
        title="the confusion matrix",
        hint="row = true class, column = predicted class; every example adds 1, repeats included",
        make_cases=_confusion_cases,
    ),
    Exercise(
        id="clf.precision_recall_f1",
        function="precision_recall_f1",
        points=2,
        chapter="classifier",
        title="per-class precision, recall and F1 from a confusion matrix",
        hint="TP is the diagonal, column sums are TP + FP, row sums TP + FN; 0/0 gives 0",
        make_cases=_prf_cases,
    ),
    Exercise(
        id="clf.macro_f1",
        function="macro_f1",
        points=2,
        chapter="classifier",
        title="macro-averaged F1 score",
        hint="average the per-class F1 over all num_classes classes, absent ones included",
        make_cases=_macro_f1_cases,
    ),
    Exercise(
        id="clf.roc_points",
        function="roc_points",
        points=3,
        chapter="classifier",
        title="the points of a ROC curve",
        hint="sort by decreasing score; tied scores enter together, so keep one point per run",
        make_cases=_roc_cases,
    ),
    Exercise(
        id="clf.auc_trapezoid",
        function="auc_trapezoid",
        points=2,
        chapter="classifier",
        title="area under a curve by the trapezoid rule",
        hint="add up, for consecutive points, the width times the mean of the two heights",
        make_cases=_auc_cases,
    ),
]
