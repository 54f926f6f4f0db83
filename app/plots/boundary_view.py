"""The decision boundary over the input plane, with the data points on top.

Two classes: P(class 1) on the diverging map with fixed levels 0..1 (0.5 is the light middle).
More classes: one colour per class, paler where the network is unsure. Regression: the value on
the diverging map, levels fixed by the targets' range, and the points coloured by their target on
the same map and levels. Hovering a neuron in the network view shows that neuron's output here
instead (`show_neuron`), until `show_output` is called.

Tabular sets (more than two inputs) have no plane to shade: the view shows every row projected on
the first two principal components of its standardised inputs instead, coloured by class (or by
target value), with the test rows the network currently gets wrong crossed out (a black ×: red is a class colour).
"""

from __future__ import annotations

import numpy as np
from app.look.plotting import pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QTextOption
from PySide6.QtWidgets import QGraphicsItem

from app.look import colormaps
from app.network.neuron_images import colour_limit
from app.plots.boundary_points import (DIVERGING32, MISS_PEN, MISS_RGB, OUTLINE_TEST, OUTLINE_TRAIN, OUTLINE_VALUE,
                                 dot, fmt_value, legend_html, packed_colours, paler, point_size, principal_plane,
                                 ring, shared_brushes, shown_rows)

# Axis sizes on the plane: across (left + right) equals down (top + bottom), so a square widget
# holds a square plot; the top leaves room for the top tick label.
PLANE_AXES = {"left": 30, "right": 10, "top": 14, "bottom": 26}
_SIDE_AXES_PX = 84  # the labelled left axis and the right frame, beside the title
_LEGEND_VALUES = 5  # regression legend: this many sample values across the targets' range


class _SmoothImageItem(pg.ImageItem):
    """Bilinear scaling, so a 50×50 grid reads as a smooth field rather than blocks."""

    def paint(self, painter: QPainter, *args) -> None:  # noqa: ANN002
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)


