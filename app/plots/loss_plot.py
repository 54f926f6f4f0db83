"""Train and test loss over epochs, with accuracy below; hover to read the values at an epoch.

Points are appended as snapshots arrive (every finished epoch, nothing dropped) into numpy buffers
bounded like core.training.history.LossHistory: recent epochs one by one, older ones thinned into buckets
that keep their lowest and highest losses, so a run of a million epochs holds a few thousand points
(spikes stay visible) and `refresh()` sends the curves only that many.
"""

from __future__ import annotations

from html import escape

import numpy as np
from app.look.plotting import pg
from PySide6.QtCore import Signal

from app.look import colormaps
from app.plots.run_overlays import RunOverlays
from core.training.thinning import thin

TRAIN_COLOUR = (60, 60, 60)
TEST_COLOUR = colormaps.NEGATIVE_RGB
_FIELDS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
LEGEND = (("training", TRAIN_COLOUR), ("test", TEST_COLOUR))

MAX_POINTS = 8192      # points kept per curve, however long the run
RECENT_POINTS = 2048   # the newest epochs are always kept one by one
MIN_COLUMNS = 200      # curves get at least this many screen columns' worth of points


LEGEND_CHAR_PX = 6.5  # about one 8 pt character's width: how many run names fit on a legend line


def _legend_html(runs: tuple = (), chars: int = 80) -> str:
    """'── training  ── test', each dash in its curve's colour; then the overlaid runs' names, dashed,
    on as many lines as it takes to keep each under `chars` characters (one long line was cut off
    at the plot's edge on a laptop screen)."""
    parts = [f'<span style="color:#{r:02x}{g:02x}{b:02x}; font-weight:bold;">━━</span>&nbsp;{name}'
             for name, (r, g, b) in LEGEND]
    lines, line, used = [" &nbsp;&nbsp; ".join(parts)], [], 0
    for name, (r, g, b) in runs:
        width = len(name) + 4  # the dash and the gaps
        if line and used + width > chars:
            lines.append(" &nbsp; ".join(line))
            line, used = [], 0
        line.append(f'<span style="color:#{r:02x}{g:02x}{b:02x}; font-weight:bold;">╌╌</span>&nbsp;{escape(name)}')
        used += width
    if line:
        lines.append(" &nbsp; ".join(line))
    return f'<span style="font-size:8pt; color:#4b5563;">{"<br>".join(lines)}</span>'


class _Buffer:
    """Columns of at most `max_points` rows, epochs ascending; appending is amortised O(1).

    When full, every row but the newest `recent` is thinned by core.training.thinning.thin.
    """

    def __init__(self, max_points: int = MAX_POINTS, recent: int = RECENT_POINTS) -> None:
        if not 0 < recent <= max_points // 2:
            raise ValueError(f"the loss plot keeps {max_points} points: recent must be 1..{max_points // 2}, "
                             f"got {recent}")
        self.max_points = int(max_points)
        self.recent = int(recent)
        self.stride = 1  # epochs per old bucket; 1 until the first thinning
        self._data = np.full((len(_FIELDS), 256), np.nan)
        self.n = 0

    def append(self, rows: list[tuple[float, ...]]) -> None:
        block = np.asarray(rows, dtype=np.float64).reshape(-1, len(_FIELDS)).T
        while block.shape[1]:
            room = self.max_points - self.n
            if room <= 0:
                self._thin()
                continue
            self._put(block[:, :room])
            block = block[:, room:]

    def _put(self, block: np.ndarray) -> None:
        need = self.n + block.shape[1]
        if need > self._data.shape[1]:
            grown = np.full((len(_FIELDS), min(self.max_points, max(need, 2 * self._data.shape[1]))), np.nan)
            grown[:, :self.n] = self._data[:, :self.n]
            self._data = grown
        self._data[:, self.n:need] = block
        self.n = need

    def _thin(self) -> None:
        """Thin all but the newest rows (core.training.thinning, the rule the run's history uses too)."""
        keep, self.stride = thin(self.column("epoch"), self.column("train_loss"), self.column("test_loss"),
                                 recent=self.recent, max_points=self.max_points, stride=self.stride)
        self._data[:, :len(keep)] = self._data[:, keep]
        self.n = len(keep)
        self._data[:, self.n:] = np.nan

    def column(self, name: str) -> np.ndarray:
        return self._data[_FIELDS.index(name), :self.n]


