"""The decision boundary over the input plane, with the data points on top.

Two classes: P(class 1) on the diverging map with fixed levels 0..1 (0.5 is the light middle).
More classes: one colour per class, paler where the network is unsure. Regression: the value on
the diverging map, levels fixed by the targets' range. Hovering a neuron in the network view shows
that neuron's output here instead (`show_neuron`), until `show_output` is called.
"""

from __future__ import annotations

import numpy as np
from app.plotting import pg
from PySide6.QtGui import QColor, QImage, QPainter

from app import colormaps

_DIVERGING32 = colormaps.lut_to_argb32(colormaps.diverging_lut())
_POINT_PEN_TRAIN = pg.mkPen(255, 255, 255, 230, width=1)
_POINT_PEN_TEST = pg.mkPen(30, 30, 30, 230, width=1.2)


def _paler(pixels: np.ndarray, keep: float = 0.72) -> np.ndarray:
    """Blend packed ARGB pixels towards white, so the full-colour data points stand out on top."""
    channels = pixels.view(np.uint8).reshape(*pixels.shape, 4).astype(np.float32)
    channels[..., :3] = 255.0 - (255.0 - channels[..., :3]) * keep
    return channels.astype(np.uint8).view(np.uint32).reshape(pixels.shape)


class _SmoothImageItem(pg.ImageItem):
    """Bilinear scaling, so a 50×50 grid reads as a smooth field rather than blocks."""

    def paint(self, painter: QPainter, *args) -> None:  # noqa: ANN002
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)


