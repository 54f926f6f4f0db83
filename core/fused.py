"""The fused engine: one numba-compiled call trains a whole epoch of a small dense net on the CPU.

A per-batch torch loop pays ~20 µs per op call, so tiny nets (TF Playground's [4, 2]) train at
~50 epochs/s. Here forward, loss gradient, backward and the SGD step of every minibatch run in one
compiled call on a flat float32 copy of the parameters; at the end the result is written back
into the torch parameters (and the SGD momentum buffers) in place, so the model, the optimizer,
snapshots and exports see the same numbers. (A flat buffer, not numba typed lists of views: those
cost ~0.9 s of compilation in every new process.) The kernel releases the GIL while it runs.

Same updates as the torch path: the same batches in the same order (the caller's `indices`), the
mean batch loss, its exact gradient, regularisation on Linear weights only (l2: rate*0.5*sum w**2,
l1: rate*sum|w|), and torch.optim.SGD's step (momentum and nesterov included, dampening 0).
Float32 throughout, like torch; results agree within float rounding (summation order differs;
tanh is computed as 1 - 2/(exp(2z)+1), within 2e-7 of libm's and 5x faster).

    ok, why = supports(trainer)          # cheap; never imports numba
    loss = train_epoch(trainer, indices)  # one epoch, parameters updated in place
    result = train_epochs(trainer, orders, lrs)  # many epochs, each evaluated, in one GIL-free call
    figures = evaluate(trainer)           # losses, accuracies, confusion over the whole sets
    seconds = warm_up()                   # compile (or load the on-disk cache) ahead of time
"""

from __future__ import annotations

import importlib.util
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from core.spec import Loss, OptimizerName, RegularizationKind, Task

# Activation codes shared with the kernel.
_LINEAR, _TANH, _RELU, _SIGMOID, _LEAKY = 0, 1, 2, 3, 4
# Loss codes shared with the kernel; mse/huber/l1 apply to sigmoid(logit) for binary classification.
_BCE, _MSE, _HUBER, _L1, _HINGE, _SOFTMAX_CE = 0, 1, 2, 3, 4, 5
_VALUE_LOSSES = {Loss.mse: _MSE, Loss.huber: _HUBER, Loss.l1: _L1}
_REG_CODES = {RegularizationKind.none: 0, RegularizationKind.l1: 1, RegularizationKind.l2: 2}

# Rough per-epoch cost models, measured on the 2-core dev machine (torch 2.13, one thread): the
# fused kernel runs ~5e9 multiply-adds/s (3 per weight per row: forward, backward, gradient); the
# torch loop pays ~200 µs per Linear per minibatch in op calls, then BLAS at ~3e10/s. Wide layers
# with big batches go to torch, where BLAS wins.
FUSED_MACS_PER_SECOND = 5e9
TORCH_MACS_PER_SECOND = 3e10
TORCH_SECONDS_PER_LAYER_STEP = 200e-6
MAX_BUFFER_ELEMENTS = 32_000_000

_ACTIVATION_MODULES: dict[type[nn.Module], int] = {
    nn.Tanh: _TANH, nn.ReLU: _RELU, nn.Sigmoid: _SIGMOID, nn.Identity: _LINEAR, nn.LeakyReLU: _LEAKY,
}


# --------------------------------------------------------------------------------------------
# What the fused path can run


@dataclass(frozen=True)
class _Layout:
    """The model read as a chain of Linear layers, each followed by one activation (or none)."""

    linears: tuple[nn.Linear, ...]
    activations: tuple[int, ...]   # per Linear; the output layer's is always _LINEAR
    slopes: tuple[float, ...]      # LeakyReLU negative_slope per Linear (0 otherwise)


def _numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def _read_layout(model: nn.Module) -> tuple[_Layout | None, str]:
    if not isinstance(model, nn.Sequential):
        return None, f"the model is a {type(model).__name__}, not an nn.Sequential"
    linears: list[nn.Linear] = []
    acts: list[int] = []
    slopes: list[float] = []
    for name, module in model.named_children():
        if isinstance(module, nn.Linear):
            if linears and acts[-1] is None:
                acts[-1] = _LINEAR  # two Linears in a row: the first has no activation
            if module.bias is None:
                return None, f"layer '{name}' has no bias"
            if linears and module.in_features != linears[-1].out_features:
                return None, f"layer '{name}' takes {module.in_features} inputs, previous gives " \
                             f"{linears[-1].out_features}"
            linears.append(module)
            acts.append(None)  # type: ignore[arg-type]
            slopes.append(0.0)
            continue
        if isinstance(module, nn.Dropout) and module.p == 0.0:
            continue  # dropout 0 is the identity
        code = _ACTIVATION_MODULES.get(type(module))
        if code is None:
            kind = type(module).__name__
            what = "dropout" if isinstance(module, nn.Dropout) else \
                "normalisation" if "Norm" in kind else f"activation or layer {kind}"
            return None, f"'{name}' ({kind}): {what} is not supported by the fused engine"
        if not linears or acts[-1] is not None:
            return None, f"'{name}' does not follow a Linear layer"
        if code == _LEAKY:
            slope = float(module.negative_slope)
            if slope < 0:
                return None, f"'{name}': a negative leaky_relu slope is not supported"
            slopes[-1] = slope
        acts[-1] = code
    if not linears:
        return None, "the model has no Linear layer"
    if acts[-1] not in (None, _LINEAR):
        return None, "the model ends with an activation; the output layer must give raw logits/values"
    acts[-1] = _LINEAR
    return _Layout(tuple(linears), tuple(acts), tuple(slopes)), ""