class BoundaryView(pg.PlotWidget):
    """What the network predicts everywhere on the plane; hover a neuron to see its output."""

    shapeChanged = Signal()  # wants_square or extra_height changed: the owner should re-place the view
    planar = True
    _ready = False  # Qt may resize the view before __init__ has made the legend

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("boundaryView")
        self.setAccessibleName("Decision boundary")
        self.setMinimumSize(180, 180)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        item = self.getPlotItem()
        item.showAxes(True, showValues=(True, False, False, True))
        for name in ("top", "right"):
            item.getAxis(name).setStyle(showValues=False, tickLength=0)
        for name in ("left", "bottom"):  # the labels at the ends may reach past the plot: never clip them
            item.getAxis(name).setStyle(hideOverlappingLabels=False)
        self._image = _SmoothImageItem(axisOrder="row-major")
        self._image.setZValue(-10)
        self.addItem(self._image)
        self._train_points = pg.ScatterPlotItem(size=7, pxMode=True)
        self._test_points = pg.ScatterPlotItem(size=7, pxMode=True, symbol="o")
        self._miss_marks = pg.ScatterPlotItem(size=13, pxMode=True, symbol="x", pen=MISS_PEN,
                                              brush=pg.mkBrush(*MISS_RGB, 255))
        self._miss_marks.setZValue(5)
        for points in (self._train_points, self._test_points, self._miss_marks):
            self.addItem(points)
        # The axes and the points change only with the data, but sit over the boundary image that
        # changes several times a second: keep them as pixmaps, so a new boundary repaints in C++
        # without calling their Python paint methods.
        for static in (*(item.getAxis(name) for name in ("left", "bottom", "top", "right")),
                       self._train_points, self._test_points, self._miss_marks):
            static.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._caption = pg.TextItem("", color=(60, 60, 60), anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 200))
        self._caption.setZValue(20)
        self.addItem(self._caption)
        self._caption.hide()
        # The key (classes / values / marks): wrapped text in a row of its own under the plot, so it
        # never hides points and is never clipped, whatever the width.
        self.legend = pg.LabelItem("", justify="center")
        item.layout.addItem(self.legend, 4, 0, 1, 3)
        for label in (self.legend, item.titleLabel):
            label.item.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        self._legend_entries: list[tuple[str, str]] = []  # (symbol html, text)
        self.legend.setVisible(False)
        self.legend.setMaximumHeight(0)

        self.extent = (-6.0, 6.0, -6.0, 6.0)
        self.task = "classification"
        self.n_classes = 2
        self.planar = True
        self.discretize = False
        self.show_test = False
        self._value_range = (-1.0, 1.0)  # colour levels: symmetric, so 0 (the mean) is the light middle
        self._y_range = (-1.0, 1.0)      # the targets' own min and max
        self._snapshot = None
        self._neuron: tuple[str, int, int] | None = None
        self._neuron_activation: str | None = None
        self._y_test: np.ndarray | None = None
        self._test_coords: np.ndarray | None = None
        self.caption = ""                       # the projection's one-line title ('' on the plane)
        self.misclassified: np.ndarray | None = None  # test rows marked wrong now (projection only)
        self.pixels: np.ndarray | None = None  # the ARGB pixels shown now (tests compare these)
        self.point_counts: dict[str, tuple[int, int]] = {}  # split -> (points drawn, rows in the data)
        self._test_shown = np.zeros(0, dtype=bool)          # which test rows are drawn (and can be ringed)
        self._shown_rows = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
        self._table = None       # a table's (inputs, raw columns, names, n_train, n_inputs)
        self._principal = None   # its principal_plane, computed once
        self.axes = ("pc1", "pc2")  # what a table's scatter shows across and up
        self.redraws = 0
        self._ready = True
        self._set_extent(self.extent)
        self._set_planar_look(True)

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
        self._miss_marks.clear()
        self.misclassified = None
        if self.task == "regression":
            y = np.concatenate([dataset.y_train, dataset.y_test]).astype(np.float64)
            y = y[np.isfinite(y)]
            peak = float(np.abs(y).max()) if y.size else 1.0
            self._value_range = (-peak or -1.0, peak or 1.0)
            self._y_range = (float(y.min()), float(y.max())) if y.size else (-1.0, 1.0)
        self._set_planar_look(self.planar)
        if self.planar:
            self._set_extent(tuple(dataset.extent))
            train, test = np.asarray(dataset.raw_train), np.asarray(dataset.raw_test)
            self._y_test, self._test_coords = None, None
        else:
            self._table = (np.concatenate([dataset.x_train, dataset.x_test]),
                           np.concatenate([dataset.raw_train, dataset.raw_test]).astype(np.float64),
                           tuple(dataset.raw_names), len(dataset.x_train), dataset.n_inputs)
            self._principal = None
            self.axes = ("pc1", "pc2")
            train, test = self._table_coords()
            self._y_test, self._test_coords = np.asarray(dataset.y_test), test
        # Draw at most MAX_SHOWN_POINTS of each split: a million dots would take seconds per repaint
        # and gigabytes, and look no different from a sample.
        train_rows, test_rows = shown_rows(len(train)), shown_rows(len(test))
        self.point_counts = {"train": (len(train_rows), len(train)), "test": (len(test_rows), len(test))}
        self._test_shown = np.zeros(len(test), dtype=bool)
        self._test_shown[test_rows] = True
        train_pen = OUTLINE_VALUE if self.task == "regression" else OUTLINE_TRAIN
        size = point_size(len(train_rows) + len(test_rows))
        for points in (self._train_points, self._test_points):
            points.setSize(size)
        self._miss_marks.setSize(size + 3)
        self._train_points.setData(**self._points(train[train_rows], np.asarray(dataset.y_train)[train_rows],
                                                  train_pen))
        self._test_points.setData(**self._points(test[test_rows], np.asarray(dataset.y_test)[test_rows],
                                                 OUTLINE_TEST))
        self._test_points.setVisible(self.show_test or not self.planar)
        self._shown_rows = (train_rows, test_rows)
        self._fill_legend(dataset)
        self.shapeChanged.emit()

    # --- which plane a table is shown on ---------------------------------------------------------
    def axis_choices(self) -> list[tuple[str, str]]:
        """(label, key) of what a table's scatter can put on an axis: the first two principal
        components, then each raw column ('col:<index>')."""
        if self.planar or self._table is None:
            return []
        names = self._table[2]
        return [("PC 1", "pc1"), ("PC 2", "pc2")] + [(name, f"col:{i}") for i, name in enumerate(names)]

    def set_axes(self, x_key: str, y_key: str) -> None:
        """Show a table's rows on these two axes (keys from `axis_choices`); the rings follow."""
        valid = {key for _, key in self.axis_choices()}
        for key in (x_key, y_key):
            if key not in valid:
                raise ValueError(f"unknown scatter axis '{key}'; choose one of {', '.join(sorted(valid))}")
        self.axes = (x_key, y_key)
        train, test = self._table_coords()
        self._test_coords = test
        train_rows, test_rows = self._shown_rows
        for points, xy, rows in ((self._train_points, train, train_rows), (self._test_points, test, test_rows)):
            data = points.data
            points.setData(x=xy[rows, 0], y=xy[rows, 1], brush=list(data["brush"]), pen=list(data["pen"]))
        if self.misclassified is not None:
            wrong = self.misclassified
            coords = test[wrong[self._test_shown[wrong]]]
            self._miss_marks.setData(x=coords[:, 0], y=coords[:, 1])
        self.redraws += 1

    def _table_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """The table's train and test rows on the chosen axes; frames and labels the plot."""
        x, raw, names, n_train, n_inputs = self._table
        columns, labels = [], []
        for key in self.axes:
            if key.startswith("pc"):
                if self._principal is None:
                    self._principal = principal_plane(x)
                coords, share = self._principal
                k = int(key[2:]) - 1
                columns.append(coords[:, k])
                labels.append(f"PC {k + 1} · {share[k]:.0%} of the variance")
            else:
                i = int(key.split(":", 1)[1])
                columns.append(raw[:, i])
                labels.append(names[i])
        coords = np.stack(columns, axis=1)
        self._frame_points(coords)
        item = self.getPlotItem()
        if self.axes == ("pc1", "pc2"):
            self._label_projection(n_inputs, self._principal[1])
        else:
            self.caption = f"{n_inputs} inputs: rows placed by {labels[0]} and {labels[1]}"
            item.setTitle(self.caption, size="8pt", color="#4b5563")
            item.setLabel("bottom", labels[0], **{"font-size": "8pt"})
            item.setLabel("left", labels[1], **{"font-size": "8pt"})
        return coords[:n_train], coords[n_train:]

    def _points(self, xy: np.ndarray, y: np.ndarray, pen) -> dict:  # noqa: ANN001
        if xy is None or len(xy) == 0:
            return {"x": [], "y": []}
        brushes = shared_brushes(self._packed_colours(np.asarray(y)))
        return {"x": xy[:, 0], "y": xy[:, 1], "brush": brushes, "pen": pen}

    def _packed_colours(self, y: np.ndarray) -> np.ndarray:
        return packed_colours(y, self.task, self.n_classes, self._value_range)

    def _point_colours(self, y: np.ndarray) -> list[QColor]:
        return [QColor.fromRgba(int(p)) for p in self._packed_colours(y)]

    @property
    def point_note(self) -> str:
        """'showing 10,000 of 500,000 training points' when only a sample is drawn, else ''."""
        parts = []
        for split, word in (("train", "training"), ("test", "test")):
            shown, total = self.point_counts.get(split, (0, 0))
            if shown < total and (split == "train" or self.show_test or not self.planar):
                parts.append(f"{shown:,} of {total:,} {word}")
        return f"showing {' and '.join(parts)} points" if parts else ""

    def _set_extent(self, extent: tuple[float, float, float, float]) -> None:
        self.extent = extent
        x0, x1, y0, y1 = extent
        self.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._caption.setPos(x0, y1)

    @property
    def view_range(self) -> tuple[float, float, float, float]:
        """The plane shown now (x0, x1, y0, y1): the data's extent on the input plane."""
        (x0, x1), (y0, y1) = self.getPlotItem().getViewBox().viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    # --- the two looks: the input plane, or a projection of a table ------------------------------
    def _set_planar_look(self, planar: bool) -> None:
        item = self.getPlotItem()
        # No aspect lock: it widens one range to fit the box (a blank strip, an arm cut off). The
        # plane instead gets axes whose sizes add up the same across and down (left + right =
        # top + bottom), so the owner's square widget holds a square plot showing the whole extent.
        item.setAspectLocked(False)
        axes = PLANE_AXES if planar else {"left": None, "right": None, "top": None, "bottom": None}
        for name, size in axes.items():
            axis = item.getAxis(name)
            if name in ("left", "right"):
                axis.setWidth(size)
            else:
                axis.setHeight(size)
        if planar:
            item.setTitle(None)
            item.setLabel("bottom", None)
            item.setLabel("left", None)
            self.caption = ""
            self.setToolTip("What the network predicts at every point of the plane: colour shows the "
                            "class (or value), with the training points on top.")
        else:
            self.setToolTip("Each row of the table as a point, placed by its first two principal "
                            "components (the two directions in which the inputs vary most). Colour is "
                            "the true class (or value); test rows have a dark outline, and a black cross "
                            "marks each test row the network gets wrong now.")

    def _label_projection(self, n_inputs: int, share: np.ndarray) -> None:
        item = self.getPlotItem()
        self.caption = f"{n_inputs} inputs projected on their first two principal components"
        item.setTitle(self.caption, size="8pt", color="#4b5563")
        item.setLabel("bottom", f"PC 1 · {share[0]:.0%} of the variance", **{"font-size": "8pt"})
        item.setLabel("left", f"PC 2 · {share[1]:.0%}", **{"font-size": "8pt"})

    def _frame_points(self, coords: np.ndarray) -> None:
        if not len(coords):
            self._set_extent((-1.0, 1.0, -1.0, 1.0))
            return
        low, high = coords.min(axis=0), coords.max(axis=0)
        span = np.maximum(high - low, 1e-6)
        low, high = low - 0.06 * span, high + 0.06 * span
        self._set_extent((float(low[0]), float(high[0]), float(low[1]), float(high[1])))

    def _fill_legend(self, dataset) -> None:  # noqa: ANN001
        """Class colours (or sample values) and, on a projection, what the outlines mean."""
        entries: list[tuple[str, str]] = []
        if self.task == "regression":
            # The plane's targets are signed around 0: sample the symmetric colour levels (0 in the
            # middle). A table's are standardised: sample its own min..max, in the target's units.
            span = self._value_range if self.planar else self._y_range
            values = np.linspace(*span, _LEGEND_VALUES)
            shown = dataset.to_target_units(values)
            for value, colour in zip(shown, self._point_colours(values)):
                entries.append((dot(colour), fmt_value(float(value))))
        elif not self.planar:
            names = dataset.class_names or tuple(str(k) for k in range(self.n_classes))
            classes = np.arange(len(names), dtype=np.float32 if self.n_classes <= 2 else np.int64)
            for name, colour in zip(names, self._point_colours(classes)):
                entries.append((dot(colour), str(name)))
        if not self.planar:
            entries.append((ring(QColor(30, 30, 30)), "test row"))
            if self.task == "classification":
                entries.append(('<b style="color:#141414;">✕</b>', "wrong now"))
        self._legend_entries = entries
        self._render_legend()

    def _render_legend(self) -> None:
        """The key's entries, then the note on sampled points (if any), wrapped under the plot."""
        prefix = "target: " if self.task == "regression" else ""
        html = legend_html(self._legend_entries, self.point_note, prefix)
        if html:
            self.legend.setText(html, size="8pt", color="#4b5563")
        self._show_legend(bool(html))

    def _show_legend(self, show: bool) -> None:
        self.legend.setVisible(show)
        if not show:
            self.legend.setText("")
            self.legend.setMaximumHeight(0)
        else:
            self.legend.setMaximumHeight(16777215)
        self._fit_texts()

    @property
    def legend_labels(self) -> list[str]:
        """The legend's entries as shown (tests and accessibility read these)."""
        return [text for _, text in self._legend_entries] if self.legend.isVisible() else []

    @property
    def wants_square(self) -> bool:
        """The plane is square; a projection uses whatever room it gets."""
        return self.planar

    def extra_height(self) -> int:
        """Pixels below the plane taken by the legend, so the owner can keep the plane square."""
        if not self._ready or not self.planar or not self.legend.isVisible():
            return 0
        return int(self.legend.itemRect().height()) + 2

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().resizeEvent(event)
        self._fit_texts()

    def _fit_texts(self) -> None:
        """Wrap the caption and the legend to the width there is, so no text is ever clipped."""
        if not self._ready:
            return
        item = self.getPlotItem()
        before = self.extra_height()
        # The key is centred under the plot column, which sits off-centre when the left axis (with
        # its title) is wider than the right one: wrap it to what fits on both sides of that centre.
        shift = abs(item.getAxis("left").width() - item.getAxis("right").width()) / 2
        width = max(60.0, self.width() - 16.0 - 2 * shift)
        self.legend.item.setTextWidth(width if self.legend.isVisible() else -1)
        self.legend.updateMin()
        if item.titleLabel.isVisible():
            # The title sits over the plot column; the axes beside it (labelled) take about 80 px.
            item.titleLabel.item.setTextWidth(max(60.0, self.width() - _SIDE_AXES_PX))
            item.titleLabel.updateMin()
        if self.extra_height() != before:
            self.shapeChanged.emit()

    # --- toggles ---------------------------------------------------------------------------------
    def set_show_test(self, show: bool) -> None:
        """Test points on the plane; a projection always shows them (they carry the crosses)."""
        self.show_test = bool(show)
        self._test_points.setVisible(self.show_test or not self.planar)
        if self.point_counts.get("test", (0, 0))[0] < self.point_counts.get("test", (0, 0))[1]:
            self._render_legend()  # the note on sampled points now names the test points too

    def set_discretize(self, on: bool) -> None:
        self.discretize = bool(on)
        self._redraw()

    # --- snapshots and hover ---------------------------------------------------------------------
    def update_snapshot(self, snap) -> None:  # noqa: ANN001
        """Take a snapshot; redraws only when it carries a new grid (or, on a projection, predictions)."""
        if snap is None:
            return
        if not self.planar:
            self.update_predictions(snap)
            return
        if snap.boundary is None:
            return
        self._snapshot = snap
        if tuple(snap.extent) != tuple(self.extent):
            self._set_extent(tuple(snap.extent))
        self._redraw()

    def update_predictions(self, snap) -> bool:  # noqa: ANN001
        """Ring the test rows the network gets wrong (projection of a classification table).

        Snapshots without predictions keep the rings shown; returns True when the rings changed.
        """
        predicted = getattr(snap, "test_predictions", None)
        if self.planar or self.task != "classification" or predicted is None or self._y_test is None:
            return False
        predicted = np.asarray(predicted)
        if predicted.shape != self._y_test.shape:
            return False
        wrong = np.flatnonzero(predicted.astype(np.int64) != self._y_test.astype(np.int64))
        if self.misclassified is not None and np.array_equal(wrong, self.misclassified):
            return False
        self.misclassified = wrong
        coords = self._test_coords[wrong[self._test_shown[wrong]]]  # rings only on drawn rows
        self._miss_marks.setData(x=coords[:, 0], y=coords[:, 1])
        self.redraws += 1
        return True

    def clear_boundary(self) -> None:
        """Forget the current boundary (a reset); the points stay."""
        self._snapshot = None
        self.pixels = None
        self._image.clear()
        self._miss_marks.clear()
        self.misclassified = None

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
        if snap is None or snap.boundary is None or not self.planar:
            return
        neuron = self._neuron_grid()
        if neuron is not None:
            grid, label = neuron
            limit = colour_limit(self._neuron_activation) or float(np.nanmax(np.abs(grid)) or 1.0)
            pixels = colormaps.values_to_argb32(grid, DIVERGING32, -limit, limit)
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
            return paler(colormaps.values_to_argb32(grid, DIVERGING32, low, high))
        if self.n_classes > 2:
            confidence = None if self.discretize else snap.confidence
            return colormaps.classes_to_argb32(grid, self.n_classes, confidence)
        if self.discretize:
            grid = np.where(grid >= 0.5, 1.0, 0.0)
        return paler(colormaps.values_to_argb32(grid, DIVERGING32, 0.0, 1.0))

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