class BoundaryView(pg.PlotWidget):
    """What the network predicts everywhere on the plane; hover a neuron to see its output."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("boundaryView")
        self.setAccessibleName("Decision boundary")
        self.setToolTip("What the network predicts at every point of the plane: colour shows the class "
                        "(or value), with the training points on top.")
        self.setMinimumSize(180, 180)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setAspectLocked(True)
        item.showAxes(True, showValues=(True, False, False, True))
        for name in ("top", "right"):
            item.getAxis(name).setStyle(showValues=False, tickLength=0)
        self._image = _SmoothImageItem(axisOrder="row-major")
        self._image.setZValue(-10)
        self.addItem(self._image)
        self._train_points = pg.ScatterPlotItem(size=6, pxMode=True)
        self._test_points = pg.ScatterPlotItem(size=6, pxMode=True, symbol="o")
        self.addItem(self._train_points)
        self.addItem(self._test_points)
        self._caption = pg.TextItem("", color=(60, 60, 60), anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 200))
        self._caption.setZValue(20)
        self.addItem(self._caption)
        self._caption.hide()
        self._placeholder = pg.TextItem("", color=(110, 110, 110), anchor=(0.5, 0.5))
        self.addItem(self._placeholder)

        self.extent = (-6.0, 6.0, -6.0, 6.0)
        self.task = "classification"
        self.n_classes = 2
        self.planar = True
        self.discretize = False
        self.show_test = False
        self._value_range = (-1.0, 1.0)
        self._snapshot = None
        self._neuron: tuple[str, int, int] | None = None
        self._neuron_activation: str | None = None
        self.pixels: np.ndarray | None = None  # the ARGB pixels shown now (tests compare these)
        self.redraws = 0
        self._set_extent(self.extent)

    # --- data ------------------------------------------------------------------------------------
    def set_dataset(self, dataset) -> None:  # noqa: ANN001
        """Show a new data set's points and frame; clears the old boundary."""
        self.planar = bool(dataset.is_planar)
        self.task = dataset.task
        self.n_classes = max(dataset.n_classes, 1)
        self._snapshot = None
        self._neuron = None
        self.pixels = None
        self._image.clear()
        self._caption.hide()
        if not self.planar:
            self._train_points.clear()
            self._test_points.clear()
            self._placeholder.setText(f"The decision boundary is drawn for 2-D data sets.\n"
                                      f"This one has {dataset.n_inputs} inputs: see the loss and "
                                      f"confusion matrix.")
            self._placeholder.setPos(0, 0)
            self._placeholder.show()
            self.setXRange(-6, 6, padding=0)
            self.setYRange(-6, 6, padding=0)
            return
        self._placeholder.hide()
        if self.task == "regression":
            y = np.concatenate([dataset.y_train, dataset.y_test]).astype(np.float64)
            peak = float(np.nanmax(np.abs(y))) if y.size else 1.0
            self._value_range = (-peak or -1.0, peak or 1.0)
        self._set_extent(tuple(dataset.extent))
        self._train_points.setData(**self._points(dataset.raw_train, dataset.y_train, _POINT_PEN_TRAIN))
        self._test_points.setData(**self._points(dataset.raw_test, dataset.y_test, _POINT_PEN_TEST))
        self._test_points.setVisible(self.show_test)

    def _points(self, raw: np.ndarray, y: np.ndarray, pen) -> dict:  # noqa: ANN001
        if raw is None or len(raw) == 0:
            return {"x": [], "y": []}
        brushes = [pg.mkBrush(c) for c in self._point_colours(np.asarray(y))]
        return {"x": raw[:, 0], "y": raw[:, 1], "brush": brushes, "pen": pen}

    def _point_colours(self, y: np.ndarray) -> list[QColor]:
        if self.task == "regression":
            low, high = self._value_range
            packed = colormaps.values_to_argb32(y, _DIVERGING32, low, high)
        elif self.n_classes > 2:
            packed = colormaps.classes_to_argb32(y, self.n_classes)
        else:
            packed = colormaps.values_to_argb32(y.astype(np.float32), _DIVERGING32, 0.0, 1.0)
        # Points use the full-strength end colours so they stand out from the paler background.
        return [QColor.fromRgba(int(p)) for p in packed]

    def _set_extent(self, extent: tuple[float, float, float, float]) -> None:
        self.extent = extent
        x0, x1, y0, y1 = extent
        self.setXRange(x0, x1, padding=0)
        self.setYRange(y0, y1, padding=0)
        self._caption.setPos(x0, y1)

    # --- toggles ---------------------------------------------------------------------------------
    def set_show_test(self, show: bool) -> None:
        self.show_test = bool(show)
        self._test_points.setVisible(self.show_test and self.planar)

    def set_discretize(self, on: bool) -> None:
        self.discretize = bool(on)
        self._redraw()

    # --- snapshots and hover ---------------------------------------------------------------------
    def update_snapshot(self, snap) -> None:  # noqa: ANN001
        """Take a snapshot; redraws only when it carries a new grid."""
        if snap is None or snap.boundary is None or not self.planar:
            return
        self._snapshot = snap
        if tuple(snap.extent) != tuple(self.extent):
            self._set_extent(tuple(snap.extent))
        self._redraw()

    def clear_boundary(self) -> None:
        """Forget the current boundary (a reset); the points stay."""
        self._snapshot = None
        self.pixels = None
        self._image.clear()

    def show_neuron(self, kind: str, layer: int, unit: int, activation: str | None = None) -> None:
        """Show one neuron's output (kind 'input', 'hidden' or 'output') instead of the boundary."""
        self._neuron = (kind, int(layer), int(unit))
        self._neuron_activation = activation
        self._redraw()

    def show_output(self) -> None:
        """Back to the network's own output after a neuron hover."""
        if self._neuron is not None:
            self._neuron = None
            self._redraw()

    def _neuron_grid(self) -> tuple[np.ndarray, str] | None:
        snap, which = self._snapshot, self._neuron
        if snap is None or which is None:
            return None
        kind, layer, unit = which
        try:
            if kind == "input" and snap.input_outputs is not None:
                return snap.input_outputs[unit], f"input {unit + 1}"
            if kind == "hidden" and layer < len(snap.neuron_outputs):
                return snap.neuron_outputs[layer][unit], f"layer {layer + 1}, neuron {unit + 1}"
        except IndexError:
            return None
        return None

    def _redraw(self) -> None:
        snap = self._snapshot
        if snap is None or snap.boundary is None:
            return
        neuron = self._neuron_grid()
        if neuron is not None:
            grid, label = neuron
            limit = 1.0 if self._neuron_activation in ("tanh", "sigmoid") else float(
                np.nanmax(np.abs(grid)) or 1.0)
            pixels = colormaps.values_to_argb32(grid, _DIVERGING32, -limit, limit)
            self._caption.setText(f"{label} (hover)")
            self._caption.show()
        else:
            self._caption.hide()
            pixels = self._output_pixels(snap)
        self._show_pixels(pixels)

    def _output_pixels(self, snap) -> np.ndarray:  # noqa: ANN001
        grid = np.asarray(snap.boundary)
        if self.task == "regression":
            low, high = self._value_range
            return _paler(colormaps.values_to_argb32(grid, _DIVERGING32, low, high))
        if self.n_classes > 2:
            confidence = None if self.discretize else snap.confidence
            return colormaps.classes_to_argb32(grid, self.n_classes, confidence)
        if self.discretize:
            grid = np.where(grid >= 0.5, 1.0, 0.0)
        return _paler(colormaps.values_to_argb32(grid, _DIVERGING32, 0.0, 1.0))

    def _show_pixels(self, pixels: np.ndarray) -> None:
        pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
        self.pixels = pixels
        h, w = pixels.shape
        # uint32 ARGB viewed as BGRA bytes on little-endian machines -> RGBA for pyqtgraph
        rgba = pixels.view(np.uint8).reshape(h, w, 4)[..., [2, 1, 0, 3]]
        self._image.setImage(rgba, autoLevels=False, levels=(0, 255))
        x0, x1, y0, y1 = self.extent
        self._image.setRect(x0, y0, x1 - x0, y1 - y0)
        self.redraws += 1

    def export_image(self) -> QImage:
        """The view as it looks now (for File ▸ Export pictures)."""
        return self.grab().toImage()
