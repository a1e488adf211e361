"""Module, Parameter and Sequential: the containers every layer is built from.

A `Module` finds its parameters, buffers and sub-modules by looking at the attributes you
set, in the order you set them, exactly as PyTorch's `nn.Module` does::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(784, 256)
            self.out = Linear(256, 10)

        def forward(self, x):
            return self.out(self.hidden(x).relu())
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from mininn.tensor import Tensor

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter(Tensor):
    """A tensor that is a learnable parameter of a Module (requires_grad is True).

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> w = nn.Parameter(mininn.randn(3, 2).data)
    >>> w.shape, w.requires_grad
    ((3, 2), True)
    """

    def __init__(self, data: Any, requires_grad: bool = True):
        arr = data.data if isinstance(data, Tensor) else np.asarray(data)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model.

    >>> import mininn
    >>> from mininn import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> model = TwoLayer()
    >>> model(mininn.randn(5, 4)).shape, [p.shape for p in model.parameters()]
    ((5, 2), [(8, 4), (8,), (2, 8), (2,)])
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"cannot assign {name!r} before Module.__init__() is called: "
                "call super().__init__() first in your module's __init__"
            )
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """A state array saved with the model but not trained (e.g. BatchNorm's running mean)."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def _set_buffer(self, name: str, array: np.ndarray) -> None:
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # -- calling ------------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal ----------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module inside it, depth first (iteratively)."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for prefix, m in self.named_modules():
            for k, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{k}" if prefix else k), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, m in self.named_modules():
            for k, b in m._buffers.items():
                yield (f"{prefix}.{k}" if prefix else k), b

    # -- modes and gradients ------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as `train(False)`."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- saving and loading -------------------------------------------------------------------

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer, by dotted name."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = p.data.copy()
        for name, b in self.named_buffers():
            state[name] = np.array(b, copy=True)
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into parameters and buffers, checking names and shapes."""
        own_params = dict(self.named_parameters())
        own_buffers = dict(self.named_buffers())
        missing = [k for k in list(own_params) + list(own_buffers) if k not in state]
        unexpected = [k for k in state if k not in own_params and k not in own_buffers]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state.items():
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if name in own_params:
                p = own_params[name]
                if arr.shape != p.shape:
                    raise ValueError(
                        f"load_state_dict: {name} has shape {arr.shape} in the state but "
                        f"{p.shape} in the model"
                    )
                p.data = arr.astype(p.dtype, copy=True)
            elif name in own_buffers:
                owner, _, key = name.rpartition(".")
                module = dict(self.named_modules())[owner]
                old = module._buffers[key]
                if np.shape(old) != arr.shape:
                    raise ValueError(
                        f"load_state_dict: {name} has shape {arr.shape} in the state but "
                        f"{np.shape(old)} in the model"
                    )
                module._set_buffer(key, arr.astype(np.asarray(old).dtype, copy=True))

    # -- printing -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another: `Sequential(Linear(4, 8), ReLU(), Linear(8, 2))`.

    >>> import mininn
    >>> from mininn import nn
    >>> mininn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(mininn.randn(5, 4)).shape, len(model)
    ((5, 2), 3)
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is {type(m).__name__}")
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int | slice) -> Module:
        """One layer, or for a slice a new Sequential of those layers (shared, as in PyTorch)."""
        layers = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*layers[i])
        return layers[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        setattr(self, str(len(self)), module)
        return self


def _flatten_params(params: Iterable[Any]) -> list[Parameter]:  # used by optim and utils
    out = []
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Parameters (Tensors), got {type(p).__name__}")
        out.append(p)
    return out
