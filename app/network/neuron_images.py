"""Turn a snapshot's grids into small QImages, one per drawn neuron, with numpy LUTs (no pixel loops).

Colour rule (the same for every thumbnail, so colours can be compared): 0 is the light middle of the
diverging map, negative is orange, positive is blue. Bounded activations (tanh, sigmoid) use the
fixed levels -1..1; unbounded ones (relu, elu, ...) and input features use the largest |value| of
that layer / feature, so their shape stays visible whatever their scale. The binary output shows
P(class 1) on 0..1 (0.5 in the middle), regression the value on the same diverging map and
symmetric levels as the boundary view (0 in the middle), multi-class one "where is class k" view
per output unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage

from app.look import colormaps
from core.nn.activations import ACTIVATIONS


_DIVERGING32 = colormaps.lut_to_argb32(colormaps.diverging_lut())


@dataclass(frozen=True)
class ImageSet:
    """QImages that view `pixels` (kept here, so the memory outlives the images)."""

    images: tuple[QImage, ...]
    pixels: np.ndarray  # (n, h, w) uint32 ARGB, rows flipped so row 0 is the top (highest x2)


def colour_limit(activation: str | None) -> float | None:
    """The fixed colour range (±limit) of a bounded activation's outputs (its record's colour_limit)."""
    record = ACTIVATIONS.get(activation) if activation else None
    return None if record is None else record.colour_limit


def symmetric_limit(values: np.ndarray, activation: str | None = None) -> float:
    """Half-width of the symmetric colour range for one layer's outputs."""
    limit = colour_limit(activation)
    if limit is not None:
        return limit
    finite = np.abs(values[np.isfinite(values)]) if values.size else values
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 1e-6 else 1.0


def _as_images(pixels: np.ndarray) -> ImageSet:
    """Wrap (n, h, w) uint32 pixels (flipped vertically first) as QImages without copying."""
    pixels = np.ascontiguousarray(pixels[:, ::-1, :])
    n, h, w = pixels.shape
    images = tuple(QImage(pixels[i].data, w, h, 4 * w, QImage.Format.Format_ARGB32) for i in range(n))
    return ImageSet(images, pixels)


def _grids(values: np.ndarray | None, limit: int) -> np.ndarray | None:
    if values is None:
        return None
    values = np.asarray(values)
    if values.ndim != 3 or values.shape[0] == 0 or values.shape[1] == 0 or values.shape[2] == 0:
        return None
    return values[:limit]


def hidden_layer_images(layers: tuple[np.ndarray, ...], activations: list[str],
                        limit: int) -> list[ImageSet | None]:
    """Thumbnails of every hidden layer in one numpy pass (one LUT lookup for all layers)."""
    scaled, counts = [], []
    for values, activation in zip(layers, activations):
        grids = _grids(values, limit)
        if grids is None or (scaled and grids.shape[1:] != scaled[0].shape[1:]):
            counts.append(0)
            continue
        bound = symmetric_limit(np.asarray(values), activation)
        scaled.append(grids if bound == 1.0 else grids * np.float32(1.0 / bound))
        counts.append(len(grids))
    if not scaled:
        return [None] * len(counts)
    stacked = np.concatenate(scaled) if len(scaled) > 1 else scaled[0]
    pixels = colormaps.values_to_argb32(stacked, _DIVERGING32, -1.0, 1.0)
    whole = _as_images(pixels)
    result: list[ImageSet | None] = []
    start = 0
    for count in counts:
        if count == 0:
            result.append(None)
            continue
        result.append(ImageSet(whole.images[start:start + count], whole.pixels))
        start += count
    return result


def input_images(values: np.ndarray | None, limit: int) -> ImageSet | None:
    """Thumbnails of the input features, each on its own symmetric scale (x1 and x1^2 differ a lot)."""
    grids = _grids(values, limit)
    if grids is None:
        return None
    finite = np.where(np.isfinite(grids), np.abs(grids), 0.0)
    bounds = finite.reshape(len(grids), -1).max(axis=1)
    bounds = np.where(bounds > 1e-6, bounds, 1.0).astype(np.float32)[:, None, None]
    return _as_images(colormaps.values_to_argb32(grids / bounds, _DIVERGING32, -1.0, 1.0))


# What each input feature is over the plane (the same formulas as core.data.features, whose module
# imports torch): the input thumbnails can show before torch is loaded and the first snapshot comes.
_PREVIEW_FEATURES = {
    "x1": lambda x1, x2: x1, "x2": lambda x1, x2: x2, "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2, "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1), "sin(x2)": lambda x1, x2: np.sin(x2),
}
PREVIEW_EXTENT = (-6.0, 6.0, -6.0, 6.0)  # the toy sets' plane


def preview_input_grids(names: list[str], resolution: int = 48,
                        extent: tuple[float, float, float, float] = PREVIEW_EXTENT) -> np.ndarray | None:
    """(n, res, res) grids of the named 2-D features (row 0 = lowest x2, as in snapshots); None if
    a name is not a 2-D feature (a table's column)."""
    if not names or any(name not in _PREVIEW_FEATURES for name in names):
        return None
    xs = np.linspace(extent[0], extent[1], resolution, dtype=np.float32)
    ys = np.linspace(extent[2], extent[3], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([_PREVIEW_FEATURES[name](gx, gy) for name in names]).astype(np.float32)


def output_images(boundary: np.ndarray | None, n_outputs: int, regression: bool,
                  confidence: np.ndarray | None = None, limit: int = 16,
                  value_range: tuple[float, float] | None = None) -> ImageSet | None:
    """Thumbnails of the output units: P(class 1), the regression value, or one view per class.

    Regression uses `value_range` (the boundary view's levels) when given, else levels symmetric
    around 0 from the grid's largest |value|, so 0 is the light middle as in the boundary view.
    """
    if boundary is None:
        return None
    grid = np.asarray(boundary)
    if grid.ndim != 2 or grid.size == 0:
        return None
    if n_outputs > 1:
        conf = None if confidence is None or np.shape(confidence) != grid.shape else confidence
        shown = min(n_outputs, limit)
        pixels = np.stack([colormaps.classes_to_argb32(grid, n_outputs, conf, only=k) for k in range(shown)])
        return _as_images(pixels)
    if regression:
        if value_range is None:
            peak = symmetric_limit(grid)
            value_range = (-peak, peak)
        low, high = value_range
        return _as_images(colormaps.values_to_argb32(grid[None], _DIVERGING32, low, high))
    return _as_images(colormaps.values_to_argb32(grid[None], _DIVERGING32, 0.0, 1.0))