def peak_decimate(x: np.ndarray, columns: list[np.ndarray], n_columns: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """At most two points per screen column: each column's lowest and highest value (NaN-aware),
    so a curve drawn from them looks the same as the full one, spikes included. `x` ascending."""
    if len(x) <= 2 * n_columns:
        return x, columns
    span = float(x[-1] - x[0]) or 1.0
    column = np.minimum(((x - x[0]) / span * n_columns).astype(np.int64), n_columns - 1)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], len(x)] - 1
    shown_x = np.empty(2 * len(starts))
    shown_x[0::2], shown_x[1::2] = x[starts], x[ends]
    shown = []
    for y in columns:
        with np.errstate(invalid="ignore"):
            low, high = np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)
        pair = np.empty(2 * len(starts))
        pair[0::2], pair[1::2] = low, high
        shown.append(pair)
    return shown_x, shown


def epoch_axis_end(last: float) -> float:
    """Where the epoch axis ends: just past the newest epoch, in steps of a tenth of its order of
    magnitude, so the axis is laid out again about once per step rather than on every refresh."""
    if last <= 10.0:
        return 10.0
    step = 10.0 ** np.floor(np.log10(last)) / 10.0
    return float(np.ceil(last / step) * step)


MIN_HEIGHT = 180


def epoch_tick(value: float) -> str:
    """12000 -> '12k', 1500000 -> '1.5M': long runs' epoch ticks stay short enough not to touch."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.4g}"


class EpochAxis(pg.AxisItem):
    """The epoch axis, with short tick labels (see epoch_tick); log mode keeps pyqtgraph's 10^n."""

    def tickStrings(self, values, scale, spacing):  # noqa: ANN001, ANN201, N802 - pyqtgraph's name
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [epoch_tick(v * scale) for v in values]
# How the epoch axis shows a long run: the whole run, the whole run on a log axis (the first epochs,
# where most learning happens, get as much room as the last ones), or only the newest share of it.
EPOCH_VIEWS = {"all": "All epochs", "log": "Log epochs", "recent": "Recent 20 %"}
RECENT_SHARE = 0.2


