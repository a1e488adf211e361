"""Learning-rate schedules: call `scheduler.step()` once per epoch (or per step) after
`optimizer.step()`; each sets every parameter group's `lr` from its initial value.

>>> from mininn import nn, optim
>>> from mininn.optim.lr_scheduler import StepLR
>>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=1.0)
>>> sched = StepLR(opt, step_size=1, gamma=0.5)
>>> opt.step(); sched.step()
>>> opt.param_groups[0]["lr"]
0.5
"""

from __future__ import annotations

import math

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR", "LinearLR", "LambdaLR"]


class LRScheduler:
    """Base class of the learning-rate schedules: each sets every parameter group's ``lr`` from
    its initial value and the epoch count; call `step` once per epoch, after the epoch's
    optimiser steps. Subclasses define ``factor(epoch, base_lr)``, the new learning rate.

    >>> import mininn
    >>> w = mininn.nn.Parameter(mininn.zeros(1))
    >>> opt = mininn.optim.SGD([w], lr=1.0)
    >>> sched = mininn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> for epoch in range(4):
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """
    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def factor(self, epoch: int, base_lr: float) -> float:
        raise NotImplementedError  # abstract: each schedule defines its curve

    def step(self) -> None:
        self.last_epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.factor(self.last_epoch, base)

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base * gamma ** (epoch // step_size).

    >>> from mininn import nn, optim
    >>> from mininn.optim import lr_scheduler
    >>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=1.0)
    >>> sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> [round(sched.get_last_lr()[0], 3) for _ in range(4) if sched.step() is None]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return base * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2.

    >>> from mininn import nn, optim
    >>> from mininn.optim import lr_scheduler
    >>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=1.0)
    >>> sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    >>> [round(sched.get_last_lr()[0], 3) for _ in range(4) if sched.step() is None]
    [0.854, 0.5, 0.146, 0.0]
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return (
            self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        )


class LinearLR(LRScheduler):
    """A linear warm-up: the factor goes from start_factor to end_factor in total_iters steps.

    >>> from mininn import nn, optim
    >>> from mininn.optim import lr_scheduler
    >>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=1.0)
    >>> sched = lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=4)
    >>> [round(sched.get_last_lr()[0], 3) for _ in range(4) if sched.step() is None]
    [0.4, 0.6, 0.8, 1.0]
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):  # fmt: skip
        self.start, self.end, self.total = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        t = min(epoch, self.total) / self.total
        return base * (self.start + (self.end - self.start) * t)


class LambdaLR(LRScheduler):
    """lr = base * fn(epoch), for any schedule you can write as a function.

    >>> from mininn import nn, optim
    >>> from mininn.optim import lr_scheduler
    >>> opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=1.0)
    >>> sched = lr_scheduler.LambdaLR(opt, lambda epoch: 0.9 ** epoch)
    >>> [round(sched.get_last_lr()[0], 3) for _ in range(4) if sched.step() is None]
    [0.9, 0.81, 0.729, 0.656]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self.fn = lr_lambda
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return base * self.fn(epoch)
