"""Optimizers: one record each (label, torch class, which spec options it takes, fused support).

Importing this module never imports torch; `build_optimizer` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from core.registry import Record, Registry, resolve

if TYPE_CHECKING:
    import torch

    from core.spec import Experiment


class OptimizerName(str, Enum):
    sgd = "sgd"
    adam = "adam"
    adamw = "adamw"
    rmsprop = "rmsprop"
    adagrad = "adagrad"


@dataclass(frozen=True, kw_only=True)
class OptimizerRecord(Record):
    torch_class: str  # a torch.optim class name, or "pkg.module:Class"
    options: tuple[str, ...] = ()  # OptimizerSpec fields passed on (momentum, nesterov)
    # Measured on playground nets (spiral [8,8], digits [64,32]; torch 2.13, one thread): the
    # multi-tensor (foreach) step is ~4 % faster for Adam/AdamW/Adagrad/RMSprop, the per-tensor loop
    # ~5 % faster for SGD, whose step is one op per tensor anyway.
    foreach: bool = True
    state_keys: tuple[str, ...] = ()  # the per-parameter state tensors, in the fused engine's slot order
    fused: str | None = None  # the fused engine's optimizer code (core/engines/fused_optim.py)
    adaptive: bool = True  # per-weight step sizes (the engine cost model's "adaptive" figures)

    def optimizer_class(self) -> "type[torch.optim.Optimizer]":
        return resolve(self.torch_class, "torch.optim")


OPTIMIZERS: Registry[OptimizerRecord] = Registry("optimizer")
OPTIMIZERS.add(OptimizerRecord(name="sgd", label="SGD", torch_class="SGD", options=("momentum", "nesterov"),
                               foreach=False, state_keys=("momentum_buffer",), fused="SGD", adaptive=False))
OPTIMIZERS.add(OptimizerRecord(name="adam", label="Adam", torch_class="Adam",
                               state_keys=("exp_avg", "exp_avg_sq"), fused="ADAM"))
OPTIMIZERS.add(OptimizerRecord(name="adamw", label="AdamW", torch_class="AdamW",
                               state_keys=("exp_avg", "exp_avg_sq"), fused="ADAMW"))
OPTIMIZERS.add(OptimizerRecord(name="rmsprop", label="RMSprop", torch_class="RMSprop", options=("momentum",),
                               state_keys=("square_avg", "momentum_buffer"), fused="RMSPROP"))
OPTIMIZERS.add(OptimizerRecord(name="adagrad", label="Adagrad", torch_class="Adagrad", state_keys=("sum",),
                               fused="ADAGRAD"))


def build_optimizer(spec: "Experiment", params: "Iterable[torch.nn.Parameter]") -> "torch.optim.Optimizer":
    """The optimizer `spec.optimizer` names; momentum/nesterov go to the optimizers that take them."""
    opt = spec.optimizer
    record = OPTIMIZERS[opt.name]
    kwargs: dict = {"lr": opt.lr, **{key: getattr(opt, key) for key in record.options}}
    return record.optimizer_class()(list(params), foreach=record.foreach, **kwargs)
