"""mininn: a small PyTorch-like deep-learning library in NumPy, built chapter by chapter.

>>> import mininn
>>> x = mininn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from mininn import data, datasets, functional, metrics, nn, optim, train
from mininn._malloc import _tune_on_import
from mininn.gradcheck import GradcheckError, gradcheck
from mininn.serialization import load, save
from mininn.tensor import (
    Context,
    Function,
    Tensor,
    default_generator,
    enable_grad,
    is_grad_enabled,
    manual_seed,
    no_grad,
    ones,
    rand,
    randn,
    tensor,
    zeros,
)

__version__ = "0.1.0"

# Keep freed large arrays in the process for reuse (a third of a CNN training step was page
# faults without it); MININN_MALLOC_TUNING=0 turns it off. See mininn/_malloc.py.
MALLOC_TUNED = _tune_on_import()

__all__ = [
    "Tensor",
    "Function",
    "Context",
    "tensor",
    "zeros",
    "ones",
    "randn",
    "rand",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "manual_seed",
    "default_generator",
    "gradcheck",
    "GradcheckError",
    "functional",
    "nn",
    "optim",
    "data",
    "datasets",
    "metrics",
    "train",
    "save",
    "load",
]
