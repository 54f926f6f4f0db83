"""gradientView: each layer's gradient norm over the epochs, and how much gradient reaches each time
step of the input (both log scale), so vanishing gradients in a plain RNN become visible."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.look import colormaps


class GradientView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientView")
        self.setAccessibleName("Gradient norms")
        self.setToolTip("Left: the size of each layer's gradient over the epochs. Right: how much gradient "
                        "flows back to each time step of the input; a plain RNN's fades towards the start "
                        "of long sequences (vanishing gradients), so it cannot learn to remember it.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.layers_plot = pg.PlotWidget(background="w")
        self.steps_plot = pg.PlotWidget(background="w")
        for plot, title, bottom in ((self.layers_plot, "Gradient per layer", "epoch"),
                                    (self.steps_plot, "Gradient per time step", "time step")):
            item = plot.getPlotItem()
            item.setMenuEnabled(False)
            item.setLabel("left", "log₁₀ norm")  # log10 values on a plain axis: log mode crowds its labels
            item.showGrid(x=True, y=True, alpha=0.15)
            item.setTitle(title, size="9pt")
            item.setLabel("bottom", bottom)
            plot.setMinimumSize(140, 80)
            layout.addWidget(plot, 1)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.steps_curve = self.steps_plot.getPlotItem().plot([], [], pen=pg.mkPen(colormaps.POSITIVE_RGB, width=2),
                                                              symbol="o", symbolSize=3, symbolPen=None,
                                                              symbolBrush=colormaps.POSITIVE_RGB)

    def clear_view(self) -> None:
        for curve in self.curves.values():
            self.layers_plot.getPlotItem().removeItem(curve)
        self.curves = {}
        self.layers_plot.getPlotItem().setTitle("Gradient per layer", size="9pt")
        self.steps_curve.setData([], [])

    def show_view(self, view: Mapping[str, Any]) -> None:
        names = list(view.get("grad_layers", ()))
        if list(self.curves) != names:
            self.clear_view()
            colors = colormaps.qualitative_colors(max(len(names), 1))
            spans = []
            for name, color in zip(names, colors):
                rgb = tuple(int(c) for c in color[:3])
                self.curves[name] = self.layers_plot.getPlotItem().plot([], [], pen=pg.mkPen(rgb, width=2))
                spans.append(f"<span style='color:#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}'>{name}</span>")
            # the title names the curves in their colours (a legend box would cover them)
            self.layers_plot.getPlotItem().setTitle("Gradient: " + " ".join(spans), size="9pt")
        epochs = np.asarray(view.get("grad_epochs", ()), np.float64)
        norms = np.asarray(view.get("grad_norms", np.zeros((0, len(names)))), np.float64)
        for j, curve in enumerate(self.curves.values()):
            if len(epochs) and norms.ndim == 2 and norms.shape[1] > j:
                curve.setData(epochs, np.log10(np.maximum(norms[:, j], 1e-12)), skipFiniteCheck=True)
        per_step = view.get("grad_per_step")
        if per_step is not None and len(per_step):
            steps = np.arange(1, len(per_step) + 1)
            self.steps_curve.setData(steps, np.log10(np.maximum(np.asarray(per_step, np.float64), 1e-12)),
                                     skipFiniteCheck=True)