def _loss_code(spec: Any, n_outputs: int) -> tuple[int | None, bool, str]:
    """(kernel loss code, whether it applies to sigmoid(logit), "") or (None, False, why not)."""
    loss = Loss(spec.loss)
    if n_outputs > 1:
        if loss == Loss.cross_entropy:
            return _SOFTMAX_CE, False, ""
        return None, False, f"loss '{loss.value}' needs one output; this model has {n_outputs}"
    if Task(spec.task) == Task.regression:
        if loss in _VALUE_LOSSES:
            return _VALUE_LOSSES[loss], False, ""
        return None, False, f"loss '{loss.value}' does not fit regression"
    if loss in (Loss.bce, Loss.cross_entropy):  # cross entropy on one logit is bce
        return _BCE, False, ""
    if loss == Loss.hinge:
        return _HINGE, False, ""
    return _VALUE_LOSSES[loss], True, ""


def _optimizer_problem(trainer: Any) -> str:
    opt_spec = trainer.spec.optimizer
    if opt_spec.name != OptimizerName.sgd:
        return f"optimizer '{opt_spec.name.value}' is not supported by the fused engine (sgd only)"
    optimizer = getattr(trainer, "optimizer", None)
    if optimizer is not None:
        if not isinstance(optimizer, torch.optim.SGD):
            return f"the optimizer is a {type(optimizer).__name__}, the fused engine runs plain SGD"
        for group in optimizer.param_groups:
            if group.get("weight_decay", 0) or group.get("dampening", 0) or group.get("maximize", False):
                return "SGD with weight_decay, dampening or maximize is not supported by the fused engine"
    elif opt_spec.momentum > 0:
        return "momentum needs trainer.optimizer to hold the momentum buffers"
    return ""


def supports(trainer: Any) -> tuple[bool, str]:
    """(True, "") if `trainer` can train with the fused engine, else (False, a short reason).

    Cheap and side-effect free: it reads the spec, the model and the data, and never imports numba.
    """
    if not _numba_available():
        return False, "numba not installed"
    spec = trainer.spec
    problem = _optimizer_problem(trainer)
    if problem:
        return False, problem
    layout, why = _read_layout(trainer.model)
    if layout is None:
        return False, why
    for p in trainer.model.parameters():
        if p.device.type != "cpu":
            return False, f"the fused engine runs on the CPU; the model is on {p.device.type}"
        if p.dtype != torch.float32:
            return False, f"the fused engine runs float32; the model is {p.dtype}"
    widths = [layout.linears[0].in_features] + [m.out_features for m in layout.linears]
    dataset = trainer.dataset
    if dataset.x_train.ndim != 2 or dataset.x_train.shape[1] != widths[0]:
        return False, f"the data has shape {dataset.x_train.shape}, the model takes {widths[0]} inputs"
    code, _, why = _loss_code(spec, widths[-1])
    if code is None:
        return False, why
    if spec.regularization.kind not in _REG_CODES:
        return False, f"regularization '{spec.regularization.kind.value}' is not supported"
    n_rows = len(dataset.x_train)
    rows = min(int(trainer.batch_size), n_rows)
    if (len(widths) * max(widths) * rows * 3) > MAX_BUFFER_ELEMENTS:
        return False, f"batch size {trainer.batch_size} is too large for the fused engine's buffers"
    fused_s, torch_s = estimated_epoch_seconds(widths, n_rows, rows)
    if fused_s > torch_s:
        return False, (f"the torch engine is faster for this net and batch size (about {torch_s * 1e3:.1f} "
                       f"vs {fused_s * 1e3:.1f} ms per epoch)")
    return True, ""


