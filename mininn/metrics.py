"""Classification metrics: accuracy, confusion matrix, precision/recall/F1, ROC curve and AUC.

Every function accepts mininn Tensors, NumPy arrays or lists, and returns NumPy values (Python
floats for single numbers). Labels are integers ``0 .. num_classes - 1``. Nothing here loops
over examples in Python: counts come from ``np.bincount`` and the ROC curve from one sort.

>>> import numpy as np
>>> from mininn import metrics
>>> y_true = np.array([0, 0, 1, 2, 2, 2])
>>> y_pred = np.array([0, 1, 1, 2, 0, 2])
>>> metrics.accuracy(y_pred, y_true)
0.6666666666666666
>>> metrics.confusion_matrix(y_true, y_pred, num_classes=3)
array([[1, 1, 0],
       [0, 1, 0],
       [1, 0, 2]])
>>> fpr, tpr, thresholds = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> metrics.auc(fpr, tpr)
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mininn.tensor import Tensor

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "roc_curve",
    "auc",
    "roc_auc_score",
]


# ---------------------------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------------------------


def _array(x: Any, name: str) -> np.ndarray:
    """The NumPy array behind a Tensor, array or list (no copy when possible)."""
    arr = x.data if isinstance(x, Tensor) else np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    return arr


def _labels(x: Any, name: str, num_classes: int | None = None) -> np.ndarray:
    """A 1-D int64 array of class labels, checked to be whole numbers in range."""
    arr = _array(x, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        hint = f"; for scores of shape (N, C) pass {name}.argmax(axis=1)" if arr.ndim == 2 else ""
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {arr.shape}{hint}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole-number class labels, got non-integer values")
    labels = arr.astype(np.int64, copy=False)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} has a negative label ({labels.min()}); labels start at 0")
    if num_classes is not None and labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"{name} has label {labels.max()}, out of range for num_classes={num_classes} "
            f"(labels must be 0 .. {num_classes - 1})"
        )
    return labels


def _same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}"
        )


def _num_classes(num_classes: int | None, *label_arrays: np.ndarray) -> int:
    if num_classes is not None:
        if int(num_classes) != num_classes or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes}")
        return int(num_classes)
    return int(max((a.max() + 1 for a in label_arrays if a.size), default=0))


def _binary_targets(y_true: Any) -> np.ndarray:
    arr = _array(y_true, "y_true")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y_true must be a 1-D array of 0/1 labels, got shape {arr.shape}")
    is_one = arr == 1
    if not np.all(is_one | (arr == 0)):
        bad = np.unique(arr[~(is_one | (arr == 0))])[:5]
        raise ValueError(f"y_true must contain only 0 and 1 (binary labels), found {bad}")
    return is_one


def _scores_1d(scores: Any) -> np.ndarray:
    s = _array(scores, "scores").astype(np.float64, copy=False)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D (one score per example), got shape {s.shape}")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    return s


# ---------------------------------------------------------------------------------------------
# Accuracy, confusion matrix, precision / recall / F1
# ---------------------------------------------------------------------------------------------


def accuracy(logits_or_labels: Any, targets: Any) -> float:
    """Fraction of examples whose predicted class equals the target.

    Parameters
    ----------
    logits_or_labels : (N, C) scores, (N, 1) binary logits, or (N,) predicted labels
        With C >= 2 columns (logits or probabilities) the prediction is the argmax of each
        row. A single column is read as binary *logits*: the prediction is 1 where the
        score is > 0 (use ``probs > 0.5`` yourself for probabilities). A 1-D input is taken
        to be predicted labels already.
    targets : (N,) integer labels (or (N, 1), flattened)

    Returns
    -------
    float in [0, 1]

    >>> accuracy([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5]], [0, 1, 1])
    0.6666666666666666
    """
    pred = _array(logits_or_labels, "logits_or_labels")
    if pred.ndim == 2:
        pred = (pred[:, 0] > 0).astype(np.int64) if pred.shape[1] == 1 else pred.argmax(axis=1)
    elif pred.ndim != 1:
        raise ValueError(
            f"logits_or_labels must be (N, C) scores or (N,) labels, got shape {pred.shape}"
        )
    tgt = _array(targets, "targets")
    if tgt.ndim == 2 and tgt.shape[1] == 1:
        tgt = tgt[:, 0]
    if tgt.ndim != 1:
        raise ValueError(f"targets must be a 1-D array of labels, got shape {tgt.shape}")
    _same_length(pred, tgt, "predictions", "targets")
    if len(tgt) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.count_nonzero(pred == tgt)) / len(tgt)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : (N,) integer labels
    num_classes : int, optional
        Number of classes K; by default one more than the largest label seen.

    Returns
    -------
    (K, K) int64 array ``cm`` with ``cm[i, j]`` = number of examples of true class ``i``
    predicted as class ``j`` (rows: true class, columns: predicted class). Row sums are the
    class sizes; the diagonal holds the correct predictions.

    >>> confusion_matrix([0, 1, 1, 1], [0, 1, 0, 1])
    array([[1, 0],
           [1, 2]])
    """
    t = _labels(y_true, "y_true", num_classes)
    p = _labels(y_pred, "y_pred", num_classes)
    _same_length(t, p, "y_true", "y_pred")
    k = _num_classes(num_classes, t, p)
    # Each (true, pred) pair gets one index in 0 .. K*K - 1; bincount counts them all at once.
    counts = np.bincount(t * k + p, minlength=k * k)
    return counts.reshape(k, k).astype(np.int64, copy=False)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, with 0 where den == 0 (the 0/0 = 0 convention)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_f1(
    y_true: Any, y_pred: Any, num_classes: int | None = None, average: str | None = "macro"
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 score, per class or averaged.

    For class c: precision = TP / (TP + FP) (of the examples predicted c, the fraction that
    are c), recall = TP / (TP + FN) (of the examples of class c, the fraction found), and
    F1 = 2 P R / (P + R). **A ratio whose denominator is 0 is defined as 0** (for example
    the precision of a class that is never predicted), as scikit-learn does by default.

    Parameters
    ----------
    y_true, y_pred : (N,) integer labels
    num_classes : int, optional
        Number of classes K; by default one more than the largest label seen. Every class
        ``0 .. K-1`` is counted, including classes that never occur (they score 0).
    average : "macro", "micro", "binary" or None
        ``None``: three (K,) float arrays, one value per class. ``"macro"``: the unweighted
        mean of the per-class values (F1 is the mean of per-class F1s, not the F1 of the mean
        P and R). ``"micro"``: computed from the total TP, FP, FN over all classes; for
        single-label data all three equal the accuracy. ``"binary"``: the values of class 1
        only (K must be 2).

    Returns
    -------
    (precision, recall, f1) : three floats, or three (K,) arrays when ``average=None``

    >>> p, r, f = precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1], average=None)
    >>> p, r
    (array([1.        , 0.66666667]), array([0.5, 1. ]))
    """
    if average not in ("macro", "micro", "binary", None):
        raise ValueError(f"average must be 'macro', 'micro', 'binary' or None, got {average!r}")
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0)  # TP + FP, per class
    actual = cm.sum(axis=1)  # TP + FN, per class
    if average == "micro":
        p = _safe_divide(tp.sum(), predicted.sum())
        r = _safe_divide(tp.sum(), actual.sum())
        f = _safe_divide(2 * p * r, p + r)
        return float(p), float(r), float(f)
    p = _safe_divide(tp, predicted)
    r = _safe_divide(tp, actual)
    f = _safe_divide(2 * p * r, p + r)
    if average is None:
        return p, r, f
    if average == "binary":
        if len(tp) != 2:
            raise ValueError(f"average='binary' needs exactly 2 classes, got {len(tp)}")
        return float(p[1]), float(r[1]), float(f[1])
    if len(tp) == 0:
        raise ValueError("precision_recall_f1 of an empty set is undefined")
    return float(p.mean()), float(r.mean()), float(f.mean())


# ---------------------------------------------------------------------------------------------
# ROC curve and AUC
# ---------------------------------------------------------------------------------------------


def roc_curve(y_true01: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic: true- vs false-positive rate for every threshold.

    An example is predicted positive when ``score >= threshold``. The thresholds are the
    distinct scores in decreasing order, preceded by ``+inf`` (nothing predicted positive),
    so the curve starts at (0, 0) and ends at (1, 1), with exactly one point per distinct
    threshold. Examples with tied scores enter together, which makes a diagonal segment.
    (Unlike scikit-learn's default, collinear points are not dropped.)

    Parameters
    ----------
    y_true01 : (N,) labels in {0, 1} (or booleans); both classes must be present
    scores : (N,) real scores, higher meaning "more likely positive" (logits or probabilities)

    Returns
    -------
    fpr, tpr : (T + 1,) float64 arrays, non-decreasing, from 0 to 1
    thresholds : (T + 1,) float64 array, strictly decreasing, ``thresholds[0] = inf``
        (T = number of distinct scores)

    >>> fpr, tpr, th = roc_curve([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])
    >>> fpr, tpr, th
    (array([0. , 0. , 0.5, 1. ]), array([0. , 0.5, 1. , 1. ]), array([inf, 0.9, 0.5, 0.2]))
    """
    pos = _binary_targets(y_true01)
    s = _scores_1d(scores)
    _same_length(pos, s, "y_true", "scores")
    n_pos = int(np.count_nonzero(pos))
    n_neg = len(pos) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"roc_curve needs both positive and negative examples, got {n_pos} positive and "
            f"{n_neg} negative: the rates are undefined"
        )
    order = np.argsort(-s, kind="stable")
    s_sorted, pos_sorted = s[order], pos[order]
    # The last index of each run of equal scores: the point after all tied examples are in.
    ends = np.flatnonzero(np.diff(s_sorted) != 0)
    ends = np.append(ends, len(s_sorted) - 1)
    tps = np.cumsum(pos_sorted)[ends]
    fps = (ends + 1) - tps
    tpr = np.concatenate([[0.0], tps / n_pos])
    fpr = np.concatenate([[0.0], fps / n_neg])
    thresholds = np.concatenate([[np.inf], s_sorted[ends]])
    return fpr, tpr, thresholds