class LossPlot(pg.GraphicsLayoutWidget):
    """Loss curves (train dark, test orange) and accuracy; `log_scale` toggles a log loss axis."""

    hoveredEpoch = Signal(str)  # the readout text, '' when the mouse leaves

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName("Loss and accuracy curves")
        self.setToolTip("Training loss (dark) and test loss (orange) per epoch; when test loss rises "
                        "while training loss falls, the network is overfitting.")
        # Legend, two plots of >= 56 px and the epoch axis with its title: below this the accuracy
        # ticks overlap and the axis title is cut off (seen at 1366x768).
        self.setMinimumHeight(MIN_HEIGHT)
        self.ci.setContentsMargins(2, 0, 6, 2)
        self.ci.setSpacing(16)  # room between the plots, so the accuracy's "100%" never meets the loss axis
        # The key: one short line of its own above the curves, so it never covers them.
        self.legend = pg.LabelItem(_legend_html(), justify="right")
        self._legend_runs: tuple = ()   # (name, rgb) of the overlaid runs
        self.ci.addItem(self.legend, row=0, col=0)
        self.loss_item = self.addPlot(row=1, col=0, axisItems={"bottom": EpochAxis("bottom")})
        self.acc_item = self.addPlot(row=2, col=0, axisItems={"bottom": EpochAxis("bottom")})
        self.ci.layout.setRowStretchFactor(0, 0)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 1)
        self.acc_item.setXLink(self.loss_item)
        self.loss_item.setLabel("left", "loss", **{"font-size": "8pt"})
        self.acc_item.setLabel("left", "accuracy", **{"font-size": "8pt"})
        self.acc_item.setLabel("bottom", "epoch", **{"font-size": "8pt"})
        self.loss_item.hideAxis("bottom")
        self.acc_item.setYRange(0, 1, padding=0.08)
        self.acc_item.getAxis("left").setTicks([[(0.0, "0%"), (0.5, "50%"), (1.0, "100%")]])
        self.loss_item.setXRange(0, 10, padding=0.02)
        for item in (self.loss_item, self.acc_item):
            item.setMenuEnabled(False)
            item.hideButtons()
            item.setMouseEnabled(x=False, y=False)
            item.disableAutoRange()  # refresh() sets the ranges: one repaint per refresh, not two
            # Labels may reach a few pixels past the ends ("100%" at the top); no grid, which would
            # clip them to the axis box.
            item.getAxis("left").setStyle(hideOverlappingLabels=False)
            item.getAxis("left").setWidth(56)
            item.getAxis("left").enableAutoSIPrefix(False)
            item.getAxis("bottom").enableAutoSIPrefix(False)
            item.setMinimumHeight(56)
        self.acc_item.getViewBox().setMouseEnabled(False, False)
        self.train_curve = self._curve(self.loss_item, TRAIN_COLOUR, "train")
        self.test_curve = self._curve(self.loss_item, TEST_COLOUR, "test")
        self.train_acc_curve = self._curve(self.acc_item, TRAIN_COLOUR, "train")
        self.test_acc_curve = self._curve(self.acc_item, TEST_COLOUR, "test")
        self._cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(150, 150, 150, 160))
        self._cursor.hide()
        self.loss_item.addItem(self._cursor, ignoreBounds=True)
        self._acc_cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(150, 150, 150, 160))
        self._acc_cursor.hide()
        self.acc_item.addItem(self._acc_cursor, ignoreBounds=True)
        # The run's best epoch (lowest test loss, core/training/stopping.py): a star on the test curve.
        self.best_marker = self.loss_item.plot([], [], pen=None, symbol="star", symbolSize=13,
                                               symbolBrush=pg.mkBrush(*TEST_COLOUR), symbolPen=pg.mkPen(40, 40, 40))
        self.best_epoch: int | None = None
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self._buffer = _Buffer()
        self.run_overlays = RunOverlays(self)  # kept runs ticked in the run list
        self._dirty = False
        self._ranges: tuple | None = None  # the (x, y) ranges set last
        self.log_scale = False
        self.epoch_view = "all"
        self.show_accuracy = True
        self.readout = ""
        self.redraws = 0

    @staticmethod
    def _curve(item: pg.PlotItem, colour: tuple[int, int, int], name: str) -> pg.PlotDataItem:
        # No pyqtgraph downsampling or clipping: refresh() sends at most a few points per pixel
        # itself (see peak_decimate) and the whole run is always in view, so a range change does
        # not make every curve redo its display data.
        return item.plot(pen=pg.mkPen(colour, width=1.5), name=name, antialias=False)

    # --- data ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every point (a new run)."""
        self._buffer = _Buffer()
        self.best_epoch = None
        self._dirty = True
        self.refresh()

    def append(self, records) -> None:  # noqa: ANN001 - iterable of core.training.snapshot.EpochRecord
        rows = [(r.epoch, r.train_loss, r.test_loss,
                 np.nan if r.train_accuracy is None else r.train_accuracy,
                 np.nan if r.test_accuracy is None else r.test_accuracy) for r in records]
        if rows:
            self._buffer.append(rows)
            self._dirty = True

    def set_best_epoch(self, epoch: int | None) -> None:
        """Mark the run's best epoch (None: no mark) at the next refresh."""
        if epoch != self.best_epoch:
            self.best_epoch = epoch
            self._dirty = True

    def _place_best_marker(self) -> None:
        epochs = self._buffer.column("epoch")
        at = np.flatnonzero(epochs == self.best_epoch) if self.best_epoch is not None else ()
        if not len(at) or (self.epoch_view == "log" and self.best_epoch < 1):
            self.best_marker.setData([], [])
            return
        loss = float(self._buffer.column("test_loss")[at[-1]])
        self.best_marker.setData([float(self.best_epoch)], [max(loss, 1e-12) if self.log_scale else loss])

    @property
    def n_points(self) -> int:
        return self._buffer.n

    def series(self, name: str) -> np.ndarray:
        """A copy of one column: 'epoch', 'train_loss', 'test_loss', 'train_acc', 'test_acc'."""
        return self._buffer.column(name).copy()

    def set_show_accuracy(self, show: bool) -> None:
        """Regression has no accuracy: take its plot out, so the loss gets the whole height."""
        show = bool(show)
        if show == self.show_accuracy:
            return
        self.show_accuracy = show
        if show:
            self.ci.addItem(self.acc_item, row=2, col=0)
            self.ci.layout.setRowStretchFactor(2, 1)
            self.loss_item.hideAxis("bottom")  # the accuracy plot below carries the epoch axis
            self.loss_item.setLabel("bottom", None)
        else:
            self.ci.removeItem(self.acc_item)
            self.ci.layout.setRowStretchFactor(2, 0)
            self.loss_item.showAxis("bottom")
            self.loss_item.getAxis("bottom").setStyle(showValues=True)
            self.loss_item.setLabel("bottom", "epoch", **{"font-size": "8pt"})
        self.acc_item.setVisible(show)
        self._dirty = True

    @property
    def legend_labels(self) -> list[str]:
        """The legend's entries as shown: ['training', 'test', then any overlaid runs' names]."""
        return [name for name, _ in LEGEND] + self.run_overlays.names if self.legend.isVisible() else []

    def set_overlays(self, runs: list) -> None:
        """Overlay kept runs, [(core.runs.RunRecord, rgb), ...], dashed, named in the legend."""
        self.run_overlays.set_runs(runs)
        self._legend_runs = tuple((run.name, colour) for run, colour in runs)
        self._set_legend()
        self._ranges = None
        self._dirty = True
        self.refresh()

    def _set_legend(self) -> None:
        html = _legend_html(self._legend_runs, max(16, int(self.width() / LEGEND_CHAR_PX)))
        if html != self.legend.text:  # a resize that moves no name onto another line changes nothing
            self.legend.setText(html)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        super().resizeEvent(event)
        if getattr(self, "_legend_runs", ()):  # (resized while the widget is still being built)
            self._set_legend()  # the run names re-flow to the new width

    def set_log_scale(self, on: bool) -> None:
        self.log_scale = bool(on)
        self.loss_item.setLogMode(y=self.log_scale)
        self._dirty = True
        self.refresh()

    def set_epoch_view(self, view: str) -> None:
        """'all', 'log' (a log epoch axis) or 'recent' (the newest RECENT_SHARE of the run)."""
        if view not in EPOCH_VIEWS:
            raise ValueError(f"unknown epoch view '{view}'; expected one of {', '.join(EPOCH_VIEWS)}")
        self.epoch_view = view
        for item in (self.loss_item, self.acc_item):
            item.setLogMode(x=view == "log")
        self._ranges = None
        self._dirty = True
        self.refresh()

    def shown_epochs(self) -> tuple[float, float]:
        """The epochs across the axis now (first, last), in epochs even on the log axis."""
        (x0, x1), _ = self.loss_item.getViewBox().viewRange()
        if self.epoch_view == "log":
            return float(10.0 ** x0), float(10.0 ** x1)
        return float(x0), float(x1)

    def refresh(self) -> bool:
        """Push new points to the curves; False when nothing changed (nothing redrawn)."""
        if not self._dirty:
            return False
        self._dirty = False
        b = self._buffer
        x = b.column("epoch")
        train, test = b.column("train_loss"), b.column("test_loss")
        if self.log_scale:  # a log axis cannot show 0 or negative values
            train, test = np.maximum(train, 1e-12), np.maximum(test, 1e-12)
        names = ["train", "test"] + (["train_acc", "test_acc"] if self.show_accuracy else [])
        columns = [train, test] + ([b.column("train_acc"), b.column("test_acc")] if self.show_accuracy else [])
        if self.epoch_view == "recent" and len(x):  # only the newest share: its own y range too
            keep = x >= self._recent_start(float(x[-1]))
            x, columns = x[keep], [c[keep] for c in columns]
            train, test = columns[0], columns[1]
        elif self.epoch_view == "log" and len(x):  # epoch 0 has no place on a log axis
            keep = x >= 1
            x, columns = x[keep], [c[keep] for c in columns]
            train, test = columns[0], columns[1]
        width = int(self.loss_item.getViewBox().width())
        decimate_x = np.log10(x) if self.epoch_view == "log" and len(x) else x
        shown_lx, shown = peak_decimate(decimate_x, columns, max(MIN_COLUMNS, width))
        shown_x = 10.0 ** shown_lx if self.epoch_view == "log" and len(x) else shown_lx
        curves = {"train": self.train_curve, "test": self.test_curve,
                  "train_acc": self.train_acc_curve, "test_acc": self.test_acc_curve}
        for name, y in zip(names, shown):
            curves[name].setData(shown_x, y, skipFiniteCheck=True)
        self._place_best_marker()
        self.run_overlays.draw()
        self._set_ranges(x, train, test)
        for item in (self.loss_item, self.acc_item):
            # Settle the new ranges now: left to the paint, they would ask for a second paint.
            item.getViewBox().prepareForPaint()
        self.redraws += 1
        return True

    def _set_ranges(self, x: np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
        """Epochs 0..last across, the losses' span up the side: one range change, and none at all
        when they did not move (each change re-lays out the axes)."""
        last = float(x[-1]) if len(x) else 0.0
        overlay_last, overlay_losses = self.run_overlays.extent()
        if self.epoch_view != "recent":  # the whole of every overlaid run is in view
            last = max(last, overlay_last)
            test = np.concatenate([test, np.maximum(overlay_losses, 1e-12) if self.log_scale else overlay_losses])
        if self.epoch_view == "log":
            x_range = (0.0, float(np.log10(epoch_axis_end(last))))  # log10 units: epochs 1..end
        elif self.epoch_view == "recent":
            x_range = (self._recent_start(last), max(last, 10.0))
        else:
            x_range = (0.0, epoch_axis_end(last))
        y_range = self._loss_span(train, test)
        if (x_range, y_range) == self._ranges:
            return
        self._ranges = (x_range, y_range)
        pad_x = 0.02 * (x_range[1] - x_range[0])
        ranges = {"xRange": (x_range[0] - pad_x, x_range[1] + pad_x)}
        if y_range is not None:
            pad_y = 0.05 * (y_range[1] - y_range[0])
            ranges["yRange"] = (y_range[0] - pad_y, y_range[1] + pad_y)
        self.loss_item.getViewBox().setRange(**ranges, padding=0)

    @staticmethod
    def _recent_start(last: float) -> float:
        return max(0.0, float(np.floor(last * (1.0 - RECENT_SHARE))))

    def _loss_span(self, train: np.ndarray, test: np.ndarray) -> tuple[float, float] | None:
        values = np.concatenate([train, test])
        values = values[np.isfinite(values)]
        if not values.size:
            return None
        low, high = float(values.min()), float(values.max())
        if self.log_scale:
            low, high = float(np.log10(max(low, 1e-12))), float(np.log10(max(high, 1e-12)))
        else:
            low = min(0.0, low)
        if high - low < 1e-9:
            high = low + 1.0
        return low, high

    # --- hover readout ---------------------------------------------------------------------------
    def readout_at(self, epoch: float) -> str:
        """'epoch 12 · train 0.231 · test 0.245 · accuracy 91 % / 89 %' for the nearest epoch."""
        x = self._buffer.column("epoch")
        if not len(x):
            return ""
        i = int(np.clip(np.searchsorted(x, epoch), 0, len(x) - 1))
        if i > 0 and abs(x[i - 1] - epoch) < abs(x[i] - epoch):
            i -= 1
        b = self._buffer
        text = (f"epoch {int(x[i])} · train {b.column('train_loss')[i]:.4g} · "
                f"test {b.column('test_loss')[i]:.4g}")
        tr, te = b.column("train_acc")[i], b.column("test_acc")[i]
        if self.show_accuracy and np.isfinite(tr):
            text += f" · accuracy {tr:.1%} / {te:.1%}"
        return text

    def _on_mouse(self, event) -> None:  # noqa: ANN001 - SignalProxy passes (QPointF,)
        pos = event[0]
        for item in (self.loss_item, self.acc_item):
            if item.isVisible() and item.scene() is not None and item.sceneBoundingRect().contains(pos):
                x = item.getViewBox().mapSceneToView(pos).x()
                epoch = 10.0 ** x if self.epoch_view == "log" else x  # a log axis maps log10(epoch)
                self.readout = self.readout_at(epoch)
                self._show_cursor(x if self.readout else None)
                self.hoveredEpoch.emit(self.readout)
                return
        self._show_cursor(None)
        if self.readout:
            self.readout = ""
            self.hoveredEpoch.emit("")

    def _show_cursor(self, epoch: float | None) -> None:
        """One vertical line through both plots at the hovered epoch (None hides it)."""
        for cursor in (self._cursor, self._acc_cursor):
            if epoch is None:
                cursor.hide()
            else:
                cursor.setPos(epoch)
                cursor.show()

    def leaveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        self._show_cursor(None)
        self.readout = ""
        self.hoveredEpoch.emit("")
        super().leaveEvent(event)
