"""A few test inputs beside the autoencoder's reconstructions of them, live: images as two rows of
pictures (inputs above, reconstructions below), table rows as lines across the columns (input solid,
reconstruction dashed; standardised values, so columns of any units compare)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QWidget

from app.look import colormaps
from app.look.plotting import pg
from app.plots.sample_picture import as_images, image_item, mosaic

TABLE_ROWS = 4  # table rows drawn as lines (more would tangle)


class ReconstructionView(pg.PlotWidget):
    """Inputs beside their reconstructions (objectName reconstructionView); reads the `reconstructions` probe."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reconstructionView")
        self.setAccessibleName("Inputs and their reconstructions")
        self.setToolTip("Test inputs (top) and what the autoencoder rebuilds from their latent codes (below); "
                        "for tables, each row's input (solid) and reconstruction (dashed) across the columns.")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.image = image_item()
        self.addItem(self.image)
        self.lines: list[pg.PlotDataItem] = []
        self.caption = pg.TextItem("", color="#4a4a4a", anchor=(0, 1))
        self.picture: np.ndarray | None = None  # what is drawn now (tests compare snapshots)
        self.updates = 0

    def reset(self) -> None:
        """Nothing drawn (a new run). Not `clear`: PlotWidget forwards that to its PlotItem."""
        self.image.clear()
        for line in self.lines:
            self.removeItem(line)
        self.lines = []
        self.picture = None

    def update_view(self, view: dict[str, Any] | None) -> None:
        if not view or "inputs" not in view:
            return
        inputs, outputs = np.asarray(view["inputs"], np.float32), np.asarray(view["outputs"], np.float32)
        if view.get("modality") == "image":
            self._images(inputs, outputs, view)
        else:
            self._table(inputs, outputs, view)
        self.updates += 1

    def _images(self, inputs: np.ndarray, outputs: np.ndarray, view: dict[str, Any]) -> None:
        shape = tuple(view["input_shape"])
        both = np.concatenate([as_images(inputs, shape), as_images(outputs, shape)])
        picture = mosaic(both, columns=len(inputs), pad=1)
        self.picture = picture
        for line in self.lines:
            self.removeItem(line)
        self.lines = []
        low, high = view.get("levels", (float(np.nanmin(picture)), float(np.nanmax(picture))))
        self.image.setImage(picture[::-1], levels=(low, high))
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().hideAxis("bottom")
        self.setAspectLocked(True)
        self._frame_image()

    def _frame_image(self) -> None:
        # explicit, not autoRange: a range taken while the panel was hidden would stick
        picture, image = getattr(self, "picture", None), getattr(self, "image", None)  # None while built
        if picture is not None and image is not None and image.image is not None:
            h, w = picture.shape[:2]
            self.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().resizeEvent(event)
        self._frame_image()

    def _table(self, inputs: np.ndarray, outputs: np.ndarray, view: dict[str, Any]) -> None:
        mean, std = view.get("mean"), view.get("std")
        if mean is not None and std is not None:
            inputs, outputs = (inputs - mean) / std, (outputs - mean) / std
        n = min(TABLE_ROWS, len(inputs))
        self.picture = np.concatenate([inputs[:n], outputs[:n]])
        self.image.clear()
        self.setAspectLocked(False)
        self.getPlotItem().showAxis("left")
        self.getPlotItem().showAxis("bottom")
        if len(self.lines) != 2 * n:
            for line in self.lines:
                self.removeItem(line)
            colours = colormaps.qualitative_colors(max(n, 1))
            self.lines = []
            for k in range(n):
                colour = tuple(int(v) for v in colours[k][:3])
                self.lines.append(self.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                            symbolBrush=colour))
                self.lines.append(self.plot(pen=pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)))
        columns = np.arange(inputs.shape[1])
        for k in range(n):
            self.lines[2 * k].setData(columns, inputs[k], skipFiniteCheck=True)
            self.lines[2 * k + 1].setData(columns, outputs[k], skipFiniteCheck=True)
        names = list(view.get("input_names", ()))
        if names and len(names) <= 16:
            self.getPlotItem().getAxis("bottom").setTicks([[(i, name[:10]) for i, name in enumerate(names)]])
        self.setLabel("left", "standardised value")
