"""Graded exercises: checks in the notebook, a grader for the command line.

- `check("autodiff.mul_backward", mul_backward)` gives instant feedback in a notebook.
- `mininn grade NOTEBOOK...` scores notebooks, running the student's code in a separate,
  limited process and comparing its outputs here.
- `mininn assign solutions/ exercises/` writes the student notebooks.
"""

from mininn.grading.check import check
from mininn.grading.exercises import EXERCISES, by_chapter
from mininn.grading.spec import Case, Exercise, compare

__all__ = ["check", "EXERCISES", "by_chapter", "Case", "Exercise", "compare"]
