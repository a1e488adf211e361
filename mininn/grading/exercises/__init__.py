"""The registry of graded exercises: ids, points, function names and checks, in one place.

Each chapter module lists its exercises in `EXERCISES`; this package gathers them, in book
order. An id is `<chapter prefix>.<name>`, the chapter is the stem of the notebook in
`solutions/` and `exercises/`, and the function is what the student's cell defines.
"""

from __future__ import annotations

from mininn.grading.exercises import (
    autodiff,
    calculus,
    charlm,
    classifier,
    convolution,
    fast,
    gradients,
    gru,
    initialization,
    inside,
    lenet,
    linear_algebra,
    linear_regression,
    lstm,
    mlp,
    modern,
    optimization,
    pooling,
    probability,
    regularization,
    rnn_basics,
    sequences,
    softmax_regression,
    tasks,
)
from mininn.grading.spec import Exercise

__all__ = ["EXERCISES", "by_chapter"]

_MODULES = (
    linear_algebra,
    calculus,
    autodiff,
    probability,
    linear_regression,
    softmax_regression,
    mlp,
    initialization,
    optimization,
    regularization,
    classifier,
    convolution,
    pooling,
    lenet,
    fast,
    modern,
    inside,
    sequences,
    rnn_basics,
    gradients,
    lstm,
    gru,
    charlm,
    tasks,
)

EXERCISES: dict[str, Exercise] = {}
for _module in _MODULES:
    for _ex in _module.EXERCISES:
        if _ex.id in EXERCISES:
            raise RuntimeError(f"duplicate exercise id {_ex.id}")
        EXERCISES[_ex.id] = _ex


def by_chapter() -> dict[str, list[Exercise]]:
    """Exercises grouped by chapter (notebook stem), in book order.

    >>> from mininn.grading import by_chapter
    >>> chapters = by_chapter()
    >>> list(chapters)[0], chapters["linear_algebra"][0].id
    ('linear_algebra', 'linalg.project')
    """
    chapters: dict[str, list[Exercise]] = {}
    for ex in EXERCISES.values():
        chapters.setdefault(ex.chapter, []).append(ex)
    return chapters
