"""Learning-rate schedules: call `scheduler.step()` once per epoch (or per step) after
`optimizer.step()`; each sets every parameter group's `lr` from its initial value."""

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
    """lr = base * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return base * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return (
            self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        )


class LinearLR(LRScheduler):
    """A linear warm-up: the factor goes from start_factor to end_factor in total_iters steps."""

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):  # fmt: skip
        self.start, self.end, self.total = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        t = min(epoch, self.total) / self.total
        return base * (self.start + (self.end - self.start) * t)


class LambdaLR(LRScheduler):
    """lr = base * fn(epoch), for any schedule you can write as a function."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self.fn = lr_lambda
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch, base):
        return base * self.fn(epoch)
