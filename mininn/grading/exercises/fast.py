"""Graded exercises of the chapter "Making it fast with Numba": counting the work of a
convolution, computing it as im2col and one matrix product, and reading timings.

The functions are checked by their values, never by their speed. The references here are
written independently of the student's approach and of mininn's kernels: im2col, col2im and
the convolution by explicit loops over every index (small inputs keep them quick), the flop
counts by the closed form, the speed-ups with NumPy's median.

How answers are compared: flop counts are tuples of Python integers, compared exactly (NumPy
integers are accepted); arrays with a relative tolerance of 1e-5 for float32 inputs (small
integers, whose sums are exact in any order) and 1e-8 for float64 (sums in another order
differ by rounding only); speed-ups with 1e-8. Cases include padding, strides that do not
divide the size, rectangular images and kernels, 1x1 kernels, a single image and channel,
padding wider than the kernel reaches, counts above 2**31, and timing tables with an even
number of repeats (the median averages the two middle values) and a baseline that is not
the first method.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-8


def _out(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


# ---------------------------------------------------------------------------------------------
# 1. Flops of a convolution's forward and backward passes
# ---------------------------------------------------------------------------------------------


def _flops_ref(x_shape, w_shape, stride, padding):
    n, c, h, w = (int(v) for v in x_shape)
    o, _, kh, kw = (int(v) for v in w_shape)
    oh = _out(h, kh, int(stride[0]), int(padding[0]))
    ow = _out(w, kw, int(stride[1]), int(padding[1]))
    forward = 2 * n * o * oh * ow * c * kh * kw
    return forward, 2 * forward


_FLOP_SHAPES = [
    ("LeNet layer 1, batch 128", (128, 1, 28, 28), (6, 1, 5, 5), (1, 1), (2, 2)),
    ("LeNet layer 2, batch 128", (128, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0)),
    ("stride 2 that does not divide, 15 -> 7", (4, 3, 15, 15), (8, 3, 3, 3), (2, 2), (1, 1)),
    ("rectangular image and kernel", (2, 5, 20, 11), (7, 5, 3, 1), (1, 2), (1, 0)),
    ("1x1 kernel", (3, 64, 8, 8), (32, 64, 1, 1), (1, 1), (0, 0)),
]


def _flops_cases(seed: int) -> list[Case]:
    cases = [
        Case(name, (x, w, s, p), _flops_ref(x, w, s, p), rtol=0.0)
        for name, x, w, s, p in _FLOP_SHAPES
    ]
    big = ((512, 256, 56, 56), (256, 256, 3, 3), (1, 1), (1, 1))
    cases.append(Case("a count above 2**31", big, _flops_ref(*big), rtol=0.0))
    rng = case_rng(seed, 1)
    for k in range(4):
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        x = (int(rng.integers(1, 9)), int(rng.integers(1, 9)),
             int(rng.integers(kh, 30)), int(rng.integers(kw, 30)))  # fmt: skip
        w = (int(rng.integers(1, 17)), x[1], kh, kw)
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        p = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        cases.append(Case(f"random shapes {k}", (x, w, s, p), _flops_ref(x, w, s, p), 0.0, True))
    return cases


# ---------------------------------------------------------------------------------------------
# 2-4. im2col, col2im, convolution: explicit loops over every index
# ---------------------------------------------------------------------------------------------


def _im2col_ref(x, kernel, stride, padding):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = _out(h, kh, sh, ph), _out(w, kw, sw, pw)
    cols = np.zeros((c * kh * kw, n * oh * ow), dtype=x.dtype)
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                row = (ci * kh + i) * kw + j
                for ni in range(n):
                    for y in range(oh):
                        for xo in range(ow):
                            r, q = y * sh - ph + i, xo * sw - pw + j
                            if 0 <= r < h and 0 <= q < w:
                                cols[row, (ni * oh + y) * ow + xo] = x[ni, ci, r, q]
    return cols


def _col2im_ref(cols, x_shape, kernel, stride, padding):
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = _out(h, kh, sh, ph), _out(w, kw, sw, pw)
    x = np.zeros((n, c, h, w), dtype=np.float64)
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                row = (ci * kh + i) * kw + j
                for ni in range(n):
                    for y in range(oh):
                        for xo in range(ow):
                            r, q = y * sh - ph + i, xo * sw - pw + j
                            if 0 <= r < h and 0 <= q < w:
                                x[ni, ci, r, q] += cols[row, (ni * oh + y) * ow + xo]
    return x.astype(cols.dtype)


def _conv_ref(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    oh, ow = _out(h, kh, sh, ph), _out(wd, kw, sw, pw)
    out = np.zeros((n, o, oh, ow), dtype=np.float64)
    for ni in range(n):
        for oi in range(o):
            for y in range(oh):
                for xo in range(ow):
                    acc = float(b[oi])
                    for ci in range(c):
                        for i in range(kh):
                            for j in range(kw):
                                r, q = y * sh - ph + i, xo * sw - pw + j
                                if 0 <= r < h and 0 <= q < wd:
                                    acc += float(x[ni, ci, r, q]) * float(w[oi, ci, i, j])
                    out[ni, oi, y, xo] = acc
    return out.astype(x.dtype)


# (name, x shape, kernel, stride, padding, dtype)
_GEOMETRIES = [
    ("one 5x5 image, 3x3 kernel", (1, 1, 5, 5), (3, 3), (1, 1), (0, 0), np.float64),
    ("a batch with channels and padding 1", (2, 3, 6, 6), (3, 3), (1, 1), (1, 1), np.float32),
    ("stride 2 that does not divide: 7 -> 3", (2, 2, 7, 7), (3, 3), (2, 2), (0, 0), np.float64),
    ("rectangular image and kernel, different strides", (3, 2, 9, 6), (2, 3), (1, 2), (1, 0),
     np.float32),
    ("1x1 kernel", (2, 4, 3, 5), (1, 1), (1, 1), (0, 0), np.float64),
    ("padding wider than the kernel reaches", (1, 2, 4, 4), (2, 2), (1, 1), (2, 2), np.float64),
]  # fmt: skip


def _random_geometry(rng):
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    ph, pw = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    h = int(rng.integers(max(1, kh - 2 * ph), 11))
    w = int(rng.integers(max(1, kw - 2 * pw), 11))
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), h, w)
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    return shape, (kh, kw), stride, (ph, pw), dtype


def _geometries(seed: int, salt: int):
    rows = [(name, *g, False) for name, *g in _GEOMETRIES]
    rng = case_rng(seed, salt)
    for k in range(4):
        rows.append((f"random geometry {k}", *_random_geometry(rng), True))
    return rows


def _tol(dtype) -> float:
    return F32 if np.dtype(dtype) == np.float32 else F64


def _values(rng, shape, dtype):
    """float64: normal values; float32: small integers, whose sums are exact in any order."""
    if np.dtype(dtype) == np.float32:
        return rng.integers(-8, 9, size=shape).astype(np.float32)
    return rng.standard_normal(shape)


def _im2col_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)
    cases = []
    for name, shape, k, s, p, dtype, hidden in _geometries(seed, 12):
        x = rng.standard_normal(shape).astype(dtype)
        cases.append(Case(name, (x, k, s, p), _im2col_ref(x, k, s, p), 0.0, hidden))
    return cases


def _col2im_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)
    cases = []
    for name, shape, k, s, p, dtype, hidden in _geometries(seed, 13):
        n, c, h, w = shape
        rows = c * k[0] * k[1]
        width = n * _out(h, k[0], s[0], p[0]) * _out(w, k[1], s[1], p[1])
        cols = _values(rng, (rows, width), dtype)
        expected = _col2im_ref(cols, shape, k, s, p)
        cases.append(Case(name, (cols, shape, k, s, p), expected, _tol(dtype), hidden))
    return cases


def _conv_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)
    cases = []
    for name, shape, k, s, p, dtype, hidden in _geometries(seed, 14):
        o = int(rng.integers(1, 5))
        x = _values(rng, shape, dtype)
        w = _values(rng, (o, shape[1], *k), dtype)
        b = _values(rng, (o,), dtype)
        expected = _conv_ref(x, w, b, s, p)
        cases.append(Case(name, (x, w, b, s, p), expected, _tol(dtype), hidden))
    return cases


# ---------------------------------------------------------------------------------------------
# 5. Speed-ups from repeated timings
# ---------------------------------------------------------------------------------------------


def _speedup_ref(names, times, baseline):
    medians = [float(np.median(np.asarray(t, dtype=np.float64))) for t in times]
    base = medians[list(names).index(baseline)]
    return np.array([base / m for m in medians])


def _speedup_cases(seed: int) -> list[Case]:
    cases = []
    names = ["python", "njit", "im2col"]
    times = [[2.0, 2.2, 1.9], [0.01, 0.02, 0.011], [0.004, 0.005, 0.0041]]
    cases.append(
        Case(
            "three methods, baseline first",
            (names, times, "python"),
            _speedup_ref(names, times, "python"),
            F64,
        )
    )
    times = [[1.0, 3.0, 2.0, 10.0], [0.5, 0.4, 0.6, 0.3]]
    cases.append(
        Case(
            "an even number of repeats",
            (["loops", "blas"], times, "loops"),
            _speedup_ref(["loops", "blas"], times, "loops"),
            F64,
        )
    )
    times = [[0.2, 0.1, 0.3], [1.0, 1.0, 5.0], [0.05, 0.05, 0.06]]
    cases.append(
        Case(
            "baseline in the middle, an outlier",
            (names, times, "njit"),
            _speedup_ref(names, times, "njit"),
            F64,
        )
    )
    cases.append(Case("one method", (["only"], [[0.7]], "only"), np.array([1.0]), F64))
    rng = case_rng(seed, 5)
    for k in range(3):
        m = int(rng.integers(2, 6))
        reps = int(rng.integers(1, 9))
        names_k = [f"method{i}" for i in range(m)]
        times_k = [[float(v) for v in rng.lognormal(-4, 1.5, reps)] for _ in range(m)]
        base = names_k[int(rng.integers(0, m))]
        cases.append(
            Case(
                f"random timings {k}",
                (names_k, times_k, base),
                _speedup_ref(names_k, times_k, base),
                F64,
                True,
            )
        )
    return cases


EXERCISES = [
    Exercise(
        id="fast.conv_flops",
        function="conv_flops",
        points=2,
        chapter="fast",
        title="the flops of a convolution's forward and backward passes",
        hint="forward: 2 * N * O * OH * OW * C * KH * KW; backward: two products of that size",
        make_cases=_flops_cases,
    ),
    Exercise(
        id="fast.im2col_strided",
        function="im2col_strided",
        points=3,
        chapter="fast",
        title="im2col with NumPy slicing over the filter offsets",
        hint="pad x; for each offset (i, j) take xp[:, :, i : i + sh*OH : sh, j : j + sw*OW : sw]",
        make_cases=_im2col_cases,
    ),
    Exercise(
        id="fast.col2im",
        function="col2im",
        points=3,
        chapter="fast",
        title="col2im, the adjoint of im2col: add every column entry back onto its pixel",
        hint="the same slices as im2col, with += into a padded zero image, then crop the padding",
        make_cases=_col2im_cases,
    ),
    Exercise(
        id="fast.conv_via_matmul",
        function="conv_via_matmul",
        points=2,
        chapter="fast",
        title="a convolution as im2col and one matrix product",
        hint="(O, C*KH*KW) @ cols gives (O, N*OH*OW): reshape to (O, N, OH, OW), move N first",
        make_cases=_conv_cases,
    ),
    Exercise(
        id="fast.speedup_table",
        function="speedup_table",
        points=2,
        chapter="fast",
        title="speed-ups relative to a baseline from repeated timings",
        hint="median of each method's times; speed-up = median(baseline) / median(method)",
        make_cases=_speedup_cases,
    ),
]
