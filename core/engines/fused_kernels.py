"""The fused engine's compiled kernels: one epoch, a block of epochs (evaluation: fused_eval_kernel.py).

Built on first use (importing numba only then keeps `import core` light) and cached on disk by
numba. The kernels compile in the pieces of core/engines/fused_parts.py (activations, optimizer updates,
dropout masks, layer norm); numba's cache only watches the file a kernel is defined in, so each
kernel closes over a stamp of those modules' sources, which is part of numba's cache key: editing
them recompiles instead of running stale code.

Arguments: `net` is a fused_layout.NetPlan, `opt` a KernelOptimizer (below); flat float32 `theta`
holds every parameter (layer k's weight (out, in) at net.offsets[k], its bias right after).
"""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from core.engines import dropout_mask, fused_act, fused_norm, fused_optim
from core.engines import fused_parts as parts
from core.engines.fused_act import LEAKY_RELU, LINEAR, RELU, SIGMOID, TANH
from core.engines.fused_parts import ERROR_MODEL
from core.engines.fused_optim import HP_MOMENTUM, HP_NESTEROV, REG_L1, REG_L2, REG_NONE, SGD

# Loss codes; mse/huber/l1 apply to sigmoid(logit) for binary classification (NetPlan.squash).
BCE, MSE, HUBER, L1_LOSS, HINGE, SOFTMAX_CE, RECON_MSE = range(7)  # RECON_MSE: an autoencoder, targets = x
EVAL_CHUNK_ROWS = 256  # rows per evaluation chunk: long enough to vectorise, small enough for cache
STATS_COLUMNS = 5      # block kernel, per epoch: mean batch loss, train/test loss sums, train/test hits
# Layers with at least this many weights multiply through BLAS (np.dot); below it the loops win
# (digits 64->[64,32]: its 32x10 output layer is ~8 % faster per epoch through BLAS at 256 than in loops).
BLAS_MIN_WEIGHTS = 256
BLAS_ONE_THREAD_MACS = 262_144  # OpenBLAS runs a product this small on the calling thread alone
EVAL_MIN_CHUNK_ROWS = 16


class KernelOptimizer(NamedTuple):
    """The optimizer as the kernels take it; `state` and `step` are updated in place."""

    code: int
    hyper: np.ndarray        # float64 (fused_optim.N_HYPER,)
    state: np.ndarray        # float32 (slots, parameters), at least (1, 1)
    step: np.ndarray         # float64 (1,): torch's step count (unused by SGD)
    factors: np.ndarray      # float64 (fused_optim.N_FACTORS,) scratch
    counts_steps: bool
    reg_code: int
    with_penalty: bool       # whether the returned batch losses include the regularisation penalty


def _dependency_stamp() -> int:
    """A number that changes whenever a compiled-in helper module's source does."""
    digest = hashlib.sha256()
    for module in (fused_act, fused_optim, dropout_mask, fused_norm, parts):
        digest.update(Path(module.__file__).read_bytes())
    # The block kernel calls the evaluation kernel, whose source lives beside this file.
    digest.update(Path(__file__).with_name("fused_eval_kernel.py").read_bytes())
    return int(digest.hexdigest()[:15], 16)


