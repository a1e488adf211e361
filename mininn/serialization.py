"""Save and load parameters as NumPy .npz files (plain arrays, never pickle)."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from mininn.tensor import Tensor

__all__ = ["save", "load"]


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save a state dict (name -> array or Tensor) or a Module's state dict to `path` (.npz).

    The file is written next to its destination and renamed into place, so an interrupted
    save never leaves a half-written file.

    >>> import os, tempfile
    >>> import mininn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> mininn.save(mininn.nn.Linear(3, 2), path)
    >>> {k: v.shape for k, v in mininn.load(path).items()}
    {'weight': (2, 3), 'bias': (2,)}
    """
    from mininn.nn.module import Module

    state = obj.state_dict() if isinstance(obj, Module) else obj
    if not isinstance(state, dict):
        raise TypeError(f"save expects a Module or a dict of arrays, got {type(obj).__name__}")
    arrays = {}
    for k, v in state.items():
        arr = v.data if isinstance(v, Tensor) else np.asarray(v)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: {k!r} is not a numeric array (dtype {arr.dtype})")
        arrays[str(k)] = arr
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """The arrays saved by `save`, by name, in the order they were saved.

    >>> import os, tempfile
    >>> import numpy as np
    >>> import mininn
    >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
    >>> mininn.save({"w": np.zeros((2, 3), np.float32)}, path)
    >>> mininn.load(path)["w"].shape
    (2, 3)
    """
    with np.load(path, allow_pickle=False) as f:
        return OrderedDict((k, f[k]) for k in f.files)
