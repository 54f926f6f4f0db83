"""The data points of the boundary view: which rows are drawn, their colours, their legend, and the
principal plane a table is projected on. Numpy and brushes only; the view places them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from app.look import colormaps
from app.look.plotting import pg

DIVERGING32 = colormaps.lut_to_argb32(colormaps.diverging_lut())
OUTLINE_TRAIN = pg.mkPen(255, 255, 255, 230, width=1)     # classes: white ring, as TF Playground
OUTLINE_VALUE = pg.mkPen(40, 40, 40, 170, width=0.8)      # regression: thin dark ring on a pale field
OUTLINE_TEST = pg.mkPen(30, 30, 30, 230, width=1.2)
# Wrong predictions: a black cross, not a red ring, since red is one of the class colours (digits' 3).
MISS_RGB = (20, 20, 20)
MISS_PEN = pg.mkPen(255, 255, 255, 230, width=0.8)  # a white edge keeps the cross readable on dark dots
MAX_SHOWN_POINTS = 10_000  # per split: more dots add nothing to the picture but cost every repaint
_SAMPLE_SEED = 20240501    # the shown subset is the same every time for the same data


def principal_plane(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `x` on their first two principal components (of the standardised columns).

    Returns (coords (n, 2), share of the variance each component explains (2,)). Constant columns
    count as zero; one-column data gets a zero second coordinate. Signs are fixed (the largest
    loading of each component is positive), so the same data always looks the same.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        return np.zeros((0, 2)), np.zeros(2)
    centred = x - x.mean(axis=0)
    std = centred.std(axis=0)
    centred = centred / np.where(std > 1e-12, std, 1.0)
    # The eigenvectors of the columns' (d x d) scatter matrix are the SVD's right singular vectors:
    # ~1 ms for digits' 1797 x 64 on the GUI thread, where the SVD of the rows took 20-120 ms.
    variance, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(variance)[::-1]
    variance, vt = np.clip(variance[order], 0.0, None), vectors[:, order].T
    k = min(2, vt.shape[0], len(x))
    axes = vt[:k]
    signs = np.sign(axes[np.arange(k), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    coords = np.zeros((len(x), 2))
    coords[:, :k] = centred @ axes.T
    total = float(variance.sum())
    share = np.zeros(2)
    if total > 0:
        share[:k] = variance[:k] / total
    return coords, share


def paler(pixels: np.ndarray, keep: float = 0.72) -> np.ndarray:
    """Blend packed ARGB pixels towards white, so the full-colour data points stand out on top."""
    channels = pixels.view(np.uint8).reshape(*pixels.shape, 4).astype(np.float32)
    channels[..., :3] = 255.0 - (255.0 - channels[..., :3]) * keep
    return channels.astype(np.uint8).view(np.uint32).reshape(pixels.shape)


def fmt_value(value: float) -> str:
    if abs(value) < 1e-9:
        return "0"
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.3g}"


def point_size(n_points: int) -> int:
    """Smaller dots for bigger sets, so a thousand rows stay a cloud rather than a blot."""
    return 7 if n_points <= 600 else 6 if n_points <= 1500 else 5


def shown_rows(n: int, limit: int = MAX_SHOWN_POINTS) -> np.ndarray:
    """Indices of the rows drawn out of `n`: all of them up to `limit`, else a seeded random subset
    of `limit` rows in their original order (the same data always shows the same dots)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(_SAMPLE_SEED).choice(n, size=limit, replace=False))


def shared_brushes(packed: np.ndarray) -> list:
    """One QBrush per point, shared between points of the same colour: a few brush objects however
    many points, so pyqtgraph renders each colour's dot once (its symbol atlas keys on the brush)."""
    packed = np.asarray(packed, dtype=np.uint32).ravel()
    if not packed.size:
        return []
    colours, which = np.unique(packed, return_inverse=True)
    brushes = np.empty(len(colours), dtype=object)
    brushes[:] = [pg.mkBrush(QColor.fromRgba(int(c))) for c in colours]
    return brushes[which.ravel()].tolist()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dot(colour: QColor) -> str:
    """A legend swatch: a filled disc in the points' colour."""
    return f'<span style="color:{colour.name()}; font-size:11pt;">●</span>'


def ring(colour: QColor, bold: bool = False) -> str:
    """A legend swatch: an open circle (test rows, wrong predictions)."""
    weight = "font-weight:bold; " if bold else ""
    return f'<span style="color:{colour.name()}; {weight}font-size:11pt;">○</span>'


def packed_colours(y: np.ndarray, task: str, n_classes: int, value_range: tuple[float, float]) -> np.ndarray:
    """ARGB32 colours of points with targets `y`, in full strength (the background is paler)."""
    if task == "regression":
        low, high = value_range
        return colormaps.values_to_argb32(y, DIVERGING32, low, high)
    if n_classes > 2:
        return colormaps.classes_to_argb32(y, n_classes)
    return colormaps.values_to_argb32(y.astype(np.float32), DIVERGING32, 0.0, 1.0)


def legend_html(entries: list[tuple[str, str]], note: str, prefix: str) -> str:
    """The key's entries (swatch, text), then the note on sampled points (if any); '' if neither."""
    html = ""
    if entries:
        html = prefix + " &nbsp; ".join(f"{symbol}&nbsp;{escape(text).replace(' ', '&nbsp;')}"
                                        for symbol, text in entries)  # an entry never breaks in two
    if note:
        html += ("<br>" if html else "") + f'<span style="color:#6b7280;">{escape(note)}</span>'
    return html