def estimated_epoch_seconds(widths: list[int], n_rows: int, batch_size: int) -> tuple[float, float]:
    """(fused, torch) rough seconds per epoch for Linear widths [inputs, hidden..., outputs]."""
    macs = 3.0 * n_rows * sum(a * b for a, b in zip(widths, widths[1:]))
    steps = -(-n_rows // max(1, batch_size))
    torch_s = steps * (len(widths) - 1) * TORCH_SECONDS_PER_LAYER_STEP + macs / TORCH_MACS_PER_SECOND
    return macs / FUSED_MACS_PER_SECOND, torch_s


# --------------------------------------------------------------------------------------------
# The compiled kernel (built on first use, cached on disk by numba)

_kernel_lock = threading.Lock()
_kernel = None


def _compile() -> Any:
    """Define and jit the epoch kernel (importing numba only here keeps `import core` light)."""
    from numba import njit

    # fastmath: only reassociation (so dot products vectorise) and fused multiply-add, like BLAS;
    # no nnan/ninf, so NaN and inf propagate and divergence is caught as in the torch path.
    @njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)
    def epoch_kernel(x, y, idx, batch, theta, mom, offsets, acts, slopes, widths,
                     loss_code, squash, lr, reg_code, reg_rate, momentum, nesterov, with_penalty):
        # theta: every parameter, flat; layer k's weight (out, in) starts at offsets[k] and its
        # bias follows it. mom: the SGD momentum buffers in the same layout (unused without momentum).
        # All per-row buffers are batch-major, so the inner loops run over contiguous units.
        n = idx.shape[0]
        n_layers = widths.shape[0] - 1
        for j in range(n):  # before any update: a bad index must not leave a half-trained epoch
            if idx[j] < 0 or idx[j] >= x.shape[0]:
                raise IndexError("fused engine: indices must lie in [0, number of training rows)")
        maxw = 0
        for width in widths:
            maxw = max(maxw, width)
        bmax = min(batch, n)
        act_out = np.zeros((n_layers + 1, bmax, maxw), np.float32)  # after each layer's activation
        delta = np.zeros((bmax, maxw), np.float32)       # d(batch loss)/d(pre-activation), this layer
        delta_prev = np.zeros((bmax, maxw), np.float32)  # the same for the layer below
        grad_row = np.zeros(maxw, np.float32)
        use_momentum = momentum != 0.0
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
            for b in range(bc):
                row = idx[start + b]
                for i in range(widths[0]):
                    act_out[0, b, i] = x[row, i]
            # ---- forward
            for layer in range(n_layers):
                n_in = widths[layer]
                n_out = widths[layer + 1]
                w_end = offsets[layer] + n_out * n_in
                w = theta[offsets[layer]:w_end].reshape((n_out, n_in))
                bias = theta[w_end:w_end + n_out]
                act = acts[layer]
                slope = slopes[layer]
                for b in range(bc):
                    a_in = act_out[layer, b]
                    a_out = act_out[layer + 1, b]
                    for o in range(n_out):
                        w_row = w[o]
                        z = zero
                        for i in range(n_in):
                            z += w_row[i] * a_in[i]
                        z += bias[o]
                        if act == 1:  # tanh via exp: 5x faster than libm tanhf, within 2e-7 of it
                            z = one - two / (np.exp(two * z) + one)
                        elif act == 2:
                            z = z if z > zero else zero
                        elif act == 3:
                            z = one / (one + np.exp(-z))
                        elif act == 4:
                            z = z if z > zero else z * slope
                        a_out[o] = z
            # ---- loss and its gradient wrt the output (mean over the batch)
            n_out = widths[n_layers]
            out = act_out[n_layers]
            batch_loss = 0.0
            if loss_code == 5:  # softmax cross entropy, y holds class indices
                for b in range(bc):
                    zmax = out[b, 0]
                    for o in range(1, n_out):
                        zmax = max(zmax, out[b, o])
                    s = zero
                    for o in range(n_out):
                        s += np.exp(out[b, o] - zmax)
                    target = int(y[idx[start + b]])
                    batch_loss += float(np.log(s) + zmax - out[b, target])
                    for o in range(n_out):
                        p = np.exp(out[b, o] - zmax) / s
                        if o == target:
                            p -= one
                        delta[b, o] = p * inv_b
            else:  # one output: a logit (classification) or a value (regression)
                for b in range(bc):
                    z = out[b, 0]
                    t = y[idx[start + b]]
                    if loss_code == 0:  # bce with logits
                        e = np.exp(-abs(z))
                        batch_loss += float(max(z, zero) - z * t + np.log1p(e))
                        p = one / (one + e) if z >= zero else e / (one + e)
                        g = p - t
                    elif loss_code == 4:  # hinge on the logit, targets as -1/+1
                        sign = two * t - one
                        margin = one - sign * z
                        batch_loss += float(max(margin, zero))
                        g = -sign if margin >= zero else zero
                    else:  # mse / huber / l1 on sigmoid(logit) or on the value
                        p = one / (one + np.exp(-z)) if squash else z
                        d = p - t
                        ad = abs(d)
                        if loss_code == 1:
                            batch_loss += float(d * d)
                            g = two * d
                        elif loss_code == 2:  # huber, delta 1 (torch's default)
                            batch_loss += float(half * d * d if ad < one else ad - half)
                            g = d if ad <= one else (one if d > zero else -one)
                        else:
                            batch_loss += float(ad)
                            g = one if d > zero else (-one if d < zero else zero)
                        if squash:
                            g *= p * (one - p)
                    delta[b, 0] = g * inv_b
            batch_loss /= bc
            if with_penalty and reg_code != 0 and reg_rate > zero:
                penalty = 0.0
                for layer in range(n_layers):
                    for j in range(offsets[layer], offsets[layer] + widths[layer + 1] * widths[layer]):
                        v = float(theta[j])
                        penalty += abs(v) if reg_code == 1 else 0.5 * v * v
                batch_loss += reg_rate * penalty
            total += batch_loss
            n_batches += 1
            # ---- backward and SGD step, output layer first
            for layer in range(n_layers - 1, -1, -1):
                n_in = widths[layer]
                n_out = widths[layer + 1]
                w_end = offsets[layer] + n_out * n_in
                w = theta[offsets[layer]:w_end].reshape((n_out, n_in))
                bias = theta[w_end:w_end + n_out]
                a_in = act_out[layer]
                if layer > 0:  # the layer below's delta, with the weights before this step
                    act = acts[layer - 1]
                    slope = slopes[layer - 1]
                    for b in range(bc):
                        dp = delta_prev[b]
                        for i in range(n_in):
                            dp[i] = zero
                        for o in range(n_out):
                            d = delta[b, o]
                            w_row = w[o]
                            for i in range(n_in):
                                dp[i] += d * w_row[i]
                        for i in range(n_in):
                            a = a_in[b, i]
                            if act == 1:
                                dp[i] *= one - a * a
                            elif act == 2:
                                if a <= zero:
                                    dp[i] = zero
                            elif act == 3:
                                dp[i] *= a * (one - a)
                            elif act == 4:
                                if a <= zero:
                                    dp[i] *= slope
                if use_momentum:
                    mw = mom[offsets[layer]:w_end].reshape((n_out, n_in))
                    mb = mom[w_end:w_end + n_out]
                else:
                    mw = mom[:1].reshape((1, 1))
                    mb = mom[:1]
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
                    for i in range(n_in):
                        g = grad_row[i]
                        wv = w_row[i]
                        if reg_code == 2:
                            g += reg_rate * wv
                        elif reg_code == 1:
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
                delta, delta_prev = delta_prev, delta
            start += bc
        if n_batches == 0:
            return math.nan
        return total / n_batches

    return epoch_kernel


