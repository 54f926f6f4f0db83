"""The model as the fused engine reads it: Linear layers, each followed by an activation and dropout.

`read_layout` accepts exactly what the engine runs (and says what it does not, in words the engine
notice can show); `NetPlan` (fused_plan.py) is the numba-friendly tuple of arrays the kernels take.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
from torch import nn

from core.engines import fused_act
from core.engines.fused_plan import NetPlan, make_plan


@dataclass(frozen=True)
class Layout:
    """The model read as a chain of Linear layers, each followed by one activation (or none)."""

    linears: tuple[nn.Linear, ...]
    activations: tuple[int, ...]   # fused_act code per Linear; the output layer's is always LINEAR
    act_params: tuple[float, ...]  # leaky_relu slope / elu alpha per Linear (0 otherwise)
    dropouts: tuple[float, ...]    # dropout probability after each Linear's activation (0: none)
    norms: tuple[nn.LayerNorm | None, ...]  # layer norm between each Linear and its activation


def _layer_norm_problem(name: str, module: nn.LayerNorm, width: int) -> str:
    if tuple(module.normalized_shape) != (width,):
        return f"layer norm ('{name}') over {tuple(module.normalized_shape)} is not on the fast path"
    if not module.elementwise_affine or module.bias is None:
        return f"layer norm ('{name}') without its weight and bias is not on the fast path"
    return ""


def _problem_name(name: str, module: nn.Module) -> str:
    kind = type(module).__name__
    if "Norm" in kind:
        what = "batch norm" if "Batch" in kind else "layer norm" if "Layer" in kind else "normalisation"
        return f"{what} ('{name}') is not on the fast path"
    return f"'{name}' ({kind}) is not supported by the fused engine"


def read_layout(model: nn.Module) -> tuple[Layout | None, str]:
    """(layout, "") if the fused engine runs `model`, else (None, why not)."""
    if not isinstance(model, nn.Sequential):
        return None, f"the model is a {type(model).__name__}, not an nn.Sequential"
    linears: list[nn.Linear] = []
    acts: list[int | None] = []
    params: list[float] = []
    drops: list[float] = []
    norms: list[nn.LayerNorm | None] = []
    for name, module in model.named_children():
        if isinstance(module, nn.Linear):
            if linears and acts[-1] is None:
                acts[-1] = fused_act.LINEAR  # two Linears in a row: the first has no activation
            if module.bias is None:
                return None, f"layer '{name}' has no bias"
            if linears and module.in_features != linears[-1].out_features:
                return None, f"layer '{name}' takes {module.in_features} inputs, previous gives " \
                             f"{linears[-1].out_features}"
            linears.append(module)
            acts.append(None)
            params.append(0.0)
            drops.append(0.0)
            norms.append(None)
            continue
        if type(module) is nn.LayerNorm:
            if not linears or acts[-1] is not None or drops[-1] or norms[-1] is not None:
                return None, f"layer norm ('{name}') runs fused only right after a Linear layer"
            problem = _layer_norm_problem(name, module, linears[-1].out_features)
            if problem:
                return None, problem
            norms[-1] = module
            continue
        if isinstance(module, nn.Dropout):
            if module.p == 0.0:
                continue  # dropout 0 is the identity
            if type(module) is not nn.Dropout or not linears or drops[-1]:
                return None, f"'{name}': dropout runs fused only as one nn.Dropout after a layer"
            if acts[-1] is None:
                acts[-1] = fused_act.LINEAR
            drops[-1] = float(module.p)
            continue
        if not fused_act.is_fused_activation(module):
            return None, _problem_name(name, module)
        code, param, why = fused_act.read_activation(name, module)
        if code is None:
            return None, why
        if not linears or acts[-1] is not None or drops[-1]:
            return None, f"'{name}' does not follow a Linear layer"
        acts[-1] = code
        params[-1] = param
    if not linears:
        return None, "the model has no Linear layer"
    if acts[-1] not in (None, fused_act.LINEAR) or drops[-1] or norms[-1] is not None:
        return None, "the model ends with an activation; the output layer must give raw logits/values"
    acts[-1] = fused_act.LINEAR
    return Layout(tuple(linears), tuple(a for a in acts if a is not None), tuple(params), tuple(drops),
                  tuple(norms)), ""


def parameters(layout: Layout) -> list:
    """The parameters in the flat order the kernels use: each Linear's weight and bias, then its
    layer norm's weight and bias."""
    out = []
    for linear, norm in zip(layout.linears, layout.norms):
        out += [linear.weight, linear.bias]
        if norm is not None:
            out += [norm.weight, norm.bias]
    return out


def net_plan(layout: Layout, starts: np.ndarray, loss_code: int, squash: bool, seed: int) -> NetPlan:
    """`starts`: where each tensor of `parameters(layout)` begins in theta (and where the last ends)."""
    offsets, norm_offsets, k = [], [], 0
    for norm in layout.norms:
        offsets.append(starts[k])
        norm_offsets.append(starts[k + 2] if norm is not None else -1)
        k += 2 if norm is None else 4
    widths = [layout.linears[0].in_features] + [m.out_features for m in layout.linears]
    return make_plan(widths, list(layout.activations), list(layout.act_params), list(layout.dropouts),
                     [norm.eps if norm is not None else None for norm in layout.norms], offsets, norm_offsets,
                     loss_code, squash, seed)