_lock = threading.Lock()
_kernel = None
_eval_kernel = None
_block_kernel = None
def _compile_epoch() -> Any:
    from numba import njit

    stamp = _dependency_stamp()

    # fastmath: only reassociation (so dot products vectorise) and fused multiply-add, like BLAS;
    # no nnan/ninf, so NaN and inf propagate and divergence is caught as in the torch path.
    @njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True, error_model=ERROR_MODEL)
    def epoch_kernel(x, y, idx, batch, theta, net, opt, lr, reg_rate, epoch):
        # One epoch over rows idx in minibatches of `batch`: forward, mean batch loss, its exact
        # gradient, the optimizer step. Returns the mean of the batch losses. All per-row buffers
        # are batch-major, so the inner loops run over contiguous units.
        if stamp < 0:
            raise ValueError("unreachable: the stamp keys numba's cache on the helper sources")
        offsets, acts, act_params, widths = net.offsets, net.acts, net.act_params, net.widths
        loss_code, squash = net.loss_code, net.squash
        n = idx.shape[0]
        n_layers = widths.shape[0] - 1
        for j in range(n):  # before any update: a bad index must not leave a half-trained epoch
            if idx[j] < 0 or idx[j] >= x.shape[0]:
                raise IndexError("fused engine: indices must lie in [0, number of training rows)")
        maxw = 0
        for width in widths:
            maxw = max(maxw, width)
        bmax = min(batch, n)
        # Each layer's activations (after activation and dropout) as a contiguous (rows, width) block of
        # act_flat, and the deltas (d batch loss / d pre-activation) in two flat buffers, so wide
        # layers can hand them to BLAS (np.dot) as they are.
        act_starts = np.zeros(n_layers + 2, np.int64)
        max_weights = 1
        for layer in range(n_layers + 1):
            act_starts[layer + 1] = act_starts[layer] + bmax * widths[layer]
            if layer < n_layers:
                max_weights = max(max_weights, widths[layer] * widths[layer + 1])
        act_flat = np.zeros(act_starts[n_layers + 1], np.float32)
        pre = np.zeros((n_layers, bmax, maxw), np.float32)          # before the activation
        drop = np.ones((n_layers, bmax, maxw), np.float32)          # dropout factor: 0 or 1/(1-p)
        delta_flat = np.zeros(bmax * maxw, np.float32)   # this layer's deltas
        prev_flat = np.zeros(bmax * maxw, np.float32)    # the layer below's
        grad_w = np.zeros(max_weights, np.float32)       # a wide layer's weight gradient (out, in)
        grad_b = np.zeros(maxw, np.float32)
        grad_row = np.zeros(maxw, np.float32)
        grad_bias = np.zeros(1, np.float32)
        drop_keys = np.zeros(n_layers, np.uint64)
        norm_hat = np.zeros((n_layers, bmax, maxw), np.float32)  # layer norm's normalised input
        norm_rstd = np.zeros((n_layers, bmax), np.float32)       # and 1 / sqrt(var + eps), per row
        norm_grad = np.zeros((n_layers, 2, maxw), np.float32)    # d loss / d (its weight, its bias)
        for layer in range(n_layers):
            if net.drop_thresholds[layer] > 0:
                drop_keys[layer] = parts.dropout_key(net.drop_run, epoch, layer + 1)
        code, hyper, state, fac = opt.code, opt.hyper, opt.state, opt.factors
        reg_code = opt.reg_code
        momentum = np.float32(hyper[HP_MOMENTUM])
        nesterov = hyper[HP_NESTEROV] != 0.0
        use_momentum = code == SGD and momentum != 0.0
        lr64 = float(lr)
        zero = np.float32(0.0)
        half = np.float32(0.5)
        one = np.float32(1.0)
        two = np.float32(2.0)
        total = 0.0
        n_batches = 0
        start = 0
        while start < n:
            bc = min(batch, n - start)
            inv_b = one / np.float32(bc)
            # ---- gather the batch
            n_first = widths[0]
            for b in range(bc):
                row = idx[start + b]
                for i in range(n_first):
                    act_flat[b * n_first + i] = x[row, i]
            # ---- forward
            for layer in range(n_layers):
                n_in = widths[layer]
                n_out = widths[layer + 1]
                w_end = offsets[layer] + n_out * n_in
                w = theta[offsets[layer]:w_end].reshape((n_out, n_in))
                bias = theta[w_end:w_end + n_out]
                act = acts[layer]
                param = act_params[layer]
                threshold = net.drop_thresholds[layer]
                scale = net.drop_scales[layer]
                g_off = net.norm_offsets[layer]
                # Layer norm, the other activations and dropout run in one call a layer, after the
                # rows: calls inside the row loop would slow the classic path down.
                special = g_off >= 0 or act > LEAKY_RELU or threshold > 0
                inline_act = LINEAR if special else act
                if g_off >= 0:
                    for i in range(n_out):
                        norm_grad[layer, 0, i] = zero
                        norm_grad[layer, 1, i] = zero
                # Rows as flat slices in the loops: a 2-D view (reshape) costs ~15 ns, too much per
                # batch for the tiny nets; BLAS and the per-layer calls take 2-D views.
                in_at = act_starts[layer]
                out_at = act_starts[layer + 1]
                blas = n_in * n_out >= BLAS_MIN_WEIGHTS
                if blas:  # BLAS calls live in core/engines/fused_parts.py: inline here they slow the tiny nets' loops
                    parts.blas_forward(act_flat, in_at, out_at, bc, n_in, n_out, w, bias, inline_act, param)
                for b in range(0 if blas else bc):
                    a_in = act_flat[in_at + b * n_in:in_at + (b + 1) * n_in]
                    a_out = act_flat[out_at + b * n_out:out_at + (b + 1) * n_out]
                    for o in range(n_out):
                        w_row = w[o]
                        z = zero
                        for i in range(n_in):
                            z += w_row[i] * a_in[i]
                        z += bias[o]
                        if inline_act == TANH:  # via exp: 5x faster than libm tanhf, within 2e-7 of it
                            z = one - two / (np.exp(two * z) + one)
                        elif inline_act == RELU:
                            z = z if z > zero else zero
                        elif inline_act == SIGMOID:
                            z = one / (one + np.exp(-z))
                        elif inline_act == LEAKY_RELU:
                            z = z if z > zero else z * param
                        a_out[o] = z
                if special:
                    out_rows = act_flat[out_at:out_at + bc * n_out].reshape((bc, n_out))
                    parts.forward_extras(layer, bc, n_out, act, param, g_off, net.norm_eps[layer], threshold, scale,
                                    drop_keys[layer], start, theta, out_rows, pre, drop, norm_hat, norm_rstd)
            # ---- loss and its gradient wrt the output (mean over the batch)
            n_out = widths[n_layers]
            out = act_flat[act_starts[n_layers]:act_starts[n_layers] + bc * n_out]  # row b at b * n_out
            batch_loss = 0.0
            if loss_code == SOFTMAX_CE:  # y holds class indices
                for b in range(bc):
                    zmax = out[b * n_out]
                    for o in range(1, n_out):
                        zmax = max(zmax, out[b * n_out + o])
                    s = zero
                    for o in range(n_out):
                        s += np.exp(out[b * n_out + o] - zmax)
                    target = int(y[idx[start + b]])
                    batch_loss += float(np.log(s) + zmax - out[b * n_out + target])
                    for o in range(n_out):
                        p = np.exp(out[b * n_out + o] - zmax) / s
                        if o == target:
                            p -= one
                        delta_flat[b * n_out + o] = p * inv_b
            elif loss_code == RECON_MSE:  # every output against its own input: the mean over all values
                inv_n = one / np.float32(n_out)
                for b in range(bc):
                    row = idx[start + b]
                    row_loss = 0.0
                    for o in range(n_out):
                        d = out[b * n_out + o] - x[row, o]
                        row_loss += float(d * d)
                        delta_flat[b * n_out + o] = two * d * inv_n * inv_b
                    batch_loss += row_loss / n_out
            else:  # one output: a logit (classification) or a value (regression)
                for b in range(bc):
                    z = out[b * n_out]
                    t = y[idx[start + b]]
                    if loss_code == BCE:  # with logits
                        e = np.exp(-abs(z))
                        batch_loss += float(max(z, zero) - z * t + np.log1p(e))
                        p = one / (one + e) if z >= zero else e / (one + e)
                        g = p - t
                    elif loss_code == HINGE:  # on the logit, targets as -1/+1
                        sign = two * t - one
                        margin = one - sign * z
                        batch_loss += float(max(margin, zero))
                        g = -sign if margin >= zero else zero
                    else:  # mse / huber / l1 on sigmoid(logit) or on the value
                        p = one / (one + np.exp(-z)) if squash else z
                        d = p - t
                        ad = abs(d)
                        if loss_code == MSE:
                            batch_loss += float(d * d)
                            g = two * d
                        elif loss_code == HUBER:  # delta 1 (torch's default)
                            batch_loss += float(half * d * d if ad < one else ad - half)
                            g = d if ad <= one else (one if d > zero else -one)
                        else:
                            batch_loss += float(ad)
                            g = one if d > zero else (-one if d < zero else zero)
                        if squash:
                            g *= p * (one - p)
                    delta_flat[b] = g * inv_b
            batch_loss /= bc
            if opt.with_penalty and reg_code != REG_NONE and reg_rate > zero:
                penalty = 0.0
                for layer in range(n_layers):
                    for j in range(offsets[layer], offsets[layer] + widths[layer + 1] * widths[layer]):
                        v = float(theta[j])
                        penalty += abs(v) if reg_code == REG_L1 else 0.5 * v * v
                batch_loss += reg_rate * penalty
            total += batch_loss
            n_batches += 1
            if opt.counts_steps:
                opt.step[0] += 1.0
                parts.opt_factors(code, hyper, opt.step[0], lr64, fac)
            # ---- backward and the optimizer step, output layer first
            for layer in range(n_layers - 1, -1, -1):
                n_in = widths[layer]
                n_out = widths[layer + 1]
                w_start = offsets[layer]
                w_end = w_start + n_out * n_in
                w = theta[w_start:w_end].reshape((n_out, n_in))
                bias = theta[w_end:w_end + n_out]
                in_at = act_starts[layer]
                blas = n_in * n_out >= BLAS_MIN_WEIGHTS
                if layer > 0:  # the layer below's delta, with the weights before this step
                    act = acts[layer - 1]
                    param = act_params[layer - 1]
                    special_prev = (net.norm_offsets[layer - 1] >= 0 or act > LEAKY_RELU
                                    or net.drop_thresholds[layer - 1] > 0)
                    if blas:
                        parts.blas_backward(delta_flat, prev_flat, w, bc, n_in, n_out)
                    for b in range(bc):
                        dp = prev_flat[b * n_in:(b + 1) * n_in]
                        a_row = act_flat[in_at + b * n_in:in_at + (b + 1) * n_in]
                        if not blas:
                            for i in range(n_in):
                                dp[i] = zero
                            for o in range(n_out):
                                d = delta_flat[b * n_out + o]
                                w_row = w[o]
                                for i in range(n_in):
                                    dp[i] += d * w_row[i]
                        if special_prev:
                            continue  # below, for all rows in one call
                        if act == TANH:
                            for i in range(n_in):
                                a = a_row[i]
                                dp[i] *= one - a * a
                        elif act == RELU:
                            for i in range(n_in):
                                if a_row[i] <= zero:
                                    dp[i] = zero
                        elif act == SIGMOID:
                            for i in range(n_in):
                                a = a_row[i]
                                dp[i] *= a * (one - a)
                        elif act == LEAKY_RELU:
                            for i in range(n_in):
                                if a_row[i] <= zero:
                                    dp[i] *= param
                    if special_prev:
                        parts.backward_extras(layer - 1, bc, n_in, act, param, net.norm_offsets[layer - 1],
                                         net.drop_thresholds[layer - 1] > 0, theta,
                                         prev_flat[:bc * n_in].reshape((bc, n_in)), pre, drop,
                                         norm_hat, norm_rstd, norm_grad)
                g_off = net.norm_offsets[layer]
                if g_off >= 0:  # this layer's layer norm weight and bias (their gradients are complete)
                    if code != SGD:
                        parts.opt_slice(code, hyper, fac, theta, norm_grad[layer, 0], state, g_off, n_out)
                        parts.opt_slice(code, hyper, fac, theta, norm_grad[layer, 1], state, g_off + n_out, n_out)
                    else:
                        mom = state[0]
                        parts.sgd_slice(theta, mom, norm_grad[layer, 0], g_off, n_out, lr, momentum, nesterov)
                        parts.sgd_slice(theta, mom, norm_grad[layer, 1], g_off + n_out, n_out, lr, momentum, nesterov)
                if blas:  # the weight gradient from BLAS, then one update over the layer's block
                    parts.blas_update(code, hyper, fac, theta, state, grad_w, grad_b, delta_flat, act_flat, in_at, bc,
                                      n_in, n_out, w_start, w_end, reg_code, reg_rate, lr, momentum, nesterov)
                    delta_flat, prev_flat = prev_flat, delta_flat
                    continue
                if code != SGD:  # adaptive optimizers: one call a layer keeps calls out of the SGD loops
                    parts.adaptive_layer(code, hyper, fac, theta, state, w,
                                         delta_flat[:bc * n_out].reshape((bc, n_out)),
                                         act_flat[in_at:in_at + bc * n_in].reshape((bc, n_in)), grad_row, grad_bias,
                                         bc, n_in, n_out, w_start, w_end, reg_code, reg_rate)
                    delta_flat, prev_flat = prev_flat, delta_flat
                    continue
                mom = state[0]
                if use_momentum:
                    mw = mom[w_start:w_end].reshape((n_out, n_in))
                    mb = mom[w_end:w_end + n_out]
                else:
                    mw = mom[:1].reshape((1, 1))
                    mb = mom[:1]
                for o in range(n_out):
                    for i in range(n_in):
                        grad_row[i] = zero
                    gb = zero
                    for b in range(bc):
                        d = delta_flat[b * n_out + o]
                        gb += d
                        a_row = act_flat[in_at + b * n_in:in_at + (b + 1) * n_in]
                        for i in range(n_in):
                            grad_row[i] += d * a_row[i]
                    w_row = w[o]
                    for i in range(n_in):
                        g = grad_row[i]
                        wv = w_row[i]
                        if reg_code == REG_L2:
                            g += reg_rate * wv
                        elif reg_code == REG_L1:
                            if wv > zero:
                                g += reg_rate
                            elif wv < zero:
                                g -= reg_rate
                        if use_momentum:
                            buf = momentum * mw[o, i] + g
                            mw[o, i] = buf
                            g = g + momentum * buf if nesterov else buf
                        w_row[i] = wv - lr * g
                    if use_momentum:
                        buf = momentum * mb[o] + gb
                        mb[o] = buf
                        gb = gb + momentum * buf if nesterov else buf
                    bias[o] -= lr * gb
                delta_flat, prev_flat = prev_flat, delta_flat
            start += bc
        if n_batches == 0:
            return math.nan
        return total / n_batches

    return epoch_kernel


