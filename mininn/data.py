"""Datasets and the DataLoader that cuts them into shuffled minibatches.

A `Dataset` has `__len__` and `__getitem__`. Datasets that can fetch many examples at once
(TensorDataset, the image datasets) also define `__getitems__(indices)`, and the DataLoader
then builds each batch with one fancy-indexing operation per array instead of a Python loop
over samples.

>>> import numpy as np
>>> from mininn.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(np.zeros((10, 2)), np.arange(10)), batch_size=4)
>>> [x.shape for x, y in loader]
[(4, 2), (4, 2), (2, 2)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mininn.tensor import Tensor, default_generator

__all__ = ["Dataset", "TensorDataset", "DataLoader", "random_split", "Subset"]


class Dataset:
    """Base class: subclasses define `__len__` and `__getitem__(i)`.

    >>> import numpy as np
    >>> from mininn.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 10
    ...     def __getitem__(self, i):
    ...         return np.array([i], np.float32), np.array(i * i)
    >>> x, y = Squares()[3]
    >>> len(Squares()), x.shape, int(y)
    (10, (1,), 9)
    """

    def __len__(self) -> int:
        raise NotImplementedError  # abstract

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError  # abstract

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """A batch: by default one __getitem__ per index, stacked field by field."""
        items = [self[int(i)] for i in indices]
        if not isinstance(items[0], tuple):
            return (np.stack([np.asarray(x) for x in items]),)
        return tuple(np.stack([np.asarray(x[k]) for x in items]) for k in range(len(items[0])))


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """Examples are the rows of one or more arrays of equal length (inputs, targets, ...).

    >>> import numpy as np
    >>> from mininn.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((100, 3, 8, 8)), np.arange(100))
    >>> x, y = ds[0]
    >>> len(ds), x.shape, int(y)
    (100, (3, 8, 8), 0)
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_array(a) for a in arrays)
        n = len(self.arrays[0])
        for i, a in enumerate(self.arrays):
            if a.ndim == 0 or len(a) != n:
                raise ValueError(
                    f"TensorDataset: all arrays need the same length; array 0 has {n} rows, "
                    f"array {i} has shape {a.shape}"
                )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order: ``Subset(ds, idx)[i]`` is
    ``ds[idx[i]]``. `random_split` returns these.

    >>> import numpy as np
    >>> from mininn.data import Subset, TensorDataset
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> sub = Subset(ds, [4, 0])
    >>> len(sub), int(sub[0][1])
    (2, 4)
    """
    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return _fetch(self.dataset, self.indices[indices])


def random_split(dataset: Dataset, lengths: Sequence[int], seed: int | None = None) -> list[Subset]:
    """Split into non-overlapping subsets of the given lengths, in a random order.

    >>> import numpy as np
    >>> from mininn.data import TensorDataset, random_split
    >>> ds = TensorDataset(np.zeros((10, 3)), np.arange(10))
    >>> train, val = random_split(ds, [8, 2], seed=0)
    >>> len(train), len(val), train[0][0].shape
    (8, 2, (3,))
    """
    if sum(lengths) != len(dataset):
        raise ValueError(f"lengths {list(lengths)} add up to {sum(lengths)}, not {len(dataset)}")
    rng = default_generator() if seed is None else np.random.default_rng(seed)
    perm = rng.permutation(len(dataset))
    out, start = [], 0
    for n in lengths:
        out.append(Subset(dataset, perm[start : start + n]))
        start += n
    return out


def _fetch(dataset: Dataset, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    batch = dataset.__getitems__(indices)
    return batch if isinstance(batch, tuple) else (batch,)


class DataLoader:
    """Iterate over a dataset in minibatches of Tensors.

    Parameters
    ----------
    batch_size : int
        Examples per batch (the last one may be smaller unless `drop_last`).
    shuffle : bool
        A new random order every epoch (every time you start iterating).
    drop_last : bool
        Skip the last, smaller batch.
    seed : int or None
        Seed of the loader's own generator; None uses mininn's generator
        (`mininn.manual_seed`). Either way, the same seed gives the same batches.

    >>> import numpy as np
    >>> from mininn.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> [(x.shape, y.shape) for x, y in loader]
    [((4, 3), (4,)), ((4, 3), (4,)), ((2, 3), (2,))]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        if self.shuffle:
            rng = self._rng if self._rng is not None else default_generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield tuple(Tensor(a) for a in _fetch(self.dataset, idx))
