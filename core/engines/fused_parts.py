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
from core.engines.gc_pause import gc_paused, pause_while_numba_compiles
from core.engines.fused_act import LEAKY_RELU, LINEAR, RELU, SIGMOID, TANH
from core.engines.fused_optim import REG_L1, REG_L2, SGD

# IEEE division (x/0 is inf or NaN, as in torch, caught by the divergence checks) instead of Python's
# ZeroDivisionError check on every division, which keeps the optimizer loops from vectorising.
ERROR_MODEL = "numpy"

activate = activate_grad = opt_factors = opt_slice = dropout_key = dropout_kept = None
norm_fwd = norm_bwd = norm_cols = sgd_slice = None
forward_extras = backward_extras = adaptive_layer = bias_act_rows = dense_update = None
blas_forward = blas_backward = blas_update = blas_columns = None
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


def _bias_act_rows(rows, bias, bc, n, act, param):
    """rows[b, o] += bias[o], then the classic activation `act` (tanh, relu, sigmoid, leaky_relu or
    linear), one loop per activation so each vectorises. For layers whose product came from BLAS."""
    zero = np.float32(0.0)
    one = np.float32(1.0)
    two = np.float32(2.0)
    for b in range(bc):
        z = rows[b]
        if act == TANH:  # via exp, as the kernels' inline tanh
            for o in range(n):
                z[o] = one - two / (np.exp(two * (z[o] + bias[o])) + one)
        elif act == RELU:
            for o in range(n):
                v = z[o] + bias[o]
                z[o] = v if v > zero else zero
        elif act == SIGMOID:
            for o in range(n):
                z[o] = one / (one + np.exp(-(z[o] + bias[o])))
        elif act == LEAKY_RELU:
            for o in range(n):
                v = z[o] + bias[o]
                z[o] = v if v > zero else v * param
        else:
            for o in range(n):
                z[o] += bias[o]


def _dense_update(code, hyper, fac, theta, state, grad_w, grad_b, delta, bc, n_in, n_out, w_start, w_end,
                  reg_code, reg_rate, lr, momentum, nesterov):
    """One Linear layer's step from its weight gradient grad_w[:n_out * n_in] (BLAS's, (out, in)
    order, as theta) and the bias gradient (delta's column sums): regularisation, then plain SGD
    (momentum, nesterov) or an adaptive optimizer over the layer's whole weight block at once."""
    zero = np.float32(0.0)
    n_w = n_out * n_in
    for o in range(n_out):
        grad_b[o] = zero
    for b in range(bc):
        d = delta[b]
        for o in range(n_out):
            grad_b[o] += d[o]
    w = theta[w_start:w_end]
    if reg_code == REG_L2:
        for j in range(n_w):
            grad_w[j] += reg_rate * w[j]
    elif reg_code == REG_L1:
        for j in range(n_w):
            if w[j] > zero:
                grad_w[j] += reg_rate
            elif w[j] < zero:
                grad_w[j] -= reg_rate
    if code != SGD:
        opt_slice(code, hyper, fac, theta, grad_w, state, w_start, n_w)
        opt_slice(code, hyper, fac, theta, grad_b, state, w_end, n_out)
    elif momentum != zero:
        mom = state[0]
        sgd_slice(theta, mom, grad_w, w_start, n_w, lr, momentum, nesterov)
        sgd_slice(theta, mom, grad_b, w_end, n_out, lr, momentum, nesterov)
    else:
        for j in range(n_w):
            w[j] -= lr * grad_w[j]
        b_par = theta[w_end:w_end + n_out]
        for o in range(n_out):
            b_par[o] -= lr * grad_b[o]


def _blas_forward(act_flat, in_at, out_at, bc, n_in, n_out, w, bias, act, param):
    """A wide layer's forward: the (rows, n_in) block at act_flat[in_at] times w.T through BLAS into
    the (rows, n_out) block at act_flat[out_at], then bias and the classic activation."""
    out_rows = act_flat[out_at:out_at + bc * n_out].reshape((bc, n_out))
    np.dot(act_flat[in_at:in_at + bc * n_in].reshape((bc, n_in)), w.T, out_rows)
    bias_act_rows(out_rows, bias, bc, n_out, act, param)


