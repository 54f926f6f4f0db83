"""Image layers in the network diagram: each channel's feature map for the focused sample, and each
convolution's learned filters beside its maps, as small images (CNN Explainer's columns).

One table, DRAWERS (layer type -> drawer), says what an image layer's column shows; the canvas asks
it how many nodes a layer gets (`column_width`) and turns a snapshot's `views["feature_maps"]`
(core/training/feature_maps.py) into pictures (`column_pictures`). Dense layers are not in the
table: they stay columns of neurons. Every picture is a numpy LUT pass, no pixel loops, and only a
column whose data changed (`changed_columns`) is turned into pictures and painted again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.look import colormaps

_DIVERGING32 = colormaps.lut_to_argb32(colormaps.diverging_lut())
# the input as the user sees and draws it: 0 is white paper, the data's largest value black ink
_INK32 = colormaps.lut_to_argb32(np.stack([np.linspace(255, 20, 256)] * 3 + [np.full(256, 255)], 1).astype(np.uint8))
_BORDER = QColor(150, 156, 164)
_FILTER_BORDER = QColor(90, 96, 104)
FILTER_SHARE = 0.6   # a filter image's side, as a share of the node (it sits left of its map)
MOSAIC = 4           # input channels shown per filter (a 2 x 2 mosaic); the tooltip says so


@dataclass(frozen=True)
class Pictures:
    """QImages of one column (kept with the pixels they view, so the memory outlives them)."""

    maps: tuple[QImage, ...]
    filters: tuple[QImage, ...]
    pixels: tuple[np.ndarray, ...]


def _images(pixels: np.ndarray) -> tuple[tuple[QImage, ...], np.ndarray]:
    """(n, h, w) uint32 ARGB -> n QImages over the same memory, row 0 at the top (as an image is)."""
    pixels = np.ascontiguousarray(pixels)
    n, h, w = pixels.shape
    return tuple(QImage(pixels[i].data, w, h, 4 * w, QImage.Format.Format_ARGB32) for i in range(n)), pixels


def _peak(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 1e-6 else 1.0


def map_pixels(maps: np.ndarray) -> np.ndarray:
    """A layer's maps on one symmetric scale (0 light, positive blue, negative orange), so strong and
    weak channels can be compared."""
    peak = _peak(maps)
    return colormaps.values_to_argb32(maps, _DIVERGING32, -peak, peak)


def filter_mosaic(filters: np.ndarray) -> np.ndarray:
    """(out, in, k, k) -> (out, side, side) values: each filter's first MOSAIC input channels tiled
    2 x 2 with a one-pixel gap (NaN, drawn neutral); a single input channel is the bare k x k kernel."""
    out, n_in, k, _ = filters.shape
    shown = min(n_in, MOSAIC)
    per_row = 1 if shown == 1 else 2
    rows = math.ceil(shown / per_row)
    side = max(per_row, rows) * (k + 1) - 1
    mosaic = np.full((out, side, side), np.nan, np.float32)
    for i in range(shown):
        r, c = divmod(i, per_row)
        mosaic[:, r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = filters[:, i]
    return mosaic


def input_pixels(image: np.ndarray, high: float | None = None) -> np.ndarray:
    """The input channels in ink: 0 white, `high` (by default the largest value) black."""
    values = np.asarray(image, np.float32)
    low = min(0.0, float(np.nanmin(values))) if values.size else 0.0
    if high is None:
        high = float(np.nanmax(values)) if values.size else 1.0
    return colormaps.values_to_argb32(values, _INK32, low, high if high > low else low + 1.0)


def _maps_only(entry: Mapping[str, Any]) -> Pictures:
    maps, pixels = _images(map_pixels(np.asarray(entry["maps"])))
    return Pictures(maps, (), (pixels,))


def _conv(entry: Mapping[str, Any]) -> Pictures:
    maps, pixels = _images(map_pixels(np.asarray(entry["maps"])))
    weights = entry.get("filters")
    if weights is None:
        return Pictures(maps, (), (pixels,))
    weights = np.asarray(weights, np.float32)
    peak = _peak(weights)
    filters, filter_pixels = _images(colormaps.values_to_argb32(filter_mosaic(weights), _DIVERGING32, -peak, peak))
    return Pictures(maps, filters, (pixels, filter_pixels))


# layer type -> what its column shows; a type not here (dense, flatten ...) is drawn as neurons
DRAWERS: dict[str, Callable[[Mapping[str, Any]], Pictures]] = {
    "conv2d": _conv, "maxpool2d": _maps_only, "avgpool2d": _maps_only,
    "batch_norm": _maps_only, "dropout": _maps_only,
}


def column_width(layer_type: str, shape: tuple[int, ...] | None) -> int | None:
    """Nodes for an image layer (one per channel), or None when the layer is not drawn as maps."""
    if layer_type in DRAWERS and shape is not None and len(shape) == 3:
        return int(shape[0])
    return None


def _column_entries(view: Mapping[str, Any] | None) -> dict[int, Mapping[str, Any]]:
    """Column index (0 = input, k + 1 = hidden layer k) -> the part of views["feature_maps"] it shows."""
    if not view:
        return {}
    result: dict[int, Mapping[str, Any]] = {}
    image = view.get("input")
    if image is not None and np.ndim(image) == 3:
        result[0] = {"type": "input", "maps": image}
    for entry in view.get("layers", ()):
        if entry["type"] in DRAWERS and entry.get("maps") is not None and np.ndim(entry["maps"]) == 3:
            result[int(entry["index"]) + 1] = entry
    return result


def _same_entry(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a["type"] == b["type"] and all(
        (a.get(key) is None and b.get(key) is None) or
        (a.get(key) is not None and b.get(key) is not None and np.array_equal(a[key], b[key]))
        for key in ("maps", "filters"))


def changed_columns(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> set[int]:
    """The columns whose pictures differ between two views["feature_maps"] (the input column stays
    the same while the focused image does; a paused run's maps stay the same)."""
    before, after = _column_entries(old), _column_entries(new)
    return {c for c in before.keys() | after.keys()
            if c not in before or c not in after or not _same_entry(before[c], after[c])}


def column_pictures(view: Mapping[str, Any], only: set[int] | None = None) -> dict[int, Pictures]:
    """Column index (0 = input, k + 1 = hidden layer k) -> its pictures, from views["feature_maps"];
    `only` limits the work to those columns."""
    result: dict[int, Pictures] = {}
    for column, entry in _column_entries(view).items():
        if only is not None and column not in only:
            continue
        if column == 0:
            maps, pixels = _images(input_pixels(entry["maps"]))
            result[0] = Pictures(maps, (), (pixels,))
        else:
            result[column] = DRAWERS[entry["type"]](entry)
    return result


def filter_rect(node: QRectF) -> QRectF:
    """Where a map's filter is drawn: left of the map, on the links coming in."""
    side = node.width() * FILTER_SHARE
    return QRectF(node.left() - side - 3, node.center().y() - side / 2, side, side)


def column_bounds(rects: list[QRectF], filters: bool) -> QRectF:
    """What painting a column's pictures covers (its maps, the filters left of them, their borders)."""
    bounds = QRectF()
    for rect in rects:
        bounds = bounds.united(rect)
        if filters:
            bounds = bounds.united(filter_rect(rect))
    return bounds.adjusted(-2, -2, 2, 2)


def paint_columns(painter: QPainter, rects: Mapping[int, list[QRectF]], pictures: Mapping[int, Pictures]) -> None:
    """Each picture column's maps in its nodes and its filters beside them, with nearest pixels (an
    8 x 8 map and a 3 x 3 kernel are pixels, not a smooth surface)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    draw = painter.drawImage
    frames, filter_frames = [], []
    for column, shown in pictures.items():
        for rect, image in zip(rects.get(column, ()), shown.maps):
            draw(rect, image)
            frames.append(rect)
        for rect, image in zip(rects.get(column, ()), shown.filters):
            box = filter_rect(rect)
            draw(box, image)
            filter_frames.append(box)
    painter.setPen(QPen(_BORDER, 1.0))
    painter.drawRects(frames)  # one call for all the frames
    painter.setPen(QPen(_FILTER_BORDER, 0.8))
    painter.drawRects(filter_frames)
    painter.restore()
