"""mininn.metrics against independent references, and the metric plots.

References: small examples worked out by hand (the expected numbers are derived in the
comments), brute-force Python loops over examples for the confusion matrix and P/R/F1, and
for AUC the Mann-Whitney probability P(score_pos > score_neg) + 0.5 P(tie) over all pairs.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mininn import Tensor, metrics, plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# References written with plain Python loops
# ---------------------------------------------------------------------------------------------


def loop_confusion(y_true, y_pred, k):
    cm = [[0] * k for _ in range(k)]
    for t, p in zip(y_true, y_pred, strict=True):
        cm[int(t)][int(p)] += 1
    return np.array(cm)


def loop_prf(y_true, y_pred, k):
    """Per-class precision, recall, F1 by counting, with 0/0 taken as 0."""
    precision, recall, f1 = [], [], []
    for c in range(k):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p != c)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        precision.append(pr)
        recall.append(rc)
        f1.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return precision, recall, f1


def mann_whitney(y01, scores):
    """P(score of a random positive > score of a random negative), ties counting 1/2."""
    pos = [s for s, y in zip(scores, y01, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, y01, strict=True) if y == 0]
    wins = 0.0
    for sp, sn in itertools.product(pos, neg):
        wins += 1.0 if sp > sn else 0.5 if sp == sn else 0.0
    return wins / (len(pos) * len(neg))


# ---------------------------------------------------------------------------------------------
# accuracy
# ---------------------------------------------------------------------------------------------


def test_accuracy_from_scores_and_labels():
    # argmax of the rows: 0, 1, 0, 2 against targets 0, 1, 1, 2 -> 3 of 4 right
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.5, 0.2], [0.1, 0.2, 0.3]])
    targets = np.array([0, 1, 1, 2])
    assert metrics.accuracy(logits, targets) == 0.75
    assert metrics.accuracy(Tensor(logits), Tensor(targets)) == 0.75
    assert metrics.accuracy([0, 1, 0, 2], targets) == 0.75  # 1-D: labels already
    assert isinstance(metrics.accuracy(logits, targets), float)


def test_accuracy_single_column_is_binary_logits():
    # logits > 0 -> class 1: predictions 1, 0, 1, 0 against 1, 0, 0, 0 -> 3 of 4
    logits = np.array([[2.0], [-1.0], [0.5], [-0.1]])
    assert metrics.accuracy(logits, np.array([[1.0], [0.0], [0.0], [0.0]])) == 0.75


def test_accuracy_errors():
    with pytest.raises(ValueError, match="same length"):
        metrics.accuracy(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="shape"):
        metrics.accuracy(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(ValueError, match="shape"):
        metrics.accuracy(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy(np.zeros((0, 2)), np.zeros(0))


# ---------------------------------------------------------------------------------------------
# confusion matrix, precision, recall, F1
# ---------------------------------------------------------------------------------------------

Y_TRUE = [0, 0, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 2, 0, 2]


def test_confusion_matrix_by_hand():
    # pairs (true, pred): (0,0) (0,1) (1,1) (2,2) (2,0) (2,2)
    expected = np.array(
        [
            [1, 1, 0],  # true 0: once right, once called 1
            [0, 1, 0],  # true 1: right
            [1, 0, 2],  # true 2: twice right, once called 0
        ]
    )
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64
    # num_classes larger than the labels seen adds empty rows and columns
    cm5 = metrics.confusion_matrix(Tensor(np.array(Y_TRUE)), np.array(Y_PRED), num_classes=5)
    assert cm5.shape == (5, 5)
    np.testing.assert_array_equal(cm5[:3, :3], expected)
    assert cm5[3:].sum() == 0 and cm5[:, 3:].sum() == 0


def test_precision_recall_f1_by_hand():
    # class 0: TP=1, FP=1 (a 2 called 0), FN=1 -> P=1/2, R=1/2, F1=1/2
    # class 1: TP=1, FP=1 (a 0 called 1), FN=0 -> P=1/2, R=1,   F1=2/3
    # class 2: TP=2, FP=0,                FN=1 -> P=1,   R=2/3, F1=2*(2/3)/(5/3)=4/5
    p, r, f = metrics.precision_recall_f1(Y_TRUE, Y_PRED, average=None)
    np.testing.assert_allclose(p, [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(r, [1 / 2, 1, 2 / 3])
    np.testing.assert_allclose(f, [1 / 2, 2 / 3, 4 / 5])
    p, r, f = metrics.precision_recall_f1(Y_TRUE, Y_PRED, average="macro")
    assert p == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert r == pytest.approx((1 / 2 + 1 + 2 / 3) / 3)
    assert f == pytest.approx((1 / 2 + 2 / 3 + 4 / 5) / 3)
    # micro: total TP = 4 of 6 predictions and of 6 examples -> all equal the accuracy 2/3
    p, r, f = metrics.precision_recall_f1(Y_TRUE, Y_PRED, average="micro")
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 3) and f == pytest.approx(2 / 3)


def test_zero_over_zero_is_zero():
    # class 2 never occurs and is never predicted; class 1 is never predicted
    y_true, y_pred = [0, 0, 1], [0, 0, 0]
    p, r, f = metrics.precision_recall_f1(y_true, y_pred, num_classes=3, average=None)
    # class 0: TP=2, FP=1 -> P=2/3, R=1, F1=0.8; class 1: P=0/0=0, R=0/1=0; class 2: all 0/0
    np.testing.assert_allclose(p, [2 / 3, 0, 0])
    np.testing.assert_allclose(r, [1, 0, 0])
    np.testing.assert_allclose(f, [0.8, 0, 0])
    assert not np.isnan(p).any()


def test_binary_average():
    # class 1: TP=2, FP=1, FN=1 -> P=R=F1=2/3
    p, r, f = metrics.precision_recall_f1([1, 1, 1, 0, 0], [1, 1, 0, 1, 0], average="binary")
    assert (p, r, f) == pytest.approx((2 / 3, 2 / 3, 2 / 3))


@pytest.mark.parametrize("seed", range(5))
def test_confusion_and_prf_match_loops_on_random_data(seed):
    rng = np.random.default_rng(seed)
    k = 5
    n = int(rng.integers(1, 200))
    y_true = rng.integers(0, k - 1, n)  # class k-1 never occurs as a true label
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, k), loop_confusion(y_true, y_pred, k)
    )
    ref_p, ref_r, ref_f = loop_prf(y_true.tolist(), y_pred.tolist(), k)
    p, r, f = metrics.precision_recall_f1(y_true, y_pred, k, average=None)
    np.testing.assert_allclose(p, ref_p, rtol=1e-12)
    np.testing.assert_allclose(r, ref_r, rtol=1e-12)
    np.testing.assert_allclose(f, ref_f, rtol=1e-12)
    macro = metrics.precision_recall_f1(y_true, y_pred, k, average="macro")
    np.testing.assert_allclose(macro, [np.mean(ref_p), np.mean(ref_r), np.mean(ref_f)])
    acc = np.mean(y_true == y_pred)
    np.testing.assert_allclose(metrics.precision_recall_f1(y_true, y_pred, k, "micro"), [acc] * 3)


def test_label_errors():
    with pytest.raises(ValueError, match="same length"):
        metrics.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="out of range"):
        metrics.confusion_matrix([0, 1, 3], [0, 1, 2], num_classes=3)
    with pytest.raises(ValueError, match="out of range"):
        metrics.precision_recall_f1([0, 1], [0, 5], num_classes=2)
    with pytest.raises(ValueError, match="negative"):
        metrics.confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match="whole-number"):
        metrics.confusion_matrix([0, 1.5], [0, 1])
    with pytest.raises(ValueError, match="argmax"):
        metrics.confusion_matrix([0, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="num_classes"):
        metrics.confusion_matrix([0, 1], [0, 1], num_classes=0)
    with pytest.raises(ValueError, match="average"):
        metrics.precision_recall_f1([0, 1], [0, 1], average="weighted")
    with pytest.raises(ValueError, match="2 classes"):
        metrics.precision_recall_f1([0, 1, 2], [0, 1, 2], average="binary")


# ---------------------------------------------------------------------------------------------
# ROC curve and AUC
# ---------------------------------------------------------------------------------------------


def test_roc_curve_by_hand():
    # scores sorted: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg); 2 positives, 2 negatives
    # threshold inf: nothing positive -> (0, 0); 0.8 -> TP=1 (0, 1/2); 0.4 -> FP=1 (1/2, 1/2);
    # 0.35 -> TP=2 (1/2, 1); 0.1 -> everything (1, 1). Area: 1/2 * 1/2 + 1/2 * 1 = 3/4.
    fpr, tpr, th = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(th, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert metrics.auc(fpr, tpr) == pytest.approx(0.75)
    assert metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_roc_curve_ties_make_one_point():
    # a positive and a negative both score 0.5: they enter together (a diagonal step).
    # inf -> (0, 0); 0.9 -> (0, 1/2); 0.5 -> (1/2, 1); 0.2 -> (1, 1).
    # Area = 1/2 * (1/2 + 1)/2 + 1/2 * 1 = 7/8; Mann-Whitney: pairs (0.9, 0.5) (0.9, 0.2)
    # (0.5, 0.2) win, (0.5, 0.5) ties -> (3 + 1/2) / 4 = 7/8.
    fpr, tpr, th = metrics.roc_curve(np.array([0, 1, 0, 1]), Tensor([0.5, 0.5, 0.2, 0.9]))
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    np.testing.assert_allclose(th, [np.inf, 0.9, 0.5, 0.2])
    assert metrics.auc(fpr, tpr) == pytest.approx(7 / 8)


def test_all_scores_tied_is_chance():
    fpr, tpr, th = metrics.roc_curve([0, 1, 1, 0, 1], [3.0] * 5)
    np.testing.assert_allclose(fpr, [0, 1])
    np.testing.assert_allclose(tpr, [0, 1])
    assert metrics.roc_auc_score([0, 1, 1, 0, 1], [3.0] * 5) == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(8))
def test_roc_properties_and_auc_equals_mann_whitney(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present
    # few distinct values -> many ties; shift positives up a bit so the AUC is not 0.5
    scores = np.round(rng.normal(size=n) + 0.7 * y, 1 if seed % 2 else 0)
    fpr, tpr, th = metrics.roc_curve(y, scores)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert th[0] == np.inf and np.all(np.diff(th) < 0)
    assert len(th) == len(np.unique(scores)) + 1  # one point per distinct threshold
    # each point's rates are those of the rule "score >= threshold", counted directly
    for f, t, thr in zip(fpr[1:], tpr[1:], th[1:], strict=True):
        predicted = scores >= thr
        assert t == pytest.approx(np.sum(predicted & (y == 1)) / np.sum(y == 1))
        assert f == pytest.approx(np.sum(predicted & (y == 0)) / np.sum(y == 0))
    expected = mann_whitney(y.tolist(), scores.tolist())
    assert metrics.auc(fpr, tpr) == pytest.approx(expected, abs=1e-12)
    assert metrics.roc_auc_score(y, scores) == pytest.approx(expected, abs=1e-12)
    assert metrics.roc_auc_score(Tensor(y.astype(np.float32)), scores) == pytest.approx(expected)


def test_roc_auc_score_multiclass_one_vs_rest():
    rng = np.random.default_rng(3)
    n, c = 60, 4
    y = rng.integers(0, c, n)
    y[:c] = np.arange(c)
    scores = np.round(rng.normal(size=(n, c)) + np.eye(c)[y], 1)
    expected = np.mean(
        [mann_whitney((y == k).astype(int).tolist(), scores[:, k]) for k in range(c)]
    )
    assert metrics.roc_auc_score(y, scores) == pytest.approx(expected, abs=1e-12)
    assert metrics.roc_auc_score(Tensor(y), Tensor(scores)) == pytest.approx(expected, abs=1e-6)


def test_auc_trapezoid():
    # points (0,0) (1,2) (3,2): trapezoids 1*(0+2)/2 + 2*(2+2)/2 = 1 + 4 = 5
    assert metrics.auc([0, 1, 3], [0, 2, 2]) == pytest.approx(5.0)
    assert metrics.auc([3, 1, 0], [2, 2, 0]) == pytest.approx(5.0)  # decreasing x
    with pytest.raises(ValueError, match="monotonic"):
        metrics.auc([0, 2, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="at least 2"):
        metrics.auc([0], [1])
    with pytest.raises(ValueError, match="same length"):
        metrics.auc([0, 1], [1, 2, 3])


def test_roc_errors():
    with pytest.raises(ValueError, match="same length"):
        metrics.roc_curve([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="0 and 1"):
        metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both positive and negative"):
        metrics.roc_curve([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="1-D"):
        metrics.roc_curve([0, 1], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        metrics.roc_curve([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="out of range"):
        metrics.roc_auc_score([0, 1, 3], np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"class\(es\) \[2\]"):
        metrics.roc_auc_score([0, 1, 1, 0], np.zeros((4, 3)))


# ---------------------------------------------------------------------------------------------
# Plots of metrics
# ---------------------------------------------------------------------------------------------


def test_plot_confusion_matrix():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    fig = plot.plot_confusion_matrix(cm, class_names=["a", "b", "c"])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the matrix and its colour bar
    assert ax.get_title() == "Confusion matrix"
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in cm.ravel())

    fig = plot.plot_confusion_matrix(Tensor(cm), normalize=True, title="Recall")
    ax = fig.axes[0]
    assert ax.get_title() == "Recall"
    # row 0 is [1, 1, 0] -> 0.50 0.50 0.00
    assert [t.get_text() for t in ax.texts[:3]] == ["0.50", "0.50", "0.00"]

    fig, axes = plt.subplots(1, 2)
    assert plot.plot_confusion_matrix(cm, ax=axes[1]) is fig
    assert axes[1].get_title() == "Confusion matrix"
    with pytest.raises(ValueError, match="square"):
        plot.plot_confusion_matrix(np.zeros((2, 3)))


def test_plot_roc():
    fpr, tpr, _ = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    fig = plot.plot_roc(fpr, tpr, auc_value=metrics.auc(fpr, tpr), label="model A")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "ROC curve"
    assert ax.get_xlabel() == "false positive rate" and ax.get_ylabel() == "true positive rate"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "model A (AUC = 0.750)" in legend
    # a second curve on the same axes, and still a single chance line
    assert plot.plot_roc(fpr, tpr, ax=ax, label="model B") is fig
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("chance") == 1 and "model B" in legend
