"""Colour maps shared by every view, so a colour means the same thing everywhere in the window.

- diverging (orange - light grey - blue, as in TF Playground): two classes, signed values, weights,
  and regression values (the boundary, the points and the output thumbnail all use it, with levels
  symmetric around 0). Orange is negative / low / class 0, blue is positive / high / class 1.
- qualitative: one colour per class for multi-class sets (class 0 orange, class 1 blue, then others).
- sequential (light yellow - teal - navy): a one-signed quantity where no middle exists; no view
  uses it for regression any more, so a value has one colour everywhere in the window.

Each map comes as a pyqtgraph `ColorMap` (for ImageItem / colour bars) and as a numpy lookup table.
`values_to_argb32` turns a float array into packed 0xAARRGGBB pixels for a QImage in one numpy
pass, so views never loop over pixels in Python.
"""

from __future__ import annotations

import colorsys

import numpy as np
from app.look.plotting import pg

NEGATIVE_RGB = (245, 147, 34)   # orange: negative weight / value, class 0
NEUTRAL_RGB = (232, 234, 235)   # near-white middle of the diverging map
POSITIVE_RGB = (8, 119, 189)    # blue: positive weight / value, class 1

_SEQUENTIAL_RGB = ((255, 255, 217), (199, 233, 180), (65, 182, 196), (34, 94, 168), (8, 29, 88))

_QUALITATIVE_RGB = (
    NEGATIVE_RGB, POSITIVE_RGB,
    (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
    (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)


def diverging_colormap() -> pg.ColorMap:
    """Orange (low) - light grey (middle) - blue (high); set symmetric levels so 0 is the middle."""
    return pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[NEGATIVE_RGB, NEUTRAL_RGB, POSITIVE_RGB])


def sequential_colormap() -> pg.ColorMap:
    """Light (low) to dark navy (high), for regression values."""
    return pg.ColorMap(pos=np.linspace(0.0, 1.0, len(_SEQUENTIAL_RGB)), color=list(_SEQUENTIAL_RGB))


def qualitative_colors(n: int) -> np.ndarray:
    """(n, 4) uint8 RGBA, one distinct opaque colour per class; more than 10 classes get extra hues."""
    if n < 1:
        raise ValueError(f"qualitative_colors needs at least one class, got n={n}")
    colours = list(_QUALITATIVE_RGB[:n])
    for i in range(len(colours), n):  # golden-angle hues keep extra classes apart
        r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.65, 0.8)
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    out = np.full((n, 4), 255, dtype=np.uint8)
    out[:, :3] = np.array(colours, dtype=np.uint8)
    return out


def qualitative_colormap(n: int) -> pg.ColorMap:
    """A stepped map over 0..n-1 (class k at position k/(n-1)), e.g. for a class legend."""
    colours = qualitative_colors(n)
    if n == 1:
        return pg.ColorMap(pos=[0.0, 1.0], color=[colours[0], colours[0]])
    return pg.ColorMap(pos=np.linspace(0.0, 1.0, n), color=colours)


def diverging_lut(n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA lookup table of the diverging map."""
    return diverging_colormap().getLookupTable(0.0, 1.0, nPts=n, alpha=True, mode=pg.ColorMap.BYTE)


def sequential_lut(n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA lookup table of the sequential map."""
    return sequential_colormap().getLookupTable(0.0, 1.0, nPts=n, alpha=True, mode=pg.ColorMap.BYTE)


def qualitative_lut(n: int) -> np.ndarray:
    """(n, 4) uint8 RGBA: entry k is class k. With pyqtgraph ImageItem use levels (0, n)."""
    return qualitative_colors(n)


def lut_to_argb32(lut: np.ndarray) -> np.ndarray:
    """Pack an (n, 3|4) uint8 table into uint32 0xAARRGGBB, the layout of QImage.Format_ARGB32."""
    lut = np.asarray(lut, dtype=np.uint32)
    alpha = lut[:, 3] if lut.shape[1] == 4 else np.full(len(lut), 255, dtype=np.uint32)
    return (alpha << 24) | (lut[:, 0] << 16) | (lut[:, 1] << 8) | lut[:, 2]


def values_to_argb32(values: np.ndarray, lut32: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map floats to packed pixels: `low` -> first entry, `high` -> last; NaN gets the middle entry."""
    n = len(lut32)
    span = float(high) - float(low)
    scale = (n - 1) / span if span > 0 else 0.0
    idx = (np.asarray(values, dtype=np.float32) - np.float32(low)) * np.float32(scale)
    np.clip(idx, 0, n - 1, out=idx)
    if np.isnan(idx.sum()):  # one cheap pass; the replacement only when a NaN is there
        idx[np.isnan(idx)] = (n - 1) / 2.0
    return lut32[idx.astype(np.intp)]


def classes_to_argb32(classes: np.ndarray, n_classes: int, confidence: np.ndarray | None = None,
                      only: int | None = None) -> np.ndarray:
    """Packed pixels for a class-index grid: the class colour, paler where `confidence` is low.

    `only=k` paints class k and leaves the other classes in the neutral colour (a one-vs-rest view).
    """
    colours = qualitative_colors(n_classes)[:, :3].astype(np.float32)
    cls = np.clip(np.nan_to_num(np.asarray(classes, dtype=np.float32), nan=0), 0, n_classes - 1)
    rgb = colours[cls.astype(np.intp)]
    if confidence is not None:
        # confidence runs from 1/n (a guess) to 1 (sure); sure regions get the full colour
        floor = 1.0 / n_classes
        strength = np.clip((np.asarray(confidence, dtype=np.float32) - floor) / (1.0 - floor), 0, 1)
        strength = 0.3 + 0.7 * strength
    else:
        strength = np.ones(cls.shape, dtype=np.float32)
    if only is not None:
        strength = np.where(cls.astype(np.intp) == only, strength, 0.0)
    neutral = np.array(NEUTRAL_RGB, dtype=np.float32)
    rgb = neutral + (rgb - neutral) * strength[..., None]
    rgb8 = np.clip(rgb + 0.5, 0, 255).astype(np.uint32)
    return (np.uint32(255) << 24) | (rgb8[..., 0] << 16) | (rgb8[..., 1] << 8) | rgb8[..., 2]