def _get_kernel() -> Any:
    global _kernel
    if _kernel is None:
        with _kernel_lock:
            if _kernel is None:
                _kernel = _compile()
    return _kernel


_eval_kernel = None


def _compile_eval() -> Any:
    """Define and jit the evaluation kernel: forward over every row, loss and hits, no updates."""
    from numba import njit

    @njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)
    def eval_kernel(x, y, n_train, theta, offsets, acts, slopes, widths, loss_code, squash,
                    classify, n_classes, confusion):
        # Rows [0, n_train) are the training set, the rest the test set. Returns the summed loss
        # and the number of correct predictions of each part; `confusion` (n_classes**2, test rows,
        # index truth * n_classes + prediction) is filled when classify. Same float32 forward and
        # per-row loss as epoch_kernel, so the figures match what training optimises.
        # Rows go through in chunks, unit-major (h[unit, row]): the inner loops run over rows,
        # long and contiguous whatever the layer widths, so they vectorise.
        n = x.shape[0]
        n_layers = widths.shape[0] - 1
        maxw = 0
        for width in widths:
            maxw = max(maxw, width)
        chunk = 256
        h = np.zeros((2, maxw, chunk), np.float32)
        zero = np.float32(0.0)
        half = np.float32(0.5)
        one = np.float32(1.0)
        two = np.float32(2.0)
        loss_train = 0.0
        loss_test = 0.0
        hits_train = 0
        hits_test = 0
        for k in range(confusion.shape[0]):
            confusion[k] = 0
        n_out = widths[n_layers]
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            first = h[0]
            for i in range(widths[0]):
                row_in = first[i]
                for r in range(m):
                    row_in[r] = x[start + r, i]
            for layer in range(n_layers):
                src = h[layer % 2]
                dst = h[(layer + 1) % 2]
                n_in = widths[layer]
                n_units = widths[layer + 1]
                w_end = offsets[layer] + n_units * n_in
                w = theta[offsets[layer]:w_end].reshape((n_units, n_in))
                bias = theta[w_end:w_end + n_units]
                act = acts[layer]
                slope = slopes[layer]
                for o in range(n_units):
                    z = dst[o]
                    bo = bias[o]
                    for r in range(m):
                        z[r] = bo
                    for i in range(n_in):
                        wv = w[o, i]
                        a_in = src[i]
                        for r in range(m):
                            z[r] += wv * a_in[r]
                    if act == 1:
                        for r in range(m):
                            z[r] = one - two / (np.exp(two * z[r]) + one)
                    elif act == 2:
                        for r in range(m):
                            z[r] = z[r] if z[r] > zero else zero
                    elif act == 3:
                        for r in range(m):
                            z[r] = one / (one + np.exp(-z[r]))
                    elif act == 4:
                        for r in range(m):
                            z[r] = z[r] if z[r] > zero else z[r] * slope
            out = h[n_layers % 2]
            for r in range(m):
                row = start + r
                predicted = 0
                if loss_code == 5:  # softmax cross entropy
                    zmax = out[0, r]
                    for o in range(1, n_out):
                        if out[o, r] > zmax:  # strict: ties go to the first, as torch.argmax
                            zmax = out[o, r]
                            predicted = o
                    s = zero
                    for o in range(n_out):
                        s += np.exp(out[o, r] - zmax)
                    target = int(y[row])
                    if 0 <= target < n_out:
                        row_loss = float(np.log(s) + zmax - out[target, r])
                    else:  # not a class of this model: say so in the loss rather than read out of bounds
                        row_loss = math.nan
                else:
                    z1 = out[0, r]
                    t = y[row]
                    predicted = 1 if z1 > zero else 0
                    if loss_code == 0:
                        row_loss = float(max(z1, zero) - z1 * t + np.log1p(np.exp(-abs(z1))))
                    elif loss_code == 4:
                        row_loss = float(max(one - (two * t - one) * z1, zero))
                    else:
                        p = one / (one + np.exp(-z1)) if squash else z1
                        d = p - t
                        ad = abs(d)
                        if loss_code == 1:
                            row_loss = float(d * d)
                        elif loss_code == 2:
                            row_loss = float(half * d * d if ad < one else ad - half)
                        else:
                            row_loss = float(ad)
                if row < n_train:
                    loss_train += row_loss
                else:
                    loss_test += row_loss
                if classify:
                    truth = int(y[row])
                    if row < n_train:
                        hits_train += predicted == truth
                    else:
                        hits_test += predicted == truth
                        if 0 <= truth < n_classes:
                            confusion[truth * n_classes + predicted] += 1
        return loss_train, loss_test, hits_train, hits_test

    return eval_kernel


