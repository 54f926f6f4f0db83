"""A dense net's forward pass in numpy, from the fused engine's flat parameters (theta + NetPlan).

The window's first epochs train before torch has loaded (core/training/prelude.py); their snapshots
draw the decision boundary and the neuron thumbnails with this. Eval mode (no dropout), float32, the
activations as torch computes them; only for pictures and predicted classes (the losses come from the
kernels), so agreement to rounding is enough.
"""

from __future__ import annotations

import math

import numpy as np

from core.engines import fused_act as act
from core.engines.fused_plan import NetPlan


def _erf(z: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # numba needs scipy anyway; imported only for gelu

    return erf(z).astype(np.float32)


def activate(code: int, z: np.ndarray, param: float) -> np.ndarray:
    """fused_act code `code` applied element-wise to float32 pre-activations `z`."""
    one = np.float32(1.0)
    with np.errstate(over="ignore"):
        if code == act.TANH:
            return np.tanh(z)
        if code == act.RELU:
            return np.maximum(z, np.float32(0.0))
        if code == act.SIGMOID:
            return one / (one + np.exp(-z))
        if code == act.LEAKY_RELU:
            return np.where(z > 0, z, z * np.float32(param))
        if code == act.ELU:
            return np.where(z > 0, z, np.float32(param) * np.expm1(np.minimum(z, 0)))
        if code == act.GELU:
            return np.float32(0.5) * z * (one + _erf(z * np.float32(math.sqrt(0.5))))
        if code == act.SILU:
            return z / (one + np.exp(-z))
        soft = np.where(z > act.SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(np.minimum(z, act.SOFTPLUS_THRESHOLD))))
        if code == act.SOFTPLUS:
            return soft
        if code == act.MISH:
            return z * np.tanh(soft)
    return z


def linear_parameters(theta: np.ndarray, net: NetPlan) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias (out,)) of each Linear: views into theta."""
    out = []
    for layer in range(len(net.widths) - 1):
        n_in, n_out = int(net.widths[layer]), int(net.widths[layer + 1])
        start = int(net.offsets[layer])
        end = start + n_out * n_in
        out.append((theta[start:end].reshape(n_out, n_in), theta[end:end + n_out]))
    return out


def forward(theta: np.ndarray, net: NetPlan, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """(each hidden layer's output after its norm and activation (rows, units), the output (rows, outputs))."""
    h = np.asarray(x, np.float32)
    hidden = []
    n_layers = len(net.widths) - 1
    for layer, (weight, bias) in enumerate(linear_parameters(theta, net)):
        n_out = weight.shape[0]
        h = h @ weight.T + bias
        norm = int(net.norm_offsets[layer])
        if norm >= 0:
            mean = h.mean(axis=1, keepdims=True)
            var = h.var(axis=1, keepdims=True)
            h = (h - mean) / np.sqrt(var + net.norm_eps[layer]) * theta[norm:norm + n_out] \
                + theta[norm + n_out:norm + 2 * n_out]
        h = activate(int(net.acts[layer]), h.astype(np.float32, copy=False), float(net.act_params[layer]))
        if layer < n_layers - 1:
            hidden.append(h)
    return hidden, h