def _blas_backward(delta_flat, prev_flat, w, bc, n_in, n_out):
    """The layer below's deltas (before its activation's derivative): delta (rows, n_out) @ w."""
    np.dot(delta_flat[:bc * n_out].reshape((bc, n_out)), w, prev_flat[:bc * n_in].reshape((bc, n_in)))


def _blas_update(code, hyper, fac, theta, state, grad_w, grad_b, delta_flat, act_flat, in_at, bc, n_in, n_out,
                 w_start, w_end, reg_code, reg_rate, lr, momentum, nesterov):
    """A wide layer's weight gradient delta.T @ inputs through BLAS, then its step (dense_update)."""
    delta = delta_flat[:bc * n_out].reshape((bc, n_out))
    np.dot(delta.T, act_flat[in_at:in_at + bc * n_in].reshape((bc, n_in)),
           grad_w[:n_out * n_in].reshape((n_out, n_in)))
    dense_update(code, hyper, fac, theta, state, grad_w, grad_b, delta, bc, n_in, n_out, w_start, w_end,
                 reg_code, reg_rate, lr, momentum, nesterov)


def _blas_columns(w, src, dst):
    """dst (units, rows) = w (units, inputs) @ src (inputs, rows): the evaluation's wide layers."""
    np.dot(w, src, dst)


def _forward_extras(layer, bc, n_out, act, param, g_off, eps, threshold, scale, drop_key, start, theta,
                    out_rows, pre, drop, norm_hat, norm_rstd):
    """After a layer's Linear (out_rows holds z, (rows, units)): keep z, then layer norm, the
    activation and dropout, row by row. For the layers the kernel's inline loop does not finish."""
    zero = np.float32(0.0)
    for b in range(bc):
        a_out = out_rows[b]
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


def single_thread_blas() -> None:
    """Keep BLAS (numba's np.dot for wide layers) on the calling thread, as torch is kept at one.

    OpenBLAS otherwise splits a large product over every core and spin-waits for them: with the
    window's thread or another process busy, a wide layer then trained up to ~30x slower (width 64,
    batch 250: 109 against 3,316 epochs/s on a busy 2-core machine).
    """
    try:
        import scipy.linalg.cython_blas  # noqa: F401 - loads the BLAS numba calls, so the limit reaches it
        from threadpoolctl import threadpool_limits
    except ImportError:  # then BLAS keeps its own thread count
        return
    threadpool_limits(limits=1, user_api="blas")


def compile_all() -> None:
    """Jit every piece (lazily: numba compiles each when a kernel that calls it compiles)."""
    global activate, activate_grad, opt_factors, opt_slice, dropout_key, dropout_kept
    global norm_fwd, norm_bwd, norm_cols, sgd_slice, forward_extras, backward_extras, adaptive_layer
    global bias_act_rows, dense_update, blas_forward, blas_backward, blas_update, blas_columns
    with _lock, gc_paused():
        if adaptive_layer is not None:
            return
        single_thread_blas()
        from numba import njit

        pause_while_numba_compiles()

        def jit(fn, **options):
            return njit(nogil=True, error_model=ERROR_MODEL, **options)(fn)

        activate, activate_grad = jit(fused_act.forward), jit(fused_act.derivative)
        opt_factors, opt_slice = jit(fused_optim.factors), jit(fused_optim.step_slice)
        dropout_key, dropout_kept = jit(dropout_mask.layer_key), jit(dropout_mask.element_kept)
        norm_fwd, norm_bwd = jit(fused_norm.forward_row), jit(fused_norm.backward_row)
        norm_cols, sgd_slice = jit(fused_norm.forward_columns), jit(fused_norm.sgd_slice)
        forward_extras, backward_extras = jit(_forward_extras), jit(_backward_extras)
        bias_act_rows = jit(_bias_act_rows)
        dense_update = jit(_dense_update, fastmath={"reassoc", "contract"})
        blas_forward, blas_backward, blas_update = jit(_blas_forward), jit(_blas_backward), jit(_blas_update)
        blas_columns = jit(_blas_columns)
        adaptive_layer = jit(_adaptive_layer, fastmath={"reassoc", "contract"})  # last: marks the set complete