def _get_eval_kernel() -> Any:
    global _eval_kernel
    if _eval_kernel is None:
        with _kernel_lock:
            if _eval_kernel is None:
                _eval_kernel = _compile_eval()
    return _eval_kernel


_block_kernel = None


def _compile_block() -> Any:
    """Define and jit the block kernel: many epochs, each trained then evaluated, in one call."""
    from numba import njit

    # The two kernels are read as module globals (_kernel, _eval_kernel), not closure cells:
    # numba keys its disk cache on a closure's cells, which differ in every process.
    @njit(cache=True, nogil=True)
    def block_kernel(x, y, orders, batch, theta, mom, offsets, acts, slopes, widths, loss_code, squash,
                     lrs, reg_code, reg_rate, momentum, nesterov, with_penalty,
                     x_eval, y_eval, n_train, classify, n_classes, confusion, theta_good, mom_good, stats):
        # Epoch e trains on rows orders[e] at lrs[e], then evaluates both sets; stats[e] gets
        # (mean batch loss, train loss sum, test loss sum, train hits, test hits). At the first
        # epoch whose loss or parameters are not finite, theta/mom go back to that epoch's start
        # and the loop ends. Returns the number of good epochs; `confusion` is the last one's.
        n_test = x_eval.shape[0] - n_train
        for e in range(orders.shape[0]):
            theta_good[:] = theta
            mom_good[:] = mom
            loss = _kernel(x, y, orders[e], batch, theta, mom, offsets, acts, slopes, widths,
                           loss_code, squash, lrs[e], reg_code, reg_rate, momentum, nesterov, with_penalty)
            stats[e, 0] = loss
            ok = math.isfinite(loss) and np.isfinite(theta).all()
            if ok:
                lt, ls, ht, hs = _eval_kernel(x_eval, y_eval, n_train, theta, offsets, acts, slopes, widths,
                                              loss_code, squash, classify, n_classes, confusion)
                stats[e, 1] = lt
                stats[e, 2] = ls
                stats[e, 3] = ht
                stats[e, 4] = hs
                ok = math.isfinite(lt) and (n_test == 0 or math.isfinite(ls))
            if not ok:
                theta[:] = theta_good
                mom[:] = mom_good
                return e
        return orders.shape[0]

    return block_kernel


def _get_block_kernel() -> Any:
    global _block_kernel
    if _block_kernel is None:
        _get_kernel()  # built first, outside the lock: the block kernel calls both
        _get_eval_kernel()
        with _kernel_lock:
            if _block_kernel is None:
                _block_kernel = _compile_block()
    return _block_kernel


# --------------------------------------------------------------------------------------------
# Per-trainer plan: the flat buffers and the parameter views, rebuilt only when something is replaced


@dataclass
class _Plan:
    model: nn.Module
    spec: Any
    x_source: np.ndarray
    y_source: np.ndarray
    optimizer: Any
    params: list[torch.Tensor]
    pointers: tuple[int, ...]
    x: np.ndarray
    y: np.ndarray
    theta: np.ndarray              # flat copy of every parameter, the kernel's working set
    mom: np.ndarray                # flat copy of the momentum buffers (size 1 without momentum)
    pairs: list[tuple[np.ndarray, np.ndarray]]      # (torch parameter view, its slice of theta)
    mom_pairs: list[tuple[np.ndarray, np.ndarray]]  # (optimizer momentum view, its slice of mom)
    offsets: np.ndarray
    acts: np.ndarray
    slopes: np.ndarray
    widths: np.ndarray
    loss_code: int
    squash: bool
    reg_code: int
    momentum: float
    nesterov: bool
    # Built on the first evaluate(): every train row then every test row, and where the sets came from.
    eval_sources: tuple[Any, ...] = ()
    x_eval: np.ndarray | None = None
    y_eval: np.ndarray | None = None


