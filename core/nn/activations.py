"""Activations: one record each (module, label, tooltip, colour range, export code, fused support).

Adding a built-in activation = an `Activation` member + its record here (+ its maths in
core/engines/fused_act.py if the fused engine should run it). An extra one can be registered at run
time with `ACTIVATIONS.add(...)`; specs then accept its name. Importing this module never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from core.registry import Record, Registry, resolve

if TYPE_CHECKING:
    from torch import nn


class Activation(str, Enum):
    relu = "relu"
    tanh = "tanh"
    sigmoid = "sigmoid"
    linear = "linear"
    leaky_relu = "leaky_relu"
    elu = "elu"
    gelu = "gelu"
    silu = "silu"
    softplus = "softplus"
    mish = "mish"


@dataclass(frozen=True, kw_only=True)
class ActivationRecord(Record):
    module: str | Callable[[], "nn.Module"]  # a torch.nn class name, or a class / factory
    colour_limit: float | None = None  # bounded output: neuron thumbnails colour it over ±limit
    same_in_eval: bool = True  # the output is the same in train and eval mode
    python_code: Callable[["nn.Module"], str] | None = None  # None: f"nn.{module!r}" for torch.nn names
    fused: bool = False  # core/engines/fused_act.py has a code and maths for it

    def module_class(self) -> Any:
        """The torch class (or factory) this activation builds; imports torch on first use."""
        return resolve(self.module)

    def make(self) -> "nn.Module":
        return self.module_class()()

    def owns(self, module: object) -> bool:
        """Whether `module` is this activation's module (the fused engine and exports ask)."""
        cls = self.module_class()
        return isinstance(cls, type) and type(module) is cls

    def code(self, module: "nn.Module") -> str | None:
        """Constructor code for the Python export, or None when there is none."""
        if self.python_code is not None:
            return self.python_code(module)
        return f"nn.{module!r}" if isinstance(self.module, str) else None


ACTIVATIONS: Registry[ActivationRecord] = Registry("activation")
_add = ACTIVATIONS.add
_add(ActivationRecord(name="relu", label="ReLU", module="ReLU", fused=True,
                      tip="ReLU: max(0, x); fast and the usual default, but a unit stuck below 0 stops learning."))
_add(ActivationRecord(name="tanh", label="Tanh", module="Tanh", colour_limit=1.0, fused=True,
                      tip="tanh: an S-curve from -1 to 1, centred on 0; smooth boundaries, TF Playground's default."))
_add(ActivationRecord(name="sigmoid", label="Sigmoid", module="Sigmoid", colour_limit=1.0, fused=True,
                      tip="Sigmoid: an S-curve from 0 to 1; saturates easily, so deep stacks learn slowly."))
_add(ActivationRecord(name="linear", label="Linear", module="Identity", fused=True,
                      tip="Linear: no non-linearity; stacked linear layers can only draw straight boundaries."))
_add(ActivationRecord(name="leaky_relu", label="Leaky ReLU", module="LeakyReLU", fused=True,
                      tip="Leaky ReLU: like ReLU but with a small slope below 0, so units never die."))
_add(ActivationRecord(name="elu", label="ELU", module="ELU", fused=True,
                      tip="ELU: like ReLU above 0, a smooth curve towards -1 below; often trains faster."))
_add(ActivationRecord(name="gelu", label="GELU", module="GELU", fused=True,
                      tip="GELU: a smooth ReLU weighted by the normal CDF; the transformer default."))
_add(ActivationRecord(name="silu", label="SiLU", module="SiLU", fused=True,
                      tip="SiLU (swish): x times sigmoid(x); a smooth ReLU with a small dip below 0."))
_add(ActivationRecord(name="softplus", label="Softplus", module="Softplus", fused=True,
                      tip="Softplus: log(1 + e^x), a smooth everywhere version of ReLU."))
_add(ActivationRecord(name="mish", label="Mish", module="Mish", fused=True,
                      tip="Mish: x times tanh(softplus(x)); smooth and non-monotonic, like SiLU."))


def record_of(module: object) -> ActivationRecord | None:
    """The activation record whose module `module` is, else None (norms, dropout, linears)."""
    return next((r for r in ACTIVATIONS.records() if r.owns(module)), None)
