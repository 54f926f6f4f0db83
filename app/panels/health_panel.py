"""Training health, live: per layer over the epochs its weight norm, gradient norm (log), per-step
update ratio (log, with cs231n's ~1e-3 guide) and dead / saturated share, the latest activation
histogram of each layer, and a warning line on top (core/training/health_stats.py, health_rules.py).

Fed every snapshot (`take`); only grid snapshots carry the figures (Snapshot.views["health"]), at most
~8 a second. It records while hidden; while shown it redraws the curves at most REDRAW_HZ times a
second and the histograms HISTOGRAM_HZ (13 small plots are not free on the GUI thread: thin pens, no
antialiasing, benchmarks/health_cost.py).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.look import colormaps
from app.look.plotting import pg
from core.training.health_rules import VANISH_RATIO, WarningsOnce

REDRAW_HZ = 1.0      # the curves, while shown: slow-moving figures, and a redraw of the 13 small plots costs
HISTOGRAM_HZ = 1.0   # the GUI thread ~50-100 ms on a busy 2-core machine (benchmarks/health_cost.py)
MAX_POINTS = 512           # points per curve (a plot is ~400 px wide); beyond it every other one is dropped
GUIDE_RATIO = 1e-3         # cs231n: updates of about 1e-3 of the weights per step are healthy
# (objectName, title, field, log y, tooltip)
PLOTS = (("healthWeightPlot", "Weight norm ‖W‖", "weight_norm", False, "Each layer's weight norm (no bias)."),
         ("healthGradPlot", "Gradient norm ‖∂L/∂W‖", "grad_norm", True,
          "Each layer's gradient norm on the first training rows. Curves far below the output layer's "
          "(1000x and more) mean those layers barely learn: vanishing gradients."),
         ("healthUpdatePlot", "Update ratio per step", "update_ratio", True,
          "How much a step changes the weights, relative to their size (between two measurements, per "
          "step). Around 1e-3 is healthy; far below, the layer barely moves; far above, the rate is high."),
         ("healthUnitsPlot", "Dead / saturated share", "units_share", False,
          "ReLU layers: the share of units never active on the rows (dead). Tanh and sigmoid layers: the "
          "share of units stuck in their flat ends on 90 % of the rows (saturated)."))
FIELDS = tuple(p[2] for p in PLOTS)
WIDE_COLUMNS = 4
WIDE_MIN_WIDTH = 900  # narrower than this (docked at the side), the plots go two a row
CALM_TEXT = "No problem seen: units alive, gradients of one size."


def layer_colours(n: int) -> list[tuple[int, int, int]]:
    """Light to dark from the input side to the output, so depth reads as shade."""
    cmap = colormaps.sequential_colormap()
    points = np.linspace(0.35, 1.0, max(n, 1))
    return [tuple(int(v) for v in cmap.map(float(p), mode="byte")[:3]) for p in points]


class _Series:
    """Each field's (points, layers) values by epoch, bounded by MAX_POINTS."""

    def __init__(self) -> None:
        self.epochs = np.zeros(0)
        self.values: dict[str, np.ndarray] = {}

    def append(self, epoch: int, row: dict[str, np.ndarray]) -> None:
        if len(self.epochs) and self.epochs[-1] == epoch:  # the same epoch again (paused): the newest wins
            for field in FIELDS:
                self.values[field][-1] = row[field]
            return
        if len(self.epochs) >= MAX_POINTS:
            self.epochs = self.epochs[1::2]
            self.values = {f: v[1::2] for f, v in self.values.items()}
        self.epochs = np.append(self.epochs, float(epoch))
        for field in FIELDS:
            old = self.values.get(field)
            new = np.asarray(row[field], np.float64)[None, :]
            self.values[field] = new if old is None else np.concatenate([old, new])


def _small_plot(name: str, title: str, log_y: bool) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setObjectName(name)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(False, False)
    plot.setTitle(f'<span style="font-size:9pt">{title}</span>')
    plot.setLogMode(x=False, y=log_y)
    plot.showGrid(x=False, y=False)
    plot.setMinimumSize(120, 60)
    font = QFont(plot.font())
    font.setPointSizeF(7.5)
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setStyle(tickFont=font, tickTextOffset=2)
    return plot


