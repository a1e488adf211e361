"""Optimisers with PyTorch's update rules and defaults, so the same settings give the same path.

Each optimiser keeps `param_groups` (a list of dicts: the parameters and their settings, which
learning-rate schedulers change) and per-parameter `state`. `step()` updates `p.data` in
place from `p.grad`; `zero_grad()` clears the gradients.

>>> import mininn
>>> from mininn import nn, optim
>>> model = nn.Linear(3, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> model(mininn.ones(8, 3)).mean().backward()
>>> opt.step(); opt.zero_grad()
>>> [p.shape for p in opt.param_groups[0]["params"]]
[(1, 3), (1,)]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from mininn.nn.utils import clip_grad_norm_
from mininn.optim import lr_scheduler
from mininn.tensor import Tensor

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "lr_scheduler",
    "clip_grad_norm_",
]


class Optimizer:
    """Base class: parameter groups, state, zero_grad. Subclasses define `_update`.

    >>> from mininn import nn, optim
    >>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)  # SGD is an Optimizer
    >>> isinstance(opt, optim.Optimizer), len(opt.param_groups), len(opt.param_groups[0]["params"])
    (True, 1, 2)
    """

    defaults: dict[str, Any] = {}

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for g in groups:
            group = {**defaults, **g, "params": list(g["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor):
                    raise TypeError(f"optimizer params must be Tensors, got {type(p).__name__}")
                if not p.requires_grad:
                    raise ValueError("optimizer got a tensor that does not require grad")
            if group["lr"] < 0:
                raise ValueError(f"invalid learning rate {group['lr']}")
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.grad)

    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state.setdefault(id(p), {}), group)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError  # abstract: each optimiser defines its rule

    def __repr__(self) -> str:
        settings = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (heavy ball or Nesterov).

    g = grad + wd p;  b = mu b + (1 - dampening) g  (b = g at the first step);
    step = g + mu b (Nesterov) or b;  p = p - lr step.

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )

    def _update(self, p, grad, state, group):
        wd, mu = group["weight_decay"], group["momentum"]
        d = grad + wd * p.data if wd else grad
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = d.copy()
            else:
                buf *= mu
                buf += d if group["dampening"] == 0 else (1 - group["dampening"]) * d
            state["momentum_buffer"] = buf
            d = d + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * d


class Adagrad(Optimizer):
    """Per-parameter step sizes that shrink with the sum of squared past gradients.

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.Adagrad(model.parameters(), lr=0.1)
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        p.data -= clr * g / (np.sqrt(state["sum"]) + group["eps"])


class Adadelta(Optimizer):
    """Step sizes from running averages of squared gradients and squared updates.

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.Adadelta(model.parameters())
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _update(self, p, grad, state, group):
        if not state:
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        rho, eps = group["rho"], group["eps"]
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        sq, acc = state["square_avg"], state["acc_delta"]
        sq *= rho
        sq += (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc *= rho
        acc += (1 - rho) * delta * delta
        p.data -= group["lr"] * delta


class RMSprop(Optimizer):
    """Divide each step by a running root mean square of recent gradients.

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.RMSprop(model.parameters(), lr=0.01)
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )

    def _update(self, p, grad, state, group):
        if not state:
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"]:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        alpha = group["alpha"]
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= alpha
            ga += (1 - alpha) * g
            avg = np.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = np.sqrt(sq) + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * g / avg


class Adam(Optimizer):
    """Momentum and RMS scaling with bias correction (Kingma and Ba, 2015).

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.Adam(model.parameters(), lr=1e-3)
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        )

    _decoupled = False

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        state["step"] += 1
        t = state["step"]
        if self._decoupled:
            p.data *= 1 - lr * wd
            g = grad
        else:
            g = grad + wd * p.data if wd else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias1, bias2 = 1 - b1**t, 1 - b2**t
        denom = np.sqrt(v) / math.sqrt(bias2) + group["eps"]
        p.data -= (lr / bias1) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p (1 - lr wd) before the Adam step.

    >>> import mininn
    >>> from mininn import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    >>> ((model(mininn.ones(8, 3)) - 1.0) ** 2).mean().backward()
    >>> opt.step(); opt.zero_grad()
    >>> model.weight.shape, model.weight.grad is None
    ((1, 3), True)
    """

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