_plans: "weakref.WeakKeyDictionary[Any, _Plan]" = weakref.WeakKeyDictionary()


def _momentum_buffers(optimizer: Any, params: list[torch.Tensor]) -> list[torch.Tensor]:
    """The optimizer's own momentum buffers (created as zeros, which equals torch's first step)."""
    buffers = []
    for p in params:
        state = optimizer.state[p]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = torch.zeros_like(p, memory_format=torch.contiguous_format)
            state["momentum_buffer"] = buf
        buffers.append(buf)
    return buffers


def _pointers(tensors: list[torch.Tensor]) -> tuple[int, ...]:
    return tuple(t.data_ptr() for t in tensors)


def _plan_for(trainer: Any) -> _Plan:
    model, spec, dataset = trainer.model, trainer.spec, trainer.dataset
    optimizer = getattr(trainer, "optimizer", None)
    try:
        plan = _plans.get(trainer)
    except TypeError:  # not weak-referenceable (e.g. a SimpleNamespace): keep the plan on it
        plan = getattr(trainer, "_fused_plan", None)
    if (plan is not None and plan.model is model and plan.spec is spec and plan.optimizer is optimizer
            and plan.x_source is dataset.x_train and plan.y_source is dataset.y_train):
        buffers = _momentum_buffers(optimizer, plan.params) if plan.momentum else []
        if _pointers(plan.params + buffers) == plan.pointers:
            return plan
    ok, why = supports(trainer)
    if not ok:
        raise ValueError(f"fused engine cannot train this model: {why}; use engine 'torch'")
    plan = _build_plan(trainer)
    try:
        _plans[trainer] = plan
    except TypeError:
        trainer._fused_plan = plan
    return plan