class HealthPanel(QWidget):
    """The training-health views of one run; `take(snapshot)`, `clear()` at a new run."""

    warned = Signal(str)  # a warning the run has not shown before (each kind and layer once)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthPanel")
        self.setAccessibleName("Training health")
        self.once = WarningsOnce()
        self.series = _Series()
        self.latest: dict[str, Any] | None = None
        self.layers: tuple[str, ...] = ()
        self.activations: tuple[str, ...] = ()
        self._plots_for: tuple[str, ...] = ()  # the layers the curves and histograms are built for
        self.redraw_count = 0
        self._dirty = False
        self._histograms_of: dict[str, Any] | None = None  # the figures the histograms show
        self._histograms_at = -math.inf
        self._warning_of: dict[str, Any] | None = None  # the figures the warning line is about
        self.warning = QLabel(CALM_TEXT)
        self.warning.setObjectName("healthWarning")
        self.warning.setWordWrap(True)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = QLabel("")
        self.legend.setObjectName("healthLegend")
        self.legend.setWordWrap(True)
        self.note = QLabel("")
        self.note.setObjectName("healthNote")
        self.note.setStyleSheet("font-size:8pt; color:#6b7280;")
        self.plots: dict[str, pg.PlotWidget] = {}
        self.curves: dict[str, list[pg.PlotDataItem]] = {f: [] for f in FIELDS}
        self.plot_grid = QGridLayout()
        self.plot_grid.setSpacing(4)
        for name, title, field, log_y, tip in PLOTS:
            self.plots[field] = _small_plot(name, title, log_y)
            self.plots[field].setToolTip(tip)
        self.columns = 0  # plots a row: 4 when wide (docked below), 2 when narrow (docked at the side)
        guide = pg.InfiniteLine(pos=math.log10(GUIDE_RATIO), angle=0, movable=False,
                                pen=pg.mkPen((120, 120, 120), width=1, style=Qt.PenStyle.DashLine),
                                label=f"{GUIDE_RATIO:g}", labelOpts={"position": 0.9, "color": (90, 90, 90), "anchors": [(0.5, 0), (0.5, 0)]})
        self.plots["update_ratio"].addItem(guide)
        self.plots["units_share"].setYRange(0, 1, padding=0.05)
        self.histograms = QWidget()
        self.histograms.setObjectName("healthHistograms")
        self.histogram_grid = QGridLayout(self.histograms)
        self.histogram_grid.setContentsMargins(0, 0, 0, 0)
        self.histogram_grid.setSpacing(4)
        self.histogram_plots: list[pg.PlotWidget] = []
        self.histogram_bars: list[pg.PlotDataItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(3)
        layout.addWidget(self.warning)
        self.note.setWordWrap(True)
        layout.addWidget(self.legend)
        layout.addWidget(self.note)
        layout.addLayout(self.plot_grid, 3)
        layout.addWidget(self.histograms, 2)
        self.timer = QTimer(self, singleShot=True, interval=int(1000 / REDRAW_HZ))
        self.timer.timeout.connect(self.refresh)
        self._arrange(WIDE_COLUMNS)

    def _arrange(self, columns: int) -> None:
        """Lay the plots and histograms out `columns` plots a row (the histograms 9 or 3 a row)."""
        if columns == self.columns:
            return
        self.columns = columns
        for k, plot in enumerate(self.plots.values()):
            self.plot_grid.removeWidget(plot)
            self.plot_grid.addWidget(plot, k // columns, k % columns)
        self._place_histograms()

    def _place_histograms(self) -> None:
        per_row = max(1, min(len(self.histogram_plots), 9 if self.columns == WIDE_COLUMNS else 3))
        for k, plot in enumerate(self.histogram_plots):
            self.histogram_grid.removeWidget(plot)
            self.histogram_grid.addWidget(plot, k // per_row, k % per_row)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().resizeEvent(event)
        self._arrange(WIDE_COLUMNS if event.size().width() >= WIDE_MIN_WIDTH else 2)

    # ------------------------------------------------------------------ data
    def take(self, snap: Any) -> None:
        """Record the snapshot's health figures, if it has any; say new warnings (signal `warned`)."""
        stats = getattr(snap, "views", {}).get("health")
        if not stats or "error" in stats:
            return
        if tuple(stats["layers"]) != self.layers:
            self.layers, self.activations = tuple(stats["layers"]), tuple(stats["activations"])
            self.series = _Series()
            if self.isVisible():
                self._set_layers()  # hidden: built when shown (0.15-0.5 s of plots a new run would stall on)
        share = np.where(np.isfinite(stats["dead"]), stats["dead"], stats["saturated"])
        self.series.append(int(stats["epoch"]), {"weight_norm": stats["weight_norm"], "grad_norm": stats["grad_norm"],
                                                 "update_ratio": stats["update_ratio"], "units_share": share})
        self.latest = stats
        for warning in self.once.new(stats):
            self.warned.emit(warning.text)
        self._dirty = True
        if self.isVisible() and not self.timer.isActive():  # hidden: recorded, drawn when shown
            self.timer.start()

    def clear(self) -> None:
        """A new run: no curves, no warnings said yet."""
        self.once.reset()
        self.series = _Series()
        self.latest = None
        self._dirty = True
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def _set_layers(self) -> None:
        """One curve per layer in each plot and one histogram per layer, for `self.layers`."""
        layers, activations = self.layers, self.activations
        self._plots_for = layers
        colours = layer_colours(len(layers))
        for field, plot in self.plots.items():
            for curve in self.curves[field]:
                plot.removeItem(curve)
            # no antialiasing: 4 plots x many layers of it cost the GUI thread ~3x the time
            self.curves[field] = [plot.plot(pen=pg.mkPen(c, width=1), connect="finite", antialias=False)
                                  for c in colours]
        for plot in self.histogram_plots:
            self.histogram_grid.removeWidget(plot)
            plot.deleteLater()
        self.histogram_plots, self.histogram_bars = [], []
        for name, activation, colour in zip(layers, activations, colours):
            plot = _small_plot(f"healthHistogram_{name}", f"{name} ({activation or 'logits'})", False)
            plot.setMinimumSize(70, 40)
            plot.getAxis("left").hide()
            bars = plot.plot(stepMode="center", fillLevel=0, brush=pg.mkBrush(*colour, 160), pen=pg.mkPen(colour),
                             antialias=False)
            self.histogram_plots.append(plot)
            self.histogram_bars.append(bars)
        self._place_histograms()
        parts = [f'<span style="color:#{r:02x}{g:02x}{b:02x}; font-weight:bold;">━━</span>&nbsp;{name}'
                 for name, (r, g, b) in zip(layers, colours)]
        self.legend.setText(f'<span style="font-size:8pt; color:#4b5563;">{" &nbsp; ".join(parts)}</span>')

    def refresh(self) -> bool:
        """Draw what has changed, if shown (the curves, and the histograms at their own rate); True when it drew."""
        stats = self.latest
        histograms_due = stats is not self._histograms_of
        if not (self._dirty or histograms_due) or not self.isVisible():
            return False
        if self._plots_for != self.layers:
            self._set_layers()
        if self._dirty:
            self._dirty = False
            self._draw_curves()
        self._show_warning(stats)
        if histograms_due:
            now = time.monotonic()
            if stats is None or now - self._histograms_at >= 1.0 / HISTOGRAM_HZ:
                self._histograms_of, self._histograms_at = stats, now
                for k, bars in enumerate(self.histogram_bars):
                    if stats is None:
                        bars.setData([], [])
                    else:
                        bars.setData(stats["edges"][k], stats["histograms"][k], stepMode="center", fillLevel=0)
            elif not self.timer.isActive():  # come back for them, even if no new figures arrive (a pause)
                self.timer.start()
        self.redraw_count += 1
        return True

    def _draw_curves(self) -> None:
        epochs = self.series.epochs
        for field in FIELDS:
            values = self.series.values.get(field)
            log_y = field in ("grad_norm", "update_ratio")
            for k, curve in enumerate(self.curves[field]):
                if values is None or not len(epochs):
                    curve.setData([], [])
                    continue
                y = values[:, k]
                if log_y:  # log axes: a zero or unknown figure is a gap, not a warning
                    y = np.where(y > 0, y, np.nan)
                curve.setData(epochs, y, connect="finite")
            if log_y and values is not None and len(epochs):
                self._decades(self.plots[field], values)

    @staticmethod
    def _decades(plot: pg.PlotWidget, values: np.ndarray) -> None:
        """A log axis spans whole decades, at least two: less, and its labels crowd (0.007 0.008 ...)."""
        shown = values[np.isfinite(values) & (values > 0)]
        if not shown.size:
            return
        low, high = math.floor(math.log10(shown.min())), math.ceil(math.log10(shown.max()))
        if high - low < 2:
            low, high = low - 1, max(high, low + 1) + (1 if high - low < 1 else 0)
        plot.setYRange(low, high, padding=0.02)

    def _show_warning(self, stats: dict[str, Any] | None) -> None:
        if stats is self._warning_of and stats is not None:
            return
        self._warning_of = stats
        if stats is None:
            self.warning.setText(CALM_TEXT)
            self.warning.setStyleSheet("")
            self.note.setText("")
            return
        self.note.setText(f"figures of epoch {stats['epoch']:,} · first {stats['rows']} training rows · "
                          f"gradients: {stats['gradients']}")
        warnings = [w.text for w in stats["warnings"]]
        where = (f"Gradients of the loss on the first {stats['rows']} training rows ({stats['gradients']}); "
                 f"update ratio per step, guide line at {GUIDE_RATIO:g}; vanishing below {VANISH_RATIO:g}× the "
                 "output layer's.")
        self.warning.setToolTip(where)
        if warnings:
            self.warning.setText("⚠ " + " ".join(warnings))
            self.warning.setStyleSheet("color:#5c3b00; background:#fff4e0; padding:3px;")
        else:
            self.warning.setText(CALM_TEXT)
            self.warning.setStyleSheet("color:#1c5a2e; padding:3px;")

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().showEvent(event)
        self._dirty = True
        self.timer.start(0)

    def hideEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().hideEvent(event)
        self.timer.stop()
