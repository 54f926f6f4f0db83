"""Layer norm on the fused engine: forward and backward of one row, as torch's nn.LayerNorm computes.

y = (z - mean) / sqrt(var + eps) * weight + bias over a row's units (var biased, as torch's). Plain
Python (no numba import here); the fused engine compiles these into its kernels. Batch norm, whose
running statistics differ between training and evaluation, stays on the torch engine.
"""

from __future__ import annotations

import numpy as np


def forward_row(z, n, gamma, beta, eps, xhat):
    """Normalise z[:n] in place into gamma * xhat + beta, keep xhat; returns 1 / sqrt(var + eps)."""
    mean = np.float32(0.0)
    for o in range(n):
        mean += z[o]
    mean = mean / np.float32(n)
    var = np.float32(0.0)
    for o in range(n):
        d = z[o] - mean
        var += d * d
    rstd = np.float32(1.0) / np.sqrt(var / np.float32(n) + eps)
    for o in range(n):
        h = (z[o] - mean) * rstd
        xhat[o] = h
        z[o] = h * gamma[o] + beta[o]
    return rstd


def backward_row(dy, n, gamma, xhat, rstd, dgamma, dbeta):
    """dy[:n] (d loss / d output) in place into d loss / d input; adds the weight and bias gradients."""
    mean_dx = np.float32(0.0)
    mean_dx_x = np.float32(0.0)
    for o in range(n):
        dgamma[o] += dy[o] * xhat[o]
        dbeta[o] += dy[o]
        dx = dy[o] * gamma[o]
        mean_dx += dx
        mean_dx_x += dx * xhat[o]
    inv_n = np.float32(1.0) / np.float32(n)
    mean_dx *= inv_n
    mean_dx_x *= inv_n
    for o in range(n):
        dy[o] = rstd * (dy[o] * gamma[o] - mean_dx - xhat[o] * mean_dx_x)


def forward_columns(h, n, m, gamma, beta, eps):
    """forward_row for each of the m rows of unit-major h[unit, row] (the evaluation layout)."""
    inv_n = np.float32(1.0) / np.float32(n)
    for r in range(m):
        mean = np.float32(0.0)
        for o in range(n):
            mean += h[o, r]
        mean *= inv_n
        var = np.float32(0.0)
        for o in range(n):
            d = h[o, r] - mean
            var += d * d
        rstd = np.float32(1.0) / np.sqrt(var * inv_n + eps)
        for o in range(n):
            h[o, r] = (h[o, r] - mean) * rstd * gamma[o] + beta[o]


def sgd_slice(theta, mom, grad, j0, n, lr, momentum, nesterov):
    """torch.optim.SGD's step on theta[j0:j0+n] (momentum buffers in mom, unused without momentum)."""
    for i in range(n):
        g = grad[i]
        if momentum != 0.0:
            buf = momentum * mom[j0 + i] + g
            mom[j0 + i] = buf
            g = g + momentum * buf if nesterov else buf
        theta[j0 + i] -= lr * g
