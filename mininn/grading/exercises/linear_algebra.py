"""Graded exercises of the linear-algebra chapter: the chapter's algorithms, written by hand.

Each reference is computed here in float64 from the case's inputs with NumPy's own routines
(`np.linalg.solve`, `np.linalg.qr`, `np.linalg.svd`, `@`), with an overflow-safe closed form,
or, for power iteration, by running the exact procedure the statement prescribes. Inputs
are built so that every reference is well defined and well conditioned: the answers the
students' code is compared against do not hinge on rounding.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-4, 1e-9  # relative-error tolerances suited to each precision


def _tol(*arrays: np.ndarray) -> float:
    return F32 if any(a.dtype == np.float32 for a in arrays) else F64


def _away_from_zero(rng: np.random.Generator, shape, low: float = 0.5, high: float = 2.0):
    """Random entries with magnitudes in [low, high] and random signs."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------------------------------------
# 1. Projection onto a vector
# ---------------------------------------------------------------------------------------------


def _project_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    u = y64 / np.max(np.abs(y64))  # rescaled so that u @ u neither overflows nor underflows
    return ((x64 @ u) / (u @ u) * u).astype(x.dtype)


def _project_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, x, y, hidden=False):
        return Case(name, (x, y), _project_reference(x, y), _tol(x, y), hidden)

    def pair(n):
        # x has a clear component along y, so x @ y is rarely close to 0 (a 0 would make
        # the relative error of p meaningless).
        y = rng.standard_normal(n)
        return 0.8 * y * rng.choice([-1.0, 1.0]) + 0.5 * rng.standard_normal(n), y

    x, y = pair(5)
    x32, y32 = pair(6)
    xs, ys = pair(50)
    return [
        case("random vectors of length 5", x, y),
        case("x orthogonal to y", np.array([2.0, 1.0, 0.0]), np.array([1.0, -2.0, 7.0])),
        case("x parallel to y", -3 * y, y),
        case("vectors of length 1", np.array([5.0]), np.array([-2.0])),
        case("float32 inputs", x32.astype(np.float32), y32.astype(np.float32)),
        case("huge y (entries ~1e200)", x, y * 1e200),
        case("tiny y (entries ~1e-200)", x, y * 1e-200),
        case(
            "float32, huge y (entries ~1e25)",
            x32.astype(np.float32),
            (y32 * 1e25).astype(np.float32),
        ),
        case("length 50, huge x and tiny y", xs * 1e250, ys * 1e-250, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Matrix product with loops
# ---------------------------------------------------------------------------------------------


def _matmul_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, A, B, hidden=False):
        ref = (A.astype(np.float64) @ B.astype(np.float64)).astype(A.dtype)
        return Case(name, (A, B), ref, _tol(A, B), hidden)

    def rand(*shape):
        return _away_from_zero(rng, shape)

    def positive(*shape):  # positive entries: no cancellation in the sums, for float32
        return rng.uniform(0.5, 2.0, shape)

    return [
        case("(3, 4) @ (4, 2)", rand(3, 4), rand(4, 2)),
        case("(2, 5) @ (5, 3)", rand(2, 5), rand(5, 3)),
        case("1 x 1 matrices", np.array([[3.0]]), np.array([[-2.5]])),
        case("a row times a column: (1, 4) @ (4, 1)", rand(1, 4), rand(4, 1)),
        case("a column times a row: (3, 1) @ (1, 4)", rand(3, 1), rand(1, 4)),
        case("identity @ B", np.eye(3), rand(3, 4)),
        case(
            "float32 (4, 3) @ (3, 5)",
            positive(4, 3).astype(np.float32),
            positive(3, 5).astype(np.float32),
        ),
        case("large values (~1e150)", rand(2, 3) * 1e150, rand(3, 2)),
        case("(7, 6) @ (6, 8)", positive(7, 6), rand(6, 8), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Back substitution
# ---------------------------------------------------------------------------------------------


def _triangular_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def upper(n, junk=False, dtype=np.float64):
        # Diagonal entries of size 1 to 3 and small entries above: a well-conditioned U.
        U = np.triu(rng.standard_normal((n, n)) * 0.3, 1) + np.diag(
            _away_from_zero(rng, n, 1.0, 3.0)
        )
        if junk:
            U += np.tril(rng.standard_normal((n, n)) * 5, -1)  # must be ignored
        return U.astype(dtype)

    def rhs(U, shape):
        # b = triu(U) @ x_true with every entry of x_true of size 0.5 to 2.
        x_true = _away_from_zero(rng, shape)
        return (np.triu(U).astype(np.float64) @ x_true).astype(U.dtype)

    def case(name, U, b, hidden=False):
        ref = np.linalg.solve(np.triu(U).astype(np.float64), b.astype(np.float64)).astype(b.dtype)
        return Case(name, (U, b), ref, _tol(U, b), hidden)

    U5, U4 = upper(5), upper(4, junk=True)
    U32 = upper(4, dtype=np.float32)
    Ubig = upper(4) * 1e150
    U12 = upper(12, junk=True)
    return [
        case("5 x 5, b of shape (5,)", U5, rhs(U5, 5)),
        case("entries below the diagonal are ignored", U4, rhs(U4, 4)),
        case("1 x 1", np.array([[4.0]]), np.array([2.0])),
        case("the identity", np.eye(3), np.array([1.0, -2.0, 3.0])),
        case("b of shape (5, 1): one right-hand side as a column", U5, rhs(U5, (5, 1))),
        case("b of shape (5, 3): three right-hand sides", U5, rhs(U5, (5, 3))),
        case("float32 inputs", U32, rhs(U32, 4)),
        case("large values: U and b ~1e150", Ubig, rhs(Ubig, 4)),
        case(
            "12 x 12 with entries below the diagonal, b of shape (12, 2)",
            U12,
            rhs(U12, (12, 2)),
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Gram-Schmidt
# ---------------------------------------------------------------------------------------------


def _gram_schmidt_reference(A: np.ndarray) -> np.ndarray:
    Q, R = np.linalg.qr(A.astype(np.float64))
    return (Q * np.sign(np.diag(R))).astype(A.dtype)  # the convention: R has a positive diagonal


def _gram_schmidt_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, A, hidden=False):
        return Case(name, (A,), _gram_schmidt_reference(A), _tol(A), hidden)

    def well_conditioned(m, n, spread=True):
        # A = Q0 R0, with orthonormal Q0 and upper triangular R0 with diagonal entries 1 to 2,
        # so the answer is Q0. With spread=True every entry of Q0 has size at least 0.1 (for
        # the float32 case, where small entries of Q would lose their relative accuracy). The
        # columns of Q0 get random signs, and A is redrawn until np.linalg.qr(A) alone gets a
        # sign wrong, so that forgetting the sign convention shows.
        while True:
            Q0, _ = np.linalg.qr(rng.standard_normal((m, n)))
            if spread and np.abs(Q0).min() < 0.1:
                continue
            Q0 = Q0 * rng.choice([-1.0, 1.0], n)
            R0 = np.triu(rng.standard_normal((n, n)) * 0.5, 1) + np.diag(rng.uniform(1.0, 2.0, n))
            A = Q0 @ R0
            if (np.diag(np.linalg.qr(A)[1]) < 0).any():
                return A

    column = rng.standard_normal((6, 1))
    column[0] = abs(column[0])  # np.linalg.qr would return -column / norm(column)
    A = well_conditioned(5, 3, spread=False)
    return [
        case("5 x 3", A),
        case("square 4 x 4", well_conditioned(4, 4, spread=False)),
        case("a single column, shape (6, 1)", column),
        case("1 x 1 with a negative entry", np.array([[-2.0]])),
        case("the identity", np.eye(3)),
        case("float32 4 x 3", well_conditioned(4, 3).astype(np.float32)),
        case("large values (~1e100)", A * 1e100),
        case("20 x 8", well_conditioned(20, 8, spread=False), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Power iteration
# ---------------------------------------------------------------------------------------------


def _power_reference(A: np.ndarray, num_steps: int) -> tuple[float, np.ndarray]:
    """The exact procedure of the statement, in float64."""
    A64 = A.astype(np.float64)
    n = A64.shape[0]
    x = np.ones(n) / np.sqrt(n)
    for _ in range(num_steps):
        y = A64 @ x
        x = y / np.linalg.norm(y)
    lam = float(x @ A64 @ x)
    if x[np.argmax(np.abs(x))] < 0:
        x = -x
    return lam, x.astype(A.dtype)


def _power_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, A, steps, hidden=False):
        return Case(name, (A, steps), _power_reference(A, steps), _tol(A), hidden)

    def symmetric(eigenvalues):
        # Q diag(eigenvalues) Q^T whose first eigenvector (for eigenvalues[0]) has entries of
        # size 0.3 to 0.8 plus one entry of size 1, so its largest entry is never a near tie.
        # The starting vector ones(n) / sqrt(n) is far from orthogonal to it.
        n = len(eigenvalues)
        while True:
            v = _away_from_zero(rng, n, 0.3, 0.8)
            v[rng.integers(n)] = rng.choice([-1.0, 1.0])
            if abs(v.sum()) >= 0.3 * np.sqrt(n) * np.linalg.norm(v):
                break
        Q, _ = np.linalg.qr(np.column_stack([v, rng.standard_normal((n, n - 1))]))
        return Q @ np.diag(eigenvalues) @ Q.T

    A4 = symmetric([5.0, 2.0, -1.0, 0.5])
    return [
        case("symmetric 4 x 4, 3 steps (not converged yet)", A4, 3),
        case("zero steps: the starting vector", A4, 0),
        case("symmetric 6 x 6, 100 steps", symmetric([8.0, 3.0, 2.0, -2.5, 1.0, 0.5]), 100),
        case("1 x 1 with a negative entry", np.array([[-3.0]]), 5),
        case("the identity", np.eye(3), 10),
        case("negative dominant eigenvalue", symmetric([-6.0, 3.0, 1.0, -0.5]), 60),
        case("non-symmetric 2 x 2 from the chapter", np.array([[4.0, 1.0], [2.0, 3.0]]), 40),
        case(
            "float32 5 x 5, 60 steps", symmetric([4.0, 1.0, -1.0, 0.5, 0.2]).astype(np.float32), 60
        ),
        case("large values (~1e100), 40 steps", symmetric([3.0, 1.0, 0.5]) * 1e100, 40),
        case("symmetric 10 x 10, 7 steps", symmetric(np.linspace(6.0, -4.0, 10)), 7, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 6. Low-rank approximation
# ---------------------------------------------------------------------------------------------


def _low_rank_reference(A: np.ndarray, k: int) -> np.ndarray:
    U, s, Vt = np.linalg.svd(A.astype(np.float64), full_matrices=False)
    return ((U[:, :k] * s[:k]) @ Vt[:k]).astype(A.dtype)


def _low_rank_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def case(name, A, k, hidden=False):
        tol = F32 if A.dtype == np.float32 else 1e-7
        return Case(name, (A, k), _low_rank_reference(A, k), tol, hidden)

    A = rng.standard_normal((6, 4))
    rank2 = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    # Positive entries: the best rank-1 approximation then has entries of size about 1 too.
    positive = rng.uniform(1.0, 2.0, (5, 4)).astype(np.float32)
    return [
        case("6 x 4, k = 2", A, 2),
        case("wide 3 x 5, k = 1", rng.standard_normal((3, 5)), 1),
        case("k = 0: the zero matrix", A, 0),
        case("k = min(m, n): A itself", A, 4),
        case("a matrix of rank 2, k = 2", rank2, 2),
        case("1 x 1", np.array([[-1.5]]), 1),
        case("float32 5 x 4 with positive entries, k = 1", positive, 1),
        case("large values (~1e200), k = 2", A * 1e200, 2),
        case("12 x 9, k = 3", rng.standard_normal((12, 9)), 3, hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="linalg.project",
        function="project",
        points=2,
        chapter="linear_algebra",
        title="projection onto a vector, without overflow",
        hint="p is unchanged when y is rescaled: rescale y first, so that y @ y stays finite",
        make_cases=_project_cases,
    ),
    Exercise(
        id="linalg.matmul_loops",
        function="matmul_loops",
        points=2,
        chapter="linear_algebra",
        title="matrix product with explicit loops",
        hint="C[i, j] is the sum over k of A[i, k] * B[k, j]; C has shape (m, p)",
        make_cases=_matmul_cases,
    ),
    Exercise(
        id="linalg.solve_upper_triangular",
        function="solve_upper_triangular",
        points=2,
        chapter="linear_algebra",
        title="back substitution",
        hint="solve for the last unknown first, then work upwards; handle 1-D and 2-D b",
        make_cases=_triangular_cases,
    ),
    Exercise(
        id="linalg.gram_schmidt",
        function="gram_schmidt",
        points=3,
        chapter="linear_algebra",
        title="Gram-Schmidt orthonormalization",
        hint="subtract from each column its projections onto the earlier q's, then normalize",
        make_cases=_gram_schmidt_cases,
    ),
    Exercise(
        id="linalg.power_iteration",
        function="power_iteration",
        points=3,
        chapter="linear_algebra",
        title="power iteration with a fixed start and sign",
        hint="follow the statement step by step: the start, the normalisation, then the sign rule",
        make_cases=_power_cases,
    ),
    Exercise(
        id="linalg.low_rank_approx",
        function="low_rank_approx",
        points=2,
        chapter="linear_algebra",
        title="best rank-k approximation",
        hint="np.linalg.svd gives the terms; keep the k with the largest singular values",
        make_cases=_low_rank_cases,
    ),
]