def auc(x: Any, y: Any) -> float:
    """Area under the curve through the points (x[i], y[i]), by the trapezoid rule.

    Parameters
    ----------
    x : (M,) monotonic coordinates (M >= 2); if decreasing, the area is still taken from
        left to right (the result does not change sign)
    y : (M,) values

    >>> auc([0.0, 0.5, 1.0], [0.0, 1.0, 1.0])
    0.75
    """
    xa = _array(x, "x").astype(np.float64, copy=False)
    ya = _array(y, "y").astype(np.float64, copy=False)
    if xa.ndim != 1 or ya.ndim != 1:
        raise ValueError(f"x and y must be 1-D, got shapes {xa.shape} and {ya.shape}")
    _same_length(xa, ya, "x", "y")
    if len(xa) < 2:
        raise ValueError(f"auc needs at least 2 points, got {len(xa)}")
    dx = np.diff(xa)
    if np.all(dx <= 0):
        dx = -dx
    elif not np.all(dx >= 0):
        raise ValueError("x must be monotonic (all increasing or all decreasing)")
    return float(np.sum(dx * (ya[1:] + ya[:-1]) / 2))


def roc_auc_score(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve.

    It equals the probability that a random positive example scores higher than a random
    negative one, counting ties as one half (the Mann-Whitney U statistic / (P N)).

    Parameters
    ----------
    y_true : (N,) labels
        Binary case: 0/1. Multiclass case: integers ``0 .. C-1``.
    scores : (N,) or (N, 1) scores for the binary case; (N, C) for the multiclass case
        With C columns the score is one-vs-rest and macro-averaged: for each class c, the AUC
        of "class c vs the rest" using column c, then the mean over classes. Every class must
        occur in ``y_true``. Columns are used as given; softmax probabilities (scikit-learn's
        convention) and raw logits can rank examples within a column differently.

    Returns
    -------
    float in [0, 1] (0.5 = chance)

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    s = _array(scores, "scores")
    if s.ndim == 2 and s.shape[1] >= 2:
        n_classes = s.shape[1]
        labels = _labels(y_true, "y_true", n_classes)
        _same_length(labels, s, "y_true", "scores")
        present = np.bincount(labels, minlength=n_classes)
        missing = np.flatnonzero((present == 0) | (present == len(labels)))
        if missing.size:
            raise ValueError(
                f"one-vs-rest AUC needs every class to occur in y_true alongside other classes; "
                f"class(es) {missing.tolist()} have no positive or no negative examples"
            )
        per_class = [auc(*roc_curve(labels == c, s[:, c])[:2]) for c in range(n_classes)]
        return float(np.mean(per_class))
    fpr, tpr, _ = roc_curve(y_true, s)
    return auc(fpr, tpr)
