"""Graded exercises of the chapter "Looking inside a CNN": the saliency of a softmax-regression
model in closed form, the batch of occluded images and the occlusion map built from it, the
scaling of filters for display, and the most confident images of each class.

The references are written here with explicit loops over pixels, patch positions and
classes, in float64 Python arithmetic, never with the student's code and never with mininn.

How answers are compared: floating arrays with a relative tolerance (1e-7 for the saliency,
which must be computed in float64 even from float32 inputs; 1e-6 for the occlusion map, 1e-4
for float32 probabilities; 1e-12 or 1e-5 for filters in float64 or float32; the occluded
images exactly); indices exactly. Cases include float32 inputs, logits around 1000 (a
softmax without the max-shift overflows), rectangular images, strides that do not divide
the size, strides larger than the patch (pixels that no patch covers), a patch as large as
the image, constant filters and tied probabilities.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng


def _positions(h: int, w: int, patch: int, stride: int) -> list[tuple[int, int]]:
    """Top-left corners of every patch inside an h x w image, row by row."""
    out = []
    top = 0
    while top + patch <= h:
        left = 0
        while left + patch <= w:
            out.append((top, left))
            left += stride
        top += stride
    return out


# ---------------------------------------------------------------------------------------------
# Saliency of softmax regression
# ---------------------------------------------------------------------------------------------


def _saliency_reference(W, b, X, labels) -> np.ndarray:
    W64, b64, X64 = (np.asarray(a, dtype=np.float64) for a in (W, b, X))
    k, d = W64.shape
    out = np.zeros((len(X64), d))
    for n, (x, c) in enumerate(zip(X64.tolist(), labels.tolist(), strict=True)):
        z = [sum(wi * xi for wi, xi in zip(W64[j].tolist(), x, strict=True)) + b64[j]
             for j in range(k)]  # fmt: skip
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        p = [v / total for v in e]
        for i in range(d):
            mean_w = sum(p[j] * W64[j, i] for j in range(k))
            out[n, i] = W64[c, i] - mean_w
    return out


def _saliency_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1, 77)

    def case(name, W, b, X, labels, rtol=1e-7, hidden=False):
        labels = np.asarray(labels, np.int64)
        return Case(name, (W, b, X, labels), _saliency_reference(W, b, X, labels), rtol, hidden)

    def draw(n, k, d, dtype=np.float64, offset=0.0, scale=1.0):
        W = (scale * rng.normal(size=(k, d))).astype(dtype)
        b = (offset + rng.normal(size=k)).astype(dtype)
        X = rng.normal(size=(n, d)).astype(dtype)
        return W, b, X, rng.integers(0, k, n)

    W2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    return [
        case("two classes, two pixels, x = 0: p = (1/2, 1/2)", W2, np.zeros(2),
             np.zeros((1, 2)), [0]),
        case("5 images, 3 classes, 4 pixels", *draw(5, 3, 4)),
        case("one class only: the gradient of log 1 is 0", *draw(3, 1, 6)),
        case("biases around 1000: shift by the maximum", *draw(4, 5, 8, offset=1000.0)),
        case("float32 inputs: compute and return float64", *draw(6, 10, 20, dtype=np.float32)),
        case("hidden: 8 images of 7 x 7 pixels, 10 classes", *draw(8, 10, 49), hidden=True),
        case("hidden: large weights, nearly one-hot probabilities",
             *draw(4, 4, 5, scale=6.0), rtol=1e-6, hidden=True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The batch of occluded images
# ---------------------------------------------------------------------------------------------


def _occlusion_images_reference(image, patch, stride, value) -> np.ndarray:
    h, w = image.shape
    pos = _positions(h, w, patch, stride)
    out = np.empty((len(pos), h, w), dtype=image.dtype)
    for n, (t, left) in enumerate(pos):
        for i in range(h):
            for j in range(w):
                inside = t <= i < t + patch and left <= j < left + patch
                out[n, i, j] = value if inside else image[i, j]
    return out


def _occlusion_images_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2, 77)

    def case(name, image, patch, stride, value, hidden=False):
        ref = _occlusion_images_reference(image, patch, stride, value)
        return Case(name, (image, int(patch), int(stride), float(value)), ref, 0.0, hidden)

    img28 = rng.random((28, 28))
    return [
        case("a 4 x 4 image, patch 2, stride 2: four copies", np.arange(16.0).reshape(4, 4),
             2, 2, -1.0),
        case("28 x 28, patch 6, stride 2: 144 copies", img28, 6, 2, 0.0),
        case("rectangular 9 x 6, patch 3, stride 2 (does not divide)", rng.random((9, 6)),
             3, 2, -0.5),
        case("a patch as large as the image: one copy", rng.random((5, 5)), 5, 1, 0.0),
        case("stride larger than the patch", rng.random((10, 10)), 2, 4, 9.0),
        case("float32 image, patch 1", rng.random((6, 5)).astype(np.float32), 1, 1, -0.8),
        case("hidden: 28 x 28, patch 7, stride 3", img28, 7, 3, -0.81, True),
        case("hidden: 12 x 20, patch 4, stride 4", rng.random((12, 20)), 4, 4, 1.5, True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The occlusion map
# ---------------------------------------------------------------------------------------------


def _occlusion_map_reference(probs, label, base_prob, image_shape, patch, stride):
    h, w = image_shape
    pos = _positions(h, w, patch, stride)
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            drops = [float(base_prob) - float(probs[n, label])
                     for n, (t, left) in enumerate(pos)
                     if t <= i < t + patch and left <= j < left + patch]  # fmt: skip
            if drops:
                out[i, j] = sum(drops) / len(drops)
    return out


def _occlusion_map_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3, 77)

    def probs_for(n, k):
        z = 2.0 * rng.normal(size=(n, k))
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def case(name, shape, patch, stride, k, hidden=False, dtype=np.float64):
        n = len(_positions(*shape, patch, stride))
        probs = probs_for(n, k).astype(dtype)
        label = int(rng.integers(0, k))
        base = float(rng.uniform(0.3, 1.0))
        args = (probs, label, base, tuple(shape), int(patch), int(stride))
        ref = _occlusion_map_reference(probs, label, base, shape, patch, stride)
        return Case(name, args, ref, 1e-6 if dtype == np.float64 else 1e-4, hidden)

    tiny = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    return [
        Case("4 x 4 image, patch 2, stride 2: each pixel is covered once",
             (tiny, 0, 0.9, (4, 4), 2, 2),
             _occlusion_map_reference(tiny, 0, 0.9, (4, 4), 2, 2), 1e-6),
        case("28 x 28, patch 6, stride 2, 10 classes", (28, 28), 6, 2, 10),
        case("overlapping patches: 5 x 5, patch 3, stride 1", (5, 5), 3, 1, 3),
        case("rectangular 9 x 6, patch 3, stride 2: the last row is never covered", (9, 6),
             3, 2, 4),
        case("stride larger than the patch: uncovered pixels are 0", (10, 10), 2, 4, 5),
        case("float32 probabilities", (8, 8), 4, 2, 10, dtype=np.float32),
        case("hidden: 28 x 28, patch 7, stride 3", (28, 28), 7, 3, 10, True),
        case("hidden: a patch as large as the image", (6, 6), 6, 1, 2, True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Filters scaled to [0, 1]
# ---------------------------------------------------------------------------------------------


def _normalize_reference(w) -> np.ndarray:
    out = np.zeros(w.shape)
    for n in range(w.shape[0]):
        vals = [float(v) for v in w[n].ravel()]
        lo, hi = min(vals), max(vals)
        for i in range(w.shape[1]):
            for j in range(w.shape[2]):
                out[n, i, j] = 0.5 if hi == lo else (float(w[n, i, j]) - lo) / (hi - lo)
    return out.astype(w.dtype)


def _normalize_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4, 77)

    def case(name, w, hidden=False):
        rtol = 1e-5 if w.dtype == np.float32 else 1e-12
        return Case(name, (w,), _normalize_reference(w), rtol, hidden)

    six = rng.normal(scale=0.2, size=(6, 5, 5))
    mixed = rng.normal(size=(4, 3, 3))
    mixed[1] = 0.25
    return [
        case("one 2 x 2 filter", np.array([[[-1.0, 0.0], [1.0, 3.0]]])),
        case("six 5 x 5 filters, each on its own scale", six),
        case("a constant filter becomes 0.5 everywhere", mixed),
        case("float32 filters stay float32", six.astype(np.float32)),
        case("a 1 x 1 filter is constant", np.array([[[2.5]], [[-1.0]]])),
        case("hidden: sixteen 3 x 5 filters", rng.normal(size=(16, 3, 5)), True),
        case("hidden: an all-zero filter among others",
             np.concatenate([np.zeros((1, 4, 4)), rng.normal(size=(2, 4, 4))]), True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The most confident images of each class
# ---------------------------------------------------------------------------------------------


def _top_k_reference(probs, k) -> np.ndarray:
    n, classes = probs.shape
    out = np.zeros((classes, k), dtype=np.int64)
    for c in range(classes):
        ranked = sorted(range(n), key=lambda i: (-float(probs[i, c]), i))
        out[c] = ranked[:k]
    return out


def _top_k_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5, 77)

    def probs_for(n, k, scale=2.0):
        z = scale * rng.normal(size=(n, k))
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def case(name, probs, k, hidden=False):
        return Case(name, (probs, int(k)), _top_k_reference(probs, int(k)), 0.0, hidden)

    small = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.1, 0.3], [0.2, 0.2, 0.6]])
    tied = np.array([[0.5, 0.5], [1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    return [
        case("four images, three classes, k = 2", small, 2),
        case("100 images, 10 classes, k = 5", probs_for(100, 10), 5),
        case("ties: the smaller index first", tied, 3),
        case("k = N: every image, sorted", probs_for(7, 3), 7),
        case("k = 1", probs_for(30, 4), 1),
        case("float32 probabilities", probs_for(50, 10).astype(np.float32), 4),
        case("hidden: 500 images, 10 classes, k = 8", probs_for(500, 10, 4.0), 8, True),
        case("hidden: saturated probabilities with ties at 1",
             np.round(probs_for(60, 3, 8.0), 3), 6, True),
    ]  # fmt: skip


EXERCISES = [
    Exercise(
        id="inside.saliency_linear",
        function="saliency_linear",
        points=3,
        chapter="inside",
        title="the input gradient of log p_c for softmax regression",
        hint="d log p_c / dx = W[c] - sum_k p_k W[k], with p the softmax of W x + b",
        make_cases=_saliency_cases,
    ),
    Exercise(
        id="inside.occlusion_images",
        function="occlusion_images",
        points=2,
        chapter="inside",
        title="the batch of occluded copies of an image",
        hint="tops 0, stride, ... while top + patch <= H (same for lefts); row-major order",
        make_cases=_occlusion_images_cases,
    ),
    Exercise(
        id="inside.occlusion_map",
        function="occlusion_map",
        points=3,
        chapter="inside",
        title="the occlusion map of probability drops",
        hint="add base_prob - probs[n, label] under patch n and count; divide where count > 0",
        make_cases=_occlusion_map_cases,
    ),
    Exercise(
        id="inside.normalize_filters",
        function="normalize_filters",
        points=1,
        chapter="inside",
        title="each filter scaled to [0, 1] for display",
        hint="(w - min) / (max - min) per filter; 0.5 where max == min; keep the dtype",
        make_cases=_normalize_cases,
    ),
    Exercise(
        id="inside.top_k_per_class",
        function="top_k_per_class",
        points=2,
        chapter="inside",
        title="the most confident images of each class",
        hint="for each column, np.argsort(-probs[:, c], kind='stable')[:k]",
        make_cases=_top_k_cases,
    ),
]