def _build_plan(trainer: Any) -> _Plan:
    model, spec, dataset = trainer.model, trainer.spec, trainer.dataset
    optimizer = getattr(trainer, "optimizer", None)
    layout, _ = _read_layout(model)
    assert layout is not None
    widths = [layout.linears[0].in_features] + [m.out_features for m in layout.linears]
    params = [p for m in layout.linears for p in (m.weight, m.bias)]
    momentum = float(spec.optimizer.momentum)
    nesterov = bool(spec.optimizer.nesterov)
    if optimizer is not None and optimizer.param_groups:
        momentum = float(optimizer.param_groups[0].get("momentum", momentum))
        nesterov = bool(optimizer.param_groups[0].get("nesterov", nesterov))
    buffers = _momentum_buffers(optimizer, params) if momentum else []
    sizes = [p.numel() for p in params]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    theta = np.zeros(int(starts[-1]), np.float32)
    mom = np.zeros(int(starts[-1]) if momentum else 1, np.float32)

    def pair(t: torch.Tensor, flat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return t.detach().numpy(), flat[starts[k]:starts[k + 1]].reshape(tuple(t.shape))

    code, squash, _ = _loss_code(spec, widths[-1])
    return _Plan(
        model=model, spec=spec, x_source=dataset.x_train, y_source=dataset.y_train,
        optimizer=optimizer, params=params, pointers=_pointers(params + buffers),
        # Writeable, aligned, C-ordered float32 always: any other array type would cost a new compile.
        x=np.require(dataset.x_train, np.float32, ["C", "A", "W"]),
        y=np.require(dataset.y_train, np.float32, ["C", "A", "W"]),  # class indices are exact in float32
        theta=theta, mom=mom,
        pairs=[pair(p, theta, k) for k, p in enumerate(params)],
        mom_pairs=[pair(b, mom, k) for k, b in enumerate(buffers)],
        offsets=starts[0:-1:2].copy(),
        acts=np.asarray(layout.activations, np.int64), slopes=np.asarray(layout.slopes, np.float32),
        widths=np.asarray(widths, np.int64), loss_code=int(code), squash=squash,
        reg_code=_REG_CODES[spec.regularization.kind], momentum=momentum, nesterov=nesterov,
    )


# Whether the returned epoch loss includes the regularisation penalty (the torch path's choice).
INCLUDE_PENALTY_IN_LOSS = True


def _batch_size(trainer: Any) -> int:
    batch = int(trainer.batch_size)
    if batch < 1:
        raise ValueError(f"fused engine: batch size must be at least 1, got {batch}")
    return batch


def _load_flat(plan: _Plan) -> None:
    """The live parameters and momentum buffers (edits included) into the kernel's flat copies."""
    for live, flat in plan.pairs + plan.mom_pairs:
        np.copyto(flat, live)


def _store_flat(plan: _Plan) -> None:
    """The kernel's flat copies back into the live tensors (numpy writes: no autograd involved)."""
    for live, flat in plan.pairs + plan.mom_pairs:
        np.copyto(live, flat)


def train_epoch(trainer: Any, indices: np.ndarray) -> float:
    """Train one epoch over `trainer.dataset.x_train[indices]`, in minibatches of `trainer.batch_size`.

    Updates `trainer.model`'s parameters (and the SGD momentum buffers) in place and returns the
    mean of the batch losses (regularisation penalty included, as the torch path does). If the
    epoch diverges (a non-finite loss or parameter) nothing is written back and the result is NaN
    or inf. Raises ValueError if `supports(trainer)` is False, IndexError for a bad row index.
    """
    plan = _plan_for(trainer)
    kernel = _get_kernel()
    idx = indices
    if not (isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.ndim == 1
            and idx.flags.c_contiguous and idx.flags.writeable):
        idx = np.require(np.asarray(indices).reshape(-1), np.int64, ["C", "A", "W"])
    batch = _batch_size(trainer)
    _load_flat(plan)  # the kernel works on flat copies: the parameters change only if the epoch succeeds
    loss = kernel(
        plan.x, plan.y, idx, batch, plan.theta, plan.mom, plan.offsets, plan.acts, plan.slopes,
        plan.widths, plan.loss_code, plan.squash, np.float32(trainer.learning_rate), plan.reg_code,
        np.float32(trainer.regularization_rate), np.float32(plan.momentum), plan.nesterov,
        INCLUDE_PENALTY_IN_LOSS,
    )
    loss = float(loss)
    if not (math.isfinite(loss) and np.isfinite(plan.theta).all()):
        return loss if not math.isfinite(loss) else math.nan  # diverged: parameters left as they were
    _store_flat(plan)
    return loss


def evaluate(trainer: Any) -> tuple[float, float, float | None, float | None, np.ndarray | None]:
    """(train_loss, test_loss, train_acc, test_acc, confusion) of `trainer.model` over its whole sets.

    The same figures as `Trainer.evaluate` on the torch path, within float rounding (no penalty;
    accuracies None for regression; test loss NaN, test accuracy and confusion None without test
    rows), from one compiled pass instead of ~20 torch op calls. Eval mode equals train mode for
    the nets this engine runs (no dropout, no normalisation). `confusion` is (C, C) test-set
    counts, rows = truth, C = max(n_classes, 2). Raises ValueError if `supports(trainer)` is False.
    """
    plan = _plan_for(trainer)
    kernel = _get_eval_kernel()
    x_eval, y_eval, n_train, classify, n_classes = _eval_arrays(plan, trainer.dataset)
    confusion = np.zeros(n_classes * n_classes, np.int64)
    for live, flat in plan.pairs:  # the live weights (edits included) into the kernel's buffer
        np.copyto(flat, live)
    loss_train, loss_test, hits_train, hits_test = kernel(
        x_eval, y_eval, n_train, plan.theta, plan.offsets, plan.acts, plan.slopes, plan.widths,
        plan.loss_code, plan.squash, classify, n_classes, confusion)
    return _figures(loss_train, loss_test, hits_train, hits_test, n_train, len(x_eval) - n_train,
                    classify) + (_confusion_matrix(confusion, n_classes, classify, len(x_eval) - n_train),)


def _eval_arrays(plan: _Plan, dataset: Any) -> tuple[np.ndarray, np.ndarray, int, bool, int]:
    """(x, y of every train row then every test row, n_train, classify, n_classes), built once a plan."""
    sources = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    if plan.x_eval is None or any(a is not b for a, b in zip(plan.eval_sources, sources)):
        plan.x_eval = np.require(np.concatenate([np.asarray(dataset.x_train, np.float32),
                                                 np.asarray(dataset.x_test, np.float32)]),
                                 np.float32, ["C", "A", "W"])
        plan.y_eval = np.require(np.concatenate([np.asarray(dataset.y_train).reshape(-1),
                                                 np.asarray(dataset.y_test).reshape(-1)]),
                                 np.float32, ["C", "A", "W"])
        plan.eval_sources = sources
    classify = getattr(dataset, "task", Task.classification.value) != Task.regression.value
    n_classes = max(int(getattr(dataset, "n_classes", 2)), 2) if classify else 1
    assert plan.y_eval is not None
    return plan.x_eval, plan.y_eval, len(dataset.x_train), classify, n_classes


def _figures(loss_train: float, loss_test: float, hits_train: float, hits_test: float, n_train: int,
             n_test: int, classify: bool) -> tuple[float, float, float | None, float | None]:
    """Summed losses and hit counts -> (train_loss, test_loss, train_acc, test_acc) as Trainer.evaluate."""
    train_loss = float(loss_train / n_train)
    test_loss = float(loss_test / n_test) if n_test else math.nan
    train_acc = float(hits_train / n_train) if classify else None  # plain floats: records go into checkpoints
    test_acc = float(hits_test / n_test) if classify and n_test else None
    return train_loss, test_loss, train_acc, test_acc


def _confusion_matrix(counts: np.ndarray, n_classes: int, classify: bool, n_test: int) -> np.ndarray | None:
    return counts.reshape(n_classes, n_classes) if classify and n_test else None


@dataclass(frozen=True)
class BlockResult:
    """What `train_epochs` did: `done` good epochs, their figures, and the state after the last one."""

    done: int
    figures: list[tuple[float, float, float | None, float | None]]  # per good epoch, as evaluate()
    confusion: np.ndarray | None  # test-set counts after the block (None: regression, no test rows, diverged)
    bad_loss: float           # diverged: the first non-finite figure of the failed epoch; else nan


def train_epochs(trainer: Any, orders: np.ndarray, learning_rates: np.ndarray) -> BlockResult:
    """Train len(orders) epochs (epoch k on rows orders[k] at learning_rates[k]) and evaluate after
    each, all in one compiled call that holds the GIL for none of it.

    Stops at the first epoch that diverges (a non-finite loss, parameter or evaluation), with the
    parameters and momentum buffers as they were before it (`done` < len(orders)). The model is
    updated in place with the last good weights. Raises ValueError if `supports(trainer)` is False.
    """
    plan = _plan_for(trainer)
    kernel = _get_block_kernel()
    orders = np.require(orders, np.int64, ["C", "A", "W"])
    lrs = np.require(learning_rates, np.float32, ["C", "A", "W"]).reshape(-1)
    if orders.ndim != 2 or len(orders) != len(lrs):
        raise ValueError(f"train_epochs: {len(lrs)} learning rates for orders of shape {orders.shape}")
    batch = _batch_size(trainer)
    x_eval, y_eval, n_train, classify, n_classes = _eval_arrays(plan, trainer.dataset)
    n_test = len(x_eval) - n_train
    confusion = np.zeros(n_classes * n_classes, np.int64)
    stats = np.full((len(orders), 5), np.nan, np.float64)
    _load_flat(plan)
    done = int(kernel(
        plan.x, plan.y, orders, batch, plan.theta, plan.mom, plan.offsets, plan.acts, plan.slopes,
        plan.widths, plan.loss_code, plan.squash, lrs, plan.reg_code, np.float32(trainer.regularization_rate),
        np.float32(plan.momentum), plan.nesterov, INCLUDE_PENALTY_IN_LOSS,
        x_eval, y_eval, n_train, classify, n_classes, confusion,
        np.empty_like(plan.theta), np.empty_like(plan.mom), stats))
    _store_flat(plan)  # the last good weights: the kernel rolled a bad epoch back
    figures = [_figures(row[1], row[2], row[3], row[4], n_train, n_test, classify) for row in stats[:done]]
    bad_loss = math.nan
    if done < len(orders):
        failed = stats[done]
        tried = (failed[0], failed[1] / n_train, failed[2] / n_test if n_test else 0.0)
        bad_loss = next((float(v) for v in tried if not math.isfinite(v)), math.nan)
    return BlockResult(done=done, figures=figures,
                       confusion=(_confusion_matrix(confusion, n_classes, classify, n_test)
                                  if done == len(orders) else None),
                       bad_loss=bad_loss)


def warm_up() -> float:
    """Compile the kernel (or load it from numba's on-disk cache) now; returns the seconds taken.

    Call it from a background thread at start-up so the first fused epoch does not stall.
    """
    t0 = time.perf_counter()
    kernel = _get_kernel()
    kernel(np.zeros((1, 1), np.float32), np.zeros(1, np.float32), np.zeros(1, np.int64), 1,
           np.zeros(2, np.float32), np.zeros(1, np.float32), np.zeros(1, np.int64), np.zeros(1, np.int64),
           np.zeros(1, np.float32), np.ones(2, np.int64), 0, False, np.float32(0.0), 0, np.float32(0.0),
           np.float32(0.0), False, True)
    _get_eval_kernel()(np.zeros((1, 1), np.float32), np.zeros(1, np.float32), 1, np.zeros(2, np.float32),
                       np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.float32), np.ones(2, np.int64),
                       0, False, True, 2, np.zeros(4, np.int64))
    _get_block_kernel()(np.zeros((1, 1), np.float32), np.zeros(1, np.float32), np.zeros((1, 1), np.int64), 1,
                        np.zeros(2, np.float32), np.zeros(1, np.float32), np.zeros(1, np.int64),
                        np.zeros(1, np.int64), np.zeros(1, np.float32), np.ones(2, np.int64), 0, False,
                        np.zeros(1, np.float32), 0, np.float32(0.0), np.float32(0.0), False, True,
                        np.zeros((1, 1), np.float32), np.zeros(1, np.float32), 1, True, 2, np.zeros(4, np.int64),
                        np.zeros(2, np.float32), np.zeros(1, np.float32), np.zeros((1, 5), np.float64))
    return time.perf_counter() - t0
