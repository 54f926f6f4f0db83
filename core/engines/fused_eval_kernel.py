"""The fused engine's evaluation kernel: losses, hits and the test confusion over both sets at once.

Compiled on first use through fused_kernels.eval_kernel(), which also keys numba's cache on this
file's source (the block kernel calls it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.engines import fused_parts as parts
from core.engines.fused_act import LEAKY_RELU, LINEAR, RELU, SIGMOID, TANH
from core.engines.fused_kernels import (
    BCE, BLAS_MIN_WEIGHTS, BLAS_ONE_THREAD_MACS, EVAL_CHUNK_ROWS, EVAL_MIN_CHUNK_ROWS, HINGE, HUBER, MSE, RECON_MSE, SOFTMAX_CE,
    _dependency_stamp,
)
from core.engines.fused_parts import ERROR_MODEL


def compile_eval() -> Any:
    from numba import njit

    stamp = _dependency_stamp()

    @njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True, error_model=ERROR_MODEL)
    def eval_kernel(x, y, n_train, theta, net, classify, n_classes, confusion):
        # Rows [0, n_train) are the training set, the rest the test set. Returns the summed loss
        # and the number of correct predictions of each part; `confusion` (n_classes**2, test rows,
        # index truth * n_classes + prediction) is filled when classify. Same float32 forward
        # (eval mode: no dropout) and per-row loss as epoch_kernel.
        # Rows go through in chunks, unit-major (h[unit, row]): the inner loops run over rows,
        # long and contiguous whatever the layer widths, so they vectorise.
        if stamp < 0:
            raise ValueError("unreachable: the stamp keys numba's cache on the helper sources")
        offsets, acts, act_params, widths = net.offsets, net.acts, net.act_params, net.widths
        loss_code, squash = net.loss_code, net.squash
        n = x.shape[0]
        n_layers = widths.shape[0] - 1
        maxw = 0
        for width in widths:
            maxw = max(maxw, width)
        chunk = EVAL_CHUNK_ROWS
        for layer in range(n_layers):  # BLAS layers: chunks small enough for OpenBLAS to stay on one thread
            n_w = widths[layer] * widths[layer + 1]
            if n_w >= BLAS_MIN_WEIGHTS:
                chunk = min(chunk, max(EVAL_MIN_CHUNK_ROWS, BLAS_ONE_THREAD_MACS // n_w))
        h = np.zeros((2, maxw * chunk), np.float32)  # (units, rows) blocks, contiguous for BLAS
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
            first = h[0][:widths[0] * m].reshape((widths[0], m))
            for i in range(widths[0]):
                row_in = first[i]
                for r in range(m):
                    row_in[r] = x[start + r, i]
            for layer in range(n_layers):
                n_in = widths[layer]
                n_units = widths[layer + 1]
                src = h[layer % 2][:n_in * m].reshape((n_in, m))
                dst = h[(layer + 1) % 2][:n_units * m].reshape((n_units, m))
                w_end = offsets[layer] + n_units * n_in
                w = theta[offsets[layer]:w_end].reshape((n_units, n_in))
                bias = theta[w_end:w_end + n_units]
                param = act_params[layer]
                g_off = net.norm_offsets[layer]
                act = acts[layer] if g_off < 0 else LINEAR  # with layer norm: activation after it
                blas = n_in * n_units >= BLAS_MIN_WEIGHTS
                if blas:
                    parts.blas_columns(w, src, dst)
                for o in range(n_units):
                    z = dst[o]
                    bo = bias[o]
                    if blas:
                        for r in range(m):
                            z[r] += bo
                    else:
                        for r in range(m):
                            z[r] = bo
                        for i in range(n_in):
                            wv = w[o, i]
                            a_in = src[i]
                            for r in range(m):
                                z[r] += wv * a_in[r]
                    # The common activations loop by themselves (they vectorise); the rest per value.
                    if act == TANH:
                        for r in range(m):
                            z[r] = one - two / (np.exp(two * z[r]) + one)
                    elif act == RELU:
                        for r in range(m):
                            z[r] = z[r] if z[r] > zero else zero
                    elif act == SIGMOID:
                        for r in range(m):
                            z[r] = one / (one + np.exp(-z[r]))
                    elif act == LEAKY_RELU:
                        for r in range(m):
                            z[r] = z[r] if z[r] > zero else z[r] * param
                    elif act != LINEAR:
                        for r in range(m):
                            z[r] = parts.activate(act, z[r], param)
                if g_off >= 0:
                    gamma = theta[g_off:g_off + n_units]
                    beta = theta[g_off + n_units:g_off + 2 * n_units]
                    parts.norm_cols(dst, n_units, m, gamma, beta, net.norm_eps[layer])
                    act = acts[layer]
                    if act != LINEAR:
                        for o in range(n_units):
                            z = dst[o]
                            for r in range(m):
                                z[r] = parts.activate(act, z[r], param)
            out = h[n_layers % 2][:n_out * m].reshape((n_out, m))
            for r in range(m):
                row = start + r
                predicted = 0
                if loss_code == SOFTMAX_CE:
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
                elif loss_code == RECON_MSE:  # an autoencoder: each output against its own input
                    row_loss = 0.0
                    for o in range(n_out):
                        d = out[o, r] - x[row, o]
                        row_loss += float(d * d)
                    row_loss /= n_out
                else:
                    z1 = out[0, r]
                    t = y[row]
                    predicted = 1 if z1 > zero else 0
                    if loss_code == BCE:
                        row_loss = float(max(z1, zero) - z1 * t + np.log1p(np.exp(-abs(z1))))
                    elif loss_code == HINGE:
                        row_loss = float(max(one - (two * t - one) * z1, zero))
                    else:
                        p = one / (one + np.exp(-z1)) if squash else z1
                        d = p - t
                        ad = abs(d)
                        if loss_code == MSE:
                            row_loss = float(d * d)
                        elif loss_code == HUBER:
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
