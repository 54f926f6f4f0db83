"""Train and test loss over epochs, with accuracy below; hover to read the values at an epoch.

Points are appended as snapshots arrive (every finished epoch, nothing dropped) into growing numpy
buffers; `refresh()` pushes them to the curves, which downsample and clip to the view themselves,
so a run of a million epochs stays cheap to draw.
"""

from __future__ import annotations

import numpy as np
from app.plotting import pg
from PySide6.QtCore import Signal

from app import colormaps

TRAIN_COLOUR = (60, 60, 60)
TEST_COLOUR = colormaps.NEGATIVE_RGB
_FIELDS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
LEGEND = (("training", TRAIN_COLOUR), ("test", TEST_COLOUR))


def _legend_html() -> str:
    """'── training  ── test', each dash in its curve's colour."""
    parts = [f'<span style="color:#{r:02x}{g:02x}{b:02x}; font-weight:bold;">━━</span>&nbsp;{name}'
             for name, (r, g, b) in LEGEND]
    return f'<span style="font-size:8pt; color:#4b5563;">{" &nbsp;&nbsp; ".join(parts)}</span>'


class _Buffer:
    """Columns that grow by doubling, so appending one epoch is O(1)."""

    def __init__(self) -> None:
        self._data = np.full((len(_FIELDS), 256), np.nan)
        self.n = 0

    def append(self, rows: list[tuple[float, ...]]) -> None:
        need = self.n + len(rows)
        if need > self._data.shape[1]:
            grown = np.full((len(_FIELDS), max(need, 2 * self._data.shape[1])), np.nan)
            grown[:, :self.n] = self._data[:, :self.n]
            self._data = grown
        if rows:
            self._data[:, self.n:need] = np.asarray(rows, dtype=np.float64).T
            self.n = need

    def column(self, name: str) -> np.ndarray:
        return self._data[_FIELDS.index(name), :self.n]


class LossPlot(pg.GraphicsLayoutWidget):
    """Loss curves (train dark, test orange) and accuracy; `log_scale` toggles a log loss axis."""

    hoveredEpoch = Signal(str)  # the readout text, '' when the mouse leaves

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName("Loss and accuracy curves")
        self.setToolTip("Training loss (dark) and test loss (orange) per epoch; when test loss rises "
                        "while training loss falls, the network is overfitting.")
        self.setMinimumHeight(150)
        self.ci.setContentsMargins(2, 0, 6, 2)
        self.ci.setSpacing(16)  # room between the plots, so the accuracy's "100%" never meets the loss axis
        # The key: one short line of its own above the curves, so it never covers them.
        self.legend = pg.LabelItem(_legend_html(), justify="right")
        self.ci.addItem(self.legend, row=0, col=0)
        self.loss_item = self.addPlot(row=1, col=0)
        self.acc_item = self.addPlot(row=2, col=0)
        self.ci.layout.setRowStretchFactor(0, 0)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 2)
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
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self._buffer = _Buffer()
        self._dirty = False
        self.log_scale = False
        self.show_accuracy = True
        self.readout = ""
        self.redraws = 0

    @staticmethod
    def _curve(item: pg.PlotItem, colour: tuple[int, int, int], name: str) -> pg.PlotDataItem:
        curve = item.plot(pen=pg.mkPen(colour, width=1.5), name=name, antialias=False)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    # --- data ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every point (a new run)."""
        self._buffer = _Buffer()
        self._dirty = True
        self.refresh()

    def append(self, records) -> None:  # noqa: ANN001 - iterable of core.snapshot.EpochRecord
        rows = [(r.epoch, r.train_loss, r.test_loss,
                 np.nan if r.train_accuracy is None else r.train_accuracy,
                 np.nan if r.test_accuracy is None else r.test_accuracy) for r in records]
        if rows:
            self._buffer.append(rows)
            self._dirty = True

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
            self.ci.layout.setRowStretchFactor(2, 2)
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
        """The legend's entries as shown: ['training', 'test']."""
        return [name for name, _ in LEGEND] if self.legend.isVisible() else []

    def set_log_scale(self, on: bool) -> None:
        self.log_scale = bool(on)
        self.loss_item.setLogMode(y=self.log_scale)
        self._dirty = True
        self.refresh()

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
        self.train_curve.setData(x, train, skipFiniteCheck=True)
        self.test_curve.setData(x, test, skipFiniteCheck=True)
        if self.show_accuracy:
            self.train_acc_curve.setData(x, b.column("train_acc"), skipFiniteCheck=True)
            self.test_acc_curve.setData(x, b.column("test_acc"), skipFiniteCheck=True)
        self._set_ranges(x, train, test)
        self.redraws += 1
        return True

    def _set_ranges(self, x: np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
        last = float(x[-1]) if len(x) else 0.0
        self.loss_item.setXRange(0, max(10.0, last), padding=0.02)
        values = np.concatenate([train, test])
        values = values[np.isfinite(values)]
        if not values.size:
            return
        low, high = float(values.min()), float(values.max())
        if self.log_scale:
            low, high = np.log10(max(low, 1e-12)), np.log10(max(high, 1e-12))
        else:
            low = min(0.0, low)
        if high - low < 1e-9:
            high = low + 1.0
        self.loss_item.setYRange(low, high, padding=0.05)

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
                epoch = item.getViewBox().mapSceneToView(pos).x()
                self.readout = self.readout_at(epoch)
                self._show_cursor(epoch if self.readout else None)
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
