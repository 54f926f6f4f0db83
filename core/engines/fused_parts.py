"""The pieces the fused kernels compile in, and the per-layer steps that use them.

`compile_all()` jits the activation maths (core/engines/fused_act.py), the optimizer updates
(core/engines/fused_optim.py), the dropout masks (core/engines/dropout_mask.py) and layer norm (core/engines/fused_norm.py)
into this module's globals; core/engines/fused_kernels.py calls them as `parts.activate(...)` etc. (module
globals: numba resolves them when a kernel compiles; closure cells would change numba's cache key
in every process). The three per-layer steps below keep calls out of the kernels' row loops, so the
plain SGD path with the classic activations stays as fast as before they existed.
"""

from __future__ import annotations

import threading

import numpy as np

from core.engines import dropout_mask, fused_act, fused_norm, fused_optim
from core.engines.fused_act import LINEAR
from core.engines.fused_optim import REG_L1, REG_L2

# IEEE division (x/0 is inf or NaN, as in torch, caught by the divergence checks) instead of Python's
# ZeroDivisionError check on every division, which keeps the optimizer loops from vectorising.
ERROR_MODEL = "numpy"

activate = activate_grad = opt_factors = opt_slice = dropout_key = dropout_kept = None
norm_fwd = norm_bwd = norm_cols = sgd_slice = None
forward_extras = backward_extras = adaptive_layer = None
_lock = threading.Lock()


def _adaptive_layer(code, hyper, fac, theta, state, w, delta, a_in, grad_row, grad_bias, bc, n_in, n_out,
                   w_start, w_end, reg_code, reg_rate):
    """One Linear layer's gradient (regularisation included) and adaptive optimizer step, row by row."""
    zero = np.float32(0.0)
    for o in range(n_out):
        for i in range(n_in):
            grad_row[i] = zero
        gb = zero
        for b in range(bc):
            d = delta[b, o]
            gb += d
            a_row = a_in[b]
            for i in range(n_in):
                grad_row[i] += d * a_row[i]
        w_row = w[o]
        if reg_code == REG_L2:
            for i in range(n_in):
                grad_row[i] += reg_rate * w_row[i]
        elif reg_code == REG_L1:
            for i in range(n_in):
                wv = w_row[i]
                if wv > zero:
                    grad_row[i] += reg_rate
                elif wv < zero:
                    grad_row[i] -= reg_rate
        opt_slice(code, hyper, fac, theta, grad_row, state, w_start + o * n_in, n_in)
        grad_bias[0] = gb
        opt_slice(code, hyper, fac, theta, grad_bias, state, w_end + o, 1)


def _forward_extras(layer, bc, n_out, act, param, g_off, eps, threshold, scale, drop_key, start, theta,
                    act_out, pre, drop, norm_hat, norm_rstd):
    """After a layer's Linear (act_out[layer + 1] holds z): keep z, then layer norm, the activation
    and dropout, row by row. For the layers the kernel's inline loop does not finish."""
    zero = np.float32(0.0)
    for b in range(bc):
        a_out = act_out[layer + 1, b]
        if g_off >= 0:
            norm_rstd[layer, b] = norm_fwd(a_out, n_out, theta[g_off:g_off + n_out],
                                           theta[g_off + n_out:g_off + 2 * n_out], eps, norm_hat[layer, b])
        for o in range(n_out):
            pre[layer, b, o] = a_out[o]
        if act != LINEAR:
            for o in range(n_out):
                a_out[o] = activate(act, a_out[o], param)
        if threshold > 0:
            for o in range(n_out):
                factor = scale if dropout_kept(drop_key, start + b, n_out, o, threshold) else zero
                drop[layer, b, o] = factor
                a_out[o] = a_out[o] * factor


def _backward_extras(layer, bc, n, act, param, g_off, dropped, theta, dp_rows, pre, drop, norm_hat, norm_rstd,
                     norm_grad):
    """dp_rows[b] (d loss / d layer's output) into d loss / d its Linear's z: back through dropout,
    the activation and layer norm (accumulating the norm's weight and bias gradients)."""
    zero = np.float32(0.0)
    for b in range(bc):
        dp = dp_rows[b]
        for i in range(n):
            factor = drop[layer, b, i] if dropped else np.float32(1.0)
            if factor == zero:
                dp[i] = zero
            else:
                z = pre[layer, b, i]
                dp[i] = dp[i] * factor * activate_grad(act, z, activate(act, z, param), param)
        if g_off >= 0:
            norm_bwd(dp, n, theta[g_off:g_off + n], norm_hat[layer, b], norm_rstd[layer, b],
                     norm_grad[layer, 0], norm_grad[layer, 1])


def compile_all() -> None:
    """Jit every piece (lazily: numba compiles each when a kernel that calls it compiles)."""
    global activate, activate_grad, opt_factors, opt_slice, dropout_key, dropout_kept
    global norm_fwd, norm_bwd, norm_cols, sgd_slice, forward_extras, backward_extras, adaptive_layer
    with _lock:
        if adaptive_layer is not None:
            return
        from numba import njit

        def jit(fn, **options):
            return njit(nogil=True, error_model=ERROR_MODEL, **options)(fn)

        activate, activate_grad = jit(fused_act.forward), jit(fused_act.derivative)
        opt_factors, opt_slice = jit(fused_optim.factors), jit(fused_optim.step_slice)
        dropout_key, dropout_kept = jit(dropout_mask.layer_key), jit(dropout_mask.element_kept)
        norm_fwd, norm_bwd = jit(fused_norm.forward_row), jit(fused_norm.backward_row)
        norm_cols, sgd_slice = jit(fused_norm.forward_columns), jit(fused_norm.sgd_slice)
        forward_extras, backward_extras = jit(_forward_extras), jit(_backward_extras)
        adaptive_layer = jit(_adaptive_layer, fastmath={"reassoc", "contract"})  # last: marks the set complete
