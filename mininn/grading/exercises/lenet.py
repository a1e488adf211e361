"""Graded exercises of the LeNet chapter: the bookkeeping of a convolutional network (the
shape, the parameters and the multiply-accumulates of every layer) and two ways of reading
a trained classifier (per-class accuracy and its most confident mistakes).

A network is described by plain values that cross the grading boundary unchanged: an input
shape ``(C, H, W)`` and a list of layer tuples, ``("conv", out_channels, kernel, stride,
padding)``, ``("pool", kernel, stride)``, ``("relu",)``, ``("flatten",)`` and
``("linear", out_features)``. The references walk the list here with explicit loops and
integer arithmetic, never with the student's code and never with mininn's layers.

How answers are compared: shapes and counts are tuples of Python integers, compared exactly
(a list or NumPy integers are accepted in place of a tuple or an int); per-class accuracies
are float arrays compared with a relative tolerance of 1e-10; the indices of the mistakes
are an integer array compared exactly. Cases include padding, strides that do not divide the
size (the floor matters), rectangular images, overlapping pooling, 1x1 convolutions,
a network without layers, counts above 2**31, classes that never occur, a batch without
mistakes, tied confidences and logits around 1000, where a softmax without the max-shift
overflows.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F64 = 1e-10  # relative-error tolerance for float64 results


# ---------------------------------------------------------------------------------------------
# Network specifications, and one walk through them that every reference shares
# ---------------------------------------------------------------------------------------------

LENET = [
    ("conv", 6, 5, 1, 2),
    ("relu",),
    ("pool", 2, 2),
    ("conv", 16, 5, 1, 0),
    ("relu",),
    ("pool", 2, 2),
    ("flatten",),
    ("linear", 120),
    ("relu",),
    ("linear", 84),
    ("relu",),
    ("linear", 10),
]


def _walk(input_shape, layers):
    """For every layer: (output shape, parameters, multiply-accumulates per example)."""
    shape = tuple(int(s) for s in input_shape)
    rows = []
    for layer in layers:
        kind = layer[0]
        params = macs = 0
        if kind == "conv":
            out_c, k, s, p = (int(v) for v in layer[1:])
            c, h, w = shape
            oh = (h + 2 * p - k) // s + 1
            ow = (w + 2 * p - k) // s + 1
            params = out_c * (c * k * k + 1)  # one k x k kernel per (output, input) pair + bias
            macs = oh * ow * out_c * c * k * k  # each output value is a c*k*k dot product
            shape = (out_c, oh, ow)
        elif kind == "pool":
            k, s = (int(v) for v in layer[1:])
            c, h, w = shape
            shape = (c, (h - k) // s + 1, (w - k) // s + 1)
        elif kind == "flatten":
            size = 1
            for v in shape:
                size *= v
            shape = (size,)
        elif kind == "linear":
            (d,), out = shape, int(layer[1])
            params = out * (d + 1)
            macs = out * d
            shape = (out,)
        elif kind != "relu":
            raise ValueError(f"unknown layer {layer!r}")  # pragma: no cover - our own specs
        rows.append((shape, params, macs))
    return rows


def _plain(layers):
    """The spec as a list of tuples of a string and Python ints (what the student gets)."""
    return [(str(layer[0]), *(int(v) for v in layer[1:])) for layer in layers]


def _random_stack(rng: np.random.Generator, with_head: bool):
    """A valid random stack: convolutions and poolings while the image is large enough."""
    c = int(rng.integers(1, 4))
    h, w = int(rng.integers(12, 40)), int(rng.integers(12, 40))
    shape, layers = (c, h, w), []
    for _ in range(int(rng.integers(3, 7))):
        _, hh, ww = shape
        if rng.random() < 0.6:
            k = int(rng.integers(1, 6))
            p = int(rng.integers(0, k // 2 + 1))
            s = int(rng.integers(1, 3))
            if min(hh, ww) + 2 * p < k:
                break
            layer = ("conv", int(rng.integers(1, 33)), k, s, p)
        else:
            k = int(rng.integers(2, 4))
            s = int(rng.integers(1, k + 1))
            if min(hh, ww) < k:
                break
            layer = ("pool", k, s)
        layers.append(layer)
        if rng.random() < 0.5 and layer[0] == "conv":
            layers.append(("relu",))
        shape = _walk((c, h, w), layers)[-1][0]
    if with_head:
        layers.append(("flatten",))
        for _ in range(int(rng.integers(1, 3))):
            layers += [("linear", int(rng.integers(2, 200))), ("relu",)]
        layers.append(("linear", int(rng.integers(2, 20))))
    return (c, h, w), layers


# The fixed networks of the visible cases: (name, input shape, layers).
_NETWORKS = [
    ("LeNet-5 on a 1x28x28 image", (1, 28, 28), LENET),
    (
        "stride 2 that does not divide: 16 -> 7, not 7.5",
        (3, 16, 16),
        [("conv", 8, 3, 2, 0), ("relu",), ("conv", 4, 3, 2, 1)],
    ),
    (
        "a rectangular image, 20 x 12",
        (2, 20, 12),
        [("conv", 5, 3, 1, 1), ("pool", 2, 2), ("conv", 7, 3, 1, 0)],
    ),
    (
        "pooling an odd size drops the last row: 7 -> 3",
        (4, 7, 7),
        [("pool", 2, 2), ("flatten",), ("linear", 3)],
    ),
    (
        "overlapping pooling, kernel 3, stride 2",
        (3, 13, 13),
        [("conv", 6, 1, 1, 0), ("pool", 3, 2), ("pool", 3, 2)],
    ),
    (
        "a kernel as large as the image gives 1 x 1",
        (3, 5, 5),
        [("conv", 10, 5, 1, 0), ("flatten",), ("linear", 2)],
    ),
    (
        "an MLP: flatten first, then linear layers",
        (1, 28, 28),
        [("flatten",), ("linear", 256), ("relu",), ("linear", 256), ("relu",), ("linear", 10)],
    ),
    ("no layers at all", (3, 8, 8), []),
]


def _network_cases(seed: int, salt: int, column: int) -> list[Case]:
    rng = case_rng(seed, salt)

    def case(name, input_shape, layers, hidden=False):
        input_shape, layers = tuple(int(s) for s in input_shape), _plain(layers)
        expected = tuple(row[column] for row in _walk(input_shape, layers))
        return Case(name, (input_shape, layers), expected, 0.0, hidden)

    cases = [case(*net) for net in _NETWORKS]
    if column > 0:  # counts: also a network whose counts do not fit in 32 bits
        cases.append(
            case(
                "counts above 2**31: use Python ints (or int64)",
                (512, 64, 64),
                [("conv", 2048, 7, 1, 3), ("flatten",), ("linear", 1000)],
            )
        )
    cases += [
        case("hidden: a random stack with a classifier head", *_random_stack(rng, True), True),
        case("hidden: a random stack of convolutions and poolings", *_random_stack(rng, False),
             True),
        case("hidden: LeNet-5 on a 3x32x32 colour image", (3, 32, 32), LENET[:6], True),
    ]  # fmt: skip
    return cases


def _shapes_cases(seed: int) -> list[Case]:
    return _network_cases(seed, 1, 0)


def _parameters_cases(seed: int) -> list[Case]:
    return _network_cases(seed, 2, 1)


def _macs_cases(seed: int) -> list[Case]:
    return _network_cases(seed, 3, 2)


# ---------------------------------------------------------------------------------------------
# Per-class accuracy
# ---------------------------------------------------------------------------------------------


def _per_class_reference(y_true, y_pred, k) -> np.ndarray:
    right, total = [0] * k, [0] * k
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        total[t] += 1
        right[t] += int(t == p)
    return np.array([r / n if n else 0.0 for r, n in zip(right, total, strict=True)])


def _per_class_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, y_true, y_pred, k, hidden=False):
        y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
        return Case(name, (y_true, y_pred, k), _per_class_reference(y_true, y_pred, k), F64,
                    hidden)  # fmt: skip

    y = rng.integers(0, 10, 500)
    noisy = np.where(rng.random(500) < 0.8, y, rng.integers(0, 10, 500))
    y7 = rng.integers(0, 7, 300)
    return [
        case("six examples, three classes", [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2], 3),
        case("500 examples, 10 classes, about 80% right", y, noisy, 10),
        case("class 2 never occurs: its accuracy is 0", [0, 1, 3, 3], [0, 0, 3, 2], 4),
        case("predictions of an absent class count as wrong", [0, 0, 1], [2, 0, 2], 3),
        case("all correct: ones", y[:50], y[:50], 10),
        case("a batch of one", [1], [1], 2),
        case("hidden: 300 examples, 7 classes", y7, rng.integers(0, 7, 300), 7, True),
        case("hidden: unbalanced, classes 0 and 4 only", [0] * 30 + [4] * 3,
             [0] * 25 + [1] * 5 + [4, 0, 4], 5, True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The most confident mistakes
# ---------------------------------------------------------------------------------------------


def _mistakes_reference(logits, labels, k) -> np.ndarray:
    found = []
    for i, row in enumerate(logits.tolist()):
        best = max(range(len(row)), key=lambda j: (row[j], -j))  # first maximum
        if best != labels[i]:
            top = row[best]
            confidence = 1.0 / sum(math.exp(v - top) for v in row)  # softmax of the maximum
            found.append((-confidence, i))
    found.sort()  # most confident first; equal confidences: smaller index first
    return np.array([i for _, i in found[:k]], dtype=np.int64)


def _confidences(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return 1.0 / np.exp(z).sum(axis=1)


def _well_separated(rng, n, c, scale, offset=0.0, min_gap=1e-7):
    """Random logits whose confidences differ pairwise by more than min_gap (relative)."""
    for _ in range(1000):
        logits = offset + scale * rng.normal(size=(n, c))
        conf = np.sort(_confidences(logits))
        if np.all(np.diff(conf) > min_gap * conf[1:]):
            return logits
    raise RuntimeError("could not draw well-separated logits")  # pragma: no cover


def _mistakes_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, logits, labels, k, hidden=False):
        logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
        ref = _mistakes_reference(logits, labels.tolist(), int(k))
        return Case(name, (logits, labels, int(k)), ref, 0.0, hidden)

    logits = _well_separated(rng, 40, 10, 2.0)
    labels = rng.integers(0, 10, 40)
    # Row 1 has the largest logit but shares it with a close second, so it is not confident.
    not_by_logit = np.array([[2.0, 0.0, 0.0], [5.0, 4.9, 0.0], [0.0, 3.0, 0.5], [1.0, 0.0, 0.2]])
    tied = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0], [0.0, 2.0, 1.0], [0.5, 0.1, 0.0]])
    big = _well_separated(rng, 30, 10, 3.0, offset=1000.0)
    many = _well_separated(rng, 300, 10, 2.5)
    return [
        case("40 examples, 10 classes, k = 5", logits, labels, 5),
        case("rank by probability, not by the largest logit", not_by_logit, [1, 2, 0, 1], 3),
        case("equal confidences: the smaller index first", tied, [0, 1, 0, 1], 3),
        case("fewer mistakes than k: return them all", logits, np.argmax(logits, 1) * 0 + 3, 40),
        case("no mistakes: an empty array", logits[:6], np.argmax(logits[:6], 1), 3),
        case("k = 0", logits, labels, 0),
        case("logits around 1000: shift by the maximum before exp", big, rng.integers(0, 10, 30),
             4),
        case("hidden: 300 examples, k = 12", many, rng.integers(0, 10, 300), 12, True),
        case("hidden: two classes, k = 3", _well_separated(rng, 25, 2, 1.5),
             rng.integers(0, 2, 25), 3, True),
    ]  # fmt: skip


EXERCISES = [
    Exercise(
        id="lenet.output_shapes",
        function="output_shapes",
        points=2,
        chapter="lenet",
        title="the shape after every layer of a convolutional network",
        hint="size -> (size + 2 * padding - kernel) // stride + 1; flatten multiplies C, H, W",
        make_cases=_shapes_cases,
    ),
    Exercise(
        id="lenet.count_parameters",
        function="count_parameters",
        points=2,
        chapter="lenet",
        title="the parameters of every layer of a convolutional network",
        hint="conv: out * (in * k * k + 1); linear: out * (in + 1); relu, pool, flatten: 0",
        make_cases=_parameters_cases,
    ),
    Exercise(
        id="lenet.count_macs",
        function="count_macs",
        points=2,
        chapter="lenet",
        title="the multiply-accumulates of every layer for one image",
        hint="conv: every value of the output map is a dot product of in * k * k numbers",
        make_cases=_macs_cases,
    ),
    Exercise(
        id="lenet.per_class_accuracy",
        function="per_class_accuracy",
        points=2,
        chapter="lenet",
        title="accuracy on each class",
        hint="for class c: among the examples whose true label is c, the fraction predicted c",
        make_cases=_per_class_cases,
    ),
    Exercise(
        id="lenet.most_confident_mistakes",
        function="most_confident_mistakes",
        points=3,
        chapter="lenet",
        title="the most confident mistakes",
        hint="keep the wrong rows, sort them by the softmax probability of the predicted class",
        make_cases=_mistakes_cases,
    ),
]
