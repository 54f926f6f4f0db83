"""Activations on the fused engine: codes, the torch modules they stand for, and their float32 maths.

`forward` and `derivative` are plain Python here (importing this module never imports numba); the
fused engine compiles them into its kernels. Each follows the formula of torch's own CPU kernel, so
the two engines agree within float rounding: gelu is the exact erf form (nn.GELU's default),
softplus has beta 1 and threshold 20, elu takes its alpha, leaky_relu its negative slope.
"""

from __future__ import annotations

import math

from typing import TYPE_CHECKING

import numpy as np

from core.nn.activations import record_of

if TYPE_CHECKING:
    from torch import nn

# Codes shared with the kernels (the first five keep the numbers the fused engine always used).
LINEAR, TANH, RELU, SIGMOID, LEAKY_RELU, ELU, GELU, SILU, SOFTPLUS, MISH = range(10)

SOFTPLUS_THRESHOLD = 20.0  # torch's default: above it softplus(z) is z
_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)
_F32_TWO = np.float32(2.0)
_F32_ZERO = np.float32(0.0)
_SQRT_HALF = np.float32(math.sqrt(0.5))
_GELU_PDF = np.float32(1.0 / math.sqrt(2.0 * math.pi))  # torch's kBeta * 0.5
_SOFTPLUS_LIMIT = np.float32(SOFTPLUS_THRESHOLD)

# activation record name -> kernel code (records with fused=True; tests check the two agree).
# The parameter (leaky slope, elu alpha) is read from the module by `read_activation`.
CODES: dict[str, int] = {
    "linear": LINEAR, "tanh": TANH, "relu": RELU, "sigmoid": SIGMOID, "leaky_relu": LEAKY_RELU,
    "elu": ELU, "gelu": GELU, "silu": SILU, "softplus": SOFTPLUS, "mish": MISH,
}


def is_fused_activation(module: nn.Module) -> bool:
    """Whether `module` is an activation the fused engine has maths for (its settings aside)."""
    record = record_of(module)
    return record is not None and record.fused and record.name in CODES


def read_activation(name: str, module: nn.Module) -> tuple[int | None, float, str]:
    """(code, parameter, "") for an activation module the fused engine runs, else (None, 0, why not)."""
    record = record_of(module)
    code = CODES.get(record.name) if record is not None and record.fused else None
    if code is None:
        return None, 0.0, f"'{name}' ({type(module).__name__}) is not an activation the fused engine runs"
    if code == LEAKY_RELU:
        slope = float(module.negative_slope)
        if slope < 0:
            return None, 0.0, f"'{name}': a negative leaky_relu slope is not supported"
        return code, slope, ""
    if code == ELU:
        return code, float(module.alpha), ""
    if code == GELU and module.approximate != "none":
        return None, 0.0, f"'{name}': gelu's tanh approximation is not on the fused engine (use the exact form)"
    if code == SOFTPLUS and (float(module.beta) != 1.0 or float(module.threshold) != SOFTPLUS_THRESHOLD):
        return None, 0.0, f"'{name}': softplus runs fused only with beta 1 and threshold {SOFTPLUS_THRESHOLD:g}"
    return code, 0.0, ""


def forward(code, z, param):
    """The activation of pre-activation `z` (float32)."""
    if code == TANH:  # via exp: 5x faster than libm tanhf, within 2e-7 of it
        return _F32_ONE - _F32_TWO / (np.exp(_F32_TWO * z) + _F32_ONE)
    if code == RELU:
        return z if z > _F32_ZERO else _F32_ZERO
    if code == SIGMOID:
        return _F32_ONE / (_F32_ONE + np.exp(-z))
    if code == LEAKY_RELU:
        return z if z > _F32_ZERO else z * param
    if code == ELU:
        return z if z > _F32_ZERO else param * np.expm1(z)
    if code == GELU:
        return _F32_HALF * z * (_F32_ONE + np.float32(math.erf(z * _SQRT_HALF)))
    if code == SILU:
        return z / (_F32_ONE + np.exp(-z))
    if code == SOFTPLUS:
        return z if z > _SOFTPLUS_LIMIT else np.log1p(np.exp(z))
    if code == MISH:
        return z * np.tanh(np.log1p(np.exp(z)))
    return z


def derivative(code, z, a, param):
    """d activation / dz at pre-activation `z`, whose activation is `a` (float32)."""
    if code == TANH:
        return _F32_ONE - a * a
    if code == RELU:
        return _F32_ONE if a > _F32_ZERO else _F32_ZERO
    if code == SIGMOID:
        return a * (_F32_ONE - a)
    if code == LEAKY_RELU:
        return _F32_ONE if z > _F32_ZERO else param
    if code == ELU:
        return _F32_ONE if z > _F32_ZERO else param * np.exp(z)
    if code == GELU:
        cdf = _F32_HALF * (_F32_ONE + np.float32(math.erf(z * _SQRT_HALF)))
        return cdf + z * _GELU_PDF * np.exp(-_F32_HALF * z * z)
    if code == SILU:
        s = _F32_ONE / (_F32_ONE + np.exp(-z))
        return s * (_F32_ONE + z * (_F32_ONE - s))
    if code == SOFTPLUS:
        if z > _SOFTPLUS_LIMIT:
            return _F32_ONE
        e = np.exp(z)
        return e / (e + _F32_ONE)
    if code == MISH:
        s = _F32_ONE / (_F32_ONE + np.exp(-z))
        t = np.tanh(np.log1p(np.exp(z)))
        return t + z * s * (_F32_ONE - t * t)
    return _F32_ONE
