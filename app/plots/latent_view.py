"""The autoencoder's latent space: the test rows' codes as a scatter coloured by their class (or value),
live; a click on the plane shows what the decoder makes of that point.

The snapshot's `latent` probe (core/training/latent_probe.py) carries the codes and a decoded grid of the
plane, so a click only looks up the nearest grid point: no model runs on the GUI thread. The clicked
point stays chosen, so its decoded picture follows the training.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.look import colormaps
from app.look.plotting import pg
from app.plots.sample_picture import SamplePicture

MAX_LEGEND = 12  # class names in the key; more are summarised


class LatentView(QWidget):
    """Scatter of the latent codes (objectName latentView) with the decoded picture of a clicked point."""

    pointDecoded = Signal(float, float)  # the plane point whose decoded output is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentView")
        self.setAccessibleName("Latent space")
        self.setToolTip("Each dot is a test row's latent code, coloured by its class. Click the plane to see "
                        "what the decoder makes of that point (the nearest of a 16×16 grid of decoded points).")
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(140)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 160, width=0.5))
        self.marker = pg.ScatterPlotItem(size=16, symbol="+", pen=pg.mkPen("#111", width=2.5), brush=None)
        self.plot.addItem(self.scatter)
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.decoded = SamplePicture()
        self.decoded.setObjectName("latentDecoded")
        self.decoded.setMinimumSize(72, 72)
        self.decoded.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        keep_room = self.decoded.sizePolicy()
        keep_room.setRetainSizeWhenHidden(True)  # shown once a point is clicked; the scatter does not move
        self.decoded.setSizePolicy(keep_room)
        self.decoded.hide()  # empty axes before a click say nothing
        self.decoded_caption = QLabel("Click the plane to decode a point")
        self.decoded_caption.setWordWrap(True)
        self.decoded_caption.setObjectName("groupCaption")
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.decoded_caption)
        side.addWidget(self.decoded, 1)
        side.addStretch(0)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.plot, 3)
        row.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row, 1)
        layout.addWidget(self.legend)
        self.view: dict[str, Any] | None = None  # the newest latent probe
        self.chosen: tuple[float, float] | None = None  # the clicked plane point
        self._brush_key: tuple | None = None
        self._brushes: list = []
        self.updates = 0

    # ------------------------------------------------------------------ data
    def clear(self) -> None:
        self.view, self.chosen, self._brush_key = None, None, None
        self.scatter.clear()
        self.marker.clear()
        self.decoded.hide()
        self.decoded_caption.setText("Click the plane to decode a point")

    def update_view(self, view: dict[str, Any] | None) -> None:
        """Take a snapshot's `latent` probe: move the dots, refresh the decoded picture of the chosen point."""
        if not view or "points" not in view:
            if view and "error" in view:
                self.decoded_caption.setText(f"Latent view failed: {view['error']}")
            return
        self.view = view
        points = np.asarray(view["points"], np.float32)
        self.scatter.setData(x=points[:, 0], y=points[:, 1], brush=self._brushes_for(view), skipFiniteCheck=True)
        if len(points) >= 20:  # frame the bulk of the codes: a few far-out rows would shrink the rest to a dot
            low = np.percentile(points.astype(np.float64), 1, axis=0)
            high = np.percentile(points.astype(np.float64), 99, axis=0)
            pad = np.maximum(high - low, 1e-3) * 0.12
            self.plot.setRange(xRange=(float(low[0] - pad[0]), float(high[0] + pad[0])),
                               yRange=(float(low[1] - pad[1]), float(high[1] + pad[1])), padding=0)
        x_name, y_name = view.get("axes", ("z1", "z2"))
        self.plot.setLabel("bottom", x_name)
        self.plot.setLabel("left", y_name or " ")
        self.updates += 1
        if self.chosen is not None:
            self._show_decoded(*self.chosen)

    def _brushes_for(self, view: dict[str, Any]) -> list:
        """One brush per dot, by class (qualitative colours) or by value; made again only for new labels."""
        labels = np.asarray(view["labels"])
        names = tuple(view.get("class_names", ()))
        key = (names, labels.shape, labels.tobytes()[:4096])
        if key == self._brush_key:
            return self._brushes
        if names:
            colours = colormaps.qualitative_colors(max(len(names), 1))
            brushes_by_class = [pg.mkBrush(*c) for c in colours]
            self._brushes = [brushes_by_class[int(v) % len(names)] for v in labels]
            entries = [f'<span style="color:rgb({c[0]},{c[1]},{c[2]});">●</span>&nbsp;{name}'
                       for name, c in zip(names[:MAX_LEGEND], colours)]
            more = f" … {len(names) - MAX_LEGEND} more" if len(names) > MAX_LEGEND else ""
            self.legend.setText(" &nbsp;".join(entries) + more)
        else:  # a regression set: colour by the target value
            low, high = float(np.min(labels)), float(np.max(labels))
            packed = colormaps.values_to_argb32(labels, colormaps.lut_to_argb32(colormaps.sequential_lut()), low, high)
            self._brushes = [pg.mkBrush(int(p >> 16) & 255, int(p >> 8) & 255, int(p) & 255) for p in packed]
            self.legend.setText(f"Colour: target value, light {low:.3g} to dark {high:.3g}")
        self._brush_key = key
        return self._brushes

    # ------------------------------------------------------------------ clicks
    def _clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        if event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.plot.getPlotItem().vb
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = box.mapSceneToView(event.scenePos())
        self.decode_at(point.x(), point.y())

    def decode_at(self, x: float, y: float) -> None:
        """Show the decoded output at plane point (x, y): the nearest point of the snapshot's decoded grid."""
        self.chosen = (float(x), float(y))
        self.marker.setData(x=[x], y=[y])
        self._show_decoded(float(x), float(y))
        self.pointDecoded.emit(float(x), float(y))

    def decoded_at(self, x: float, y: float) -> tuple[np.ndarray, float, float] | None:
        """(decoded row in the inputs' units, grid x, grid y) nearest to (x, y); None before a snapshot."""
        view = self.view
        if view is None or "decoded" not in view:
            return None
        xs, ys = np.asarray(view["xs"]), np.asarray(view["ys"])
        j, i = int(np.abs(xs - x).argmin()), int(np.abs(ys - y).argmin())
        return np.asarray(view["decoded"])[i, j], float(xs[j]), float(ys[i])

    def _show_decoded(self, x: float, y: float) -> None:
        found = self.decoded_at(x, y)
        if found is None or self.view is None:
            return
        row, gx, gy = found
        self.decoded.show()
        names = self.view.get("axes", ("z1", "z2"))
        x_name, y_name = names[0].split(" ")[0], (names[1] or "z2").split(" ")[0]
        self.decoded_caption.setText(f"DECODED AT\n{x_name} {gx:.2f}, {y_name} {gy:.2f}")
        self.decoded.show_row(row, self.view)

    def map_to_widget(self, x: float, y: float) -> QPointF:
        """Where plane point (x, y) is in this widget's coordinates (tests click there)."""
        box = self.plot.getPlotItem().vb
        scene = box.mapViewToScene(QPointF(x, y))
        return self.mapFromGlobal(self.plot.mapToGlobal(self.plot.mapFromScene(scene)))