def _compile_block() -> Any:
    from numba import njit

    stamp = _dependency_stamp()

    # The two kernels are read as module globals (_kernel, _eval_kernel), not closure cells.
    @njit(cache=True, nogil=True, error_model=ERROR_MODEL)
    def block_kernel(x, y, orders, batch, theta, net, opt, lrs, reg_rate, first_epoch,
                     x_eval, y_eval, n_train, classify, n_classes, confusion, theta_good, state_good, stats):
        # Epoch e trains on rows orders[e] at lrs[e], then evaluates both sets; stats[e] gets
        # (mean batch loss, train loss sum, test loss sum, train hits, test hits). At the first
        # epoch whose loss or parameters are not finite, theta and the optimizer state go back to
        # that epoch's start and the loop ends. Returns the number of good epochs; `confusion` is
        # the last one's.
        if stamp < 0:
            raise ValueError("unreachable: the stamp keys numba's cache on the helper sources")
        n_test = x_eval.shape[0] - n_train
        for e in range(orders.shape[0]):
            theta_good[:] = theta
            state_good[:] = opt.state
            step_good = opt.step[0]
            loss = _kernel(x, y, orders[e], batch, theta, net, opt, lrs[e], reg_rate, first_epoch + e)
            stats[e, 0] = loss
            ok = math.isfinite(loss) and np.isfinite(theta).all()
            if ok:
                lt, ls, ht, hs = _eval_kernel(x_eval, y_eval, n_train, theta, net, classify, n_classes, confusion)
                stats[e, 1] = lt
                stats[e, 2] = ls
                stats[e, 3] = ht
                stats[e, 4] = hs
                ok = math.isfinite(lt) and (n_test == 0 or math.isfinite(ls))
            if not ok:
                theta[:] = theta_good
                opt.state[:] = state_good
                opt.step[0] = step_good
                return e
        return orders.shape[0]

    return block_kernel


def epoch_kernel() -> Any:
    global _kernel
    if _kernel is None:
        with _lock:
            if _kernel is None:
                parts.compile_all()
                _kernel = _compile_epoch()
    return _kernel


def eval_kernel() -> Any:
    global _eval_kernel
    if _eval_kernel is None:
        with _lock:
            if _eval_kernel is None:
                parts.compile_all()
                from core.engines.fused_eval_kernel import compile_eval

                _eval_kernel = compile_eval()
    return _eval_kernel


def block_kernel() -> Any:
    global _block_kernel
    if _block_kernel is None:
        epoch_kernel()  # built first, outside the lock: the block kernel calls both
        eval_kernel()
        with _lock:
            if _block_kernel is None:
                _block_kernel = _compile_block()
    return _block_kernel
