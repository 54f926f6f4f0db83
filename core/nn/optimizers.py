"""Optimizer registry: builds the torch optimizer an Experiment names."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from core.spec import Experiment, OptimizerName

OPTIMIZERS: dict[OptimizerName, type[torch.optim.Optimizer]] = {
    OptimizerName.sgd: torch.optim.SGD,
    OptimizerName.adam: torch.optim.Adam,
    OptimizerName.adamw: torch.optim.AdamW,
    OptimizerName.rmsprop: torch.optim.RMSprop,
    OptimizerName.adagrad: torch.optim.Adagrad,
}

# Measured on playground nets (spiral [8,8], digits [64,32]; torch 2.13, one thread): the
# multi-tensor (foreach) step is ~4 % faster for Adam/AdamW/Adagrad/RMSprop, the per-tensor loop ~5 %
# faster for SGD, whose step is one op per tensor anyway.
FOREACH: dict[OptimizerName, bool] = {
    OptimizerName.sgd: False,
    OptimizerName.adam: True,
    OptimizerName.adamw: True,
    OptimizerName.rmsprop: True,
    OptimizerName.adagrad: True,
}


def build_optimizer(spec: Experiment, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The optimizer `spec.optimizer` names; momentum/nesterov go to the optimizers that take them."""
    opt = spec.optimizer
    cls = OPTIMIZERS[opt.name]
    kwargs: dict = {"lr": opt.lr}
    if opt.name == OptimizerName.sgd:
        kwargs.update(momentum=opt.momentum, nesterov=opt.nesterov)
    elif opt.name == OptimizerName.rmsprop:
        kwargs.update(momentum=opt.momentum)
    return cls(list(params), foreach=FOREACH[opt.name], **kwargs)
