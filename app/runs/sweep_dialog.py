"""Train ▸ Sweep a setting (`sweepButton`): 2-8 values of one setting (core.runs.settings), trained
at once in worker processes (core.runs.pool.Sweep) from the same seed, so the same initial weights
where the shapes allow. A QTimer polls their progress (the GUI thread never waits on them) into
small-multiple boundaries (a small loss plot for data that is not 2-D), one overlaid loss plot and a
table. Cancel, or closing the dialog or window, stops every process: the processes end on a
background thread the poll timer checks (the GUI thread never waits on them; only closing the window
waits, as it does for the training thread). Finished variants join the run list. Train ▸ Race optimizers is the same sweep over every optimizer, started at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.look import colormaps
from app.look.plotting import pg
from app.look.widgets import named
from app.runs.run_list_view import PALETTE
from core.runs.settings import SWEEP_SETTINGS
from core.runs.variants import value_text

MIN_VALUES, MAX_VALUES = 2, 8
POLL_MS = 100
MAX_POINTS = 300       # training points drawn on each small boundary
CANCEL_GRACE_S = 5.0   # after Cancel, processes still alive this long are terminated
FINISH_GRACE_S = 3.0   # after the last variant's result, processes still alive this long are terminated
SHUTDOWN_WAIT_S = 30.0  # closing the window waits at most this long for the processes (terminated before)
TABLE_COLUMNS = ("Value", "State", "Epochs", "Test loss", "Best (epoch)", "Test accuracy", "Epochs/s")


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.4g}"


class _Variant:
    """What the dialog shows of one variant: its curve, picture and progress."""

    def __init__(self, value: Any, spec: Any, colour: tuple[int, int, int]) -> None:
        self.value, self.spec = value, spec
        self.colour = colour               # its curve and title here, and its row in the run list
        self.records: list[tuple] = []     # (epoch, train, test, train_acc, test_acc)
        self.best_epoch: int | None = None
        self.metrics: dict | None = None
        self.state = "waiting"
        self.error = ""                    # why it failed, in one line (its row's tooltip, the status)
        self.seconds = 0.0


class SweepDialog(QDialog):
    """The sweep window; `start(setting, values)` from code, or its Start button."""

    finished_all = Signal()

    def __init__(self, controller: Any, keeper: Any, parent: QWidget | None = None,
                 colours: Any = None) -> None:
        """`colours(n)`: n colours for the variants (the run list's free ones, so no kept run shares one)."""
        super().__init__(parent)
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Sweep a setting")
        self.controller, self.keeper = controller, keeper
        self.colours = colours or (lambda n: [PALETTE[i % len(PALETTE)] for i in range(n)])
        self.sweep = None
        self.variants: list[_Variant] = []
        self.setting = None
        self._closing: Any = None  # a Future while the sweep's processes end on a background thread
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

        self.setting_combo = named(QComboBox(), "sweepSettingCombo", "Setting to sweep",
                                   "The one setting that differs between the variants.")
        for name in SWEEP_SETTINGS:
            record = SWEEP_SETTINGS[name]
            self.setting_combo.addItem(record.label, name)
            self.setting_combo.setItemData(self.setting_combo.count() - 1, record.tip, Qt.ItemDataRole.ToolTipRole)
        self.setting_combo.currentIndexChanged.connect(self._setting_chosen)
        self.values_edit = named(QLineEdit(), "sweepValuesEdit", "Values",
                                 f"{MIN_VALUES} to {MAX_VALUES} values, separated by commas.")
        self.epochs_spin = named(QSpinBox(), "sweepEpochsSpin", "Epochs per variant", "Epochs each variant trains.")
        self.epochs_spin.setRange(1, 1_000_000)
        self.epochs_spin.setValue(int(controller.spec.epochs))
        self.start_button = named(QPushButton("Start"), "sweepStartButton", "Start the sweep",
                                  "Train every value at once, each in its own process, from the same seed.")
        self.start_button.clicked.connect(self._start_clicked)
        self.cancel_button = named(QPushButton("Cancel"), "sweepCancelButton", "Cancel the sweep",
                                   "Stop every variant now; finished ones stay in the run list.")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setObjectName("sweepStatus")
        self.status.setWordWrap(True)  # a failure's reason can be long; it must not widen the dialog
        top = QHBoxLayout()
        for widget in (QLabel("Setting"), self.setting_combo, QLabel("Values"), self.values_edit,
                       QLabel("Epochs"), self.epochs_spin, self.start_button, self.cancel_button):
            top.addWidget(widget)
        top.setStretchFactor(self.values_edit, 1)

        self.multiples = QWidget()
        self.multiples.setObjectName("sweepMultiples")
        self.grid = QGridLayout(self.multiples)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setObjectName("sweepLossPlot")
        self.loss_plot.setBackground("w")
        self.loss_plot.setLabel("left", "test loss")
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setMinimumHeight(200)
        self.table = named(QTableWidget(0, len(TABLE_COLUMNS)), "sweepTable", "Sweep results",
                           "Each variant's final and best figures (the same as 'layerlab train' gives for it).")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        body = QHBoxLayout()
        body.addWidget(self.multiples, 3)
        right = QVBoxLayout()
        right.addWidget(self.loss_plot, 3)
        right.addWidget(self.table, 2)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(body, 1)
        self._curves: list[Any] = []
        self._images: list[Any] = []
        self._small_curves: list[Any] = []
        self._titles: list[QLabel] = []
        self._setting_chosen()
        self.resize(1180, 720)

    # --- choosing ----------------------------------------------------------------------------------
    def _setting_chosen(self, _index: int = 0) -> None:
        record = SWEEP_SETTINGS[self.setting_combo.currentData()]
        self.values_edit.setText(", ".join(value_text(v) if not isinstance(v, float) else f"{v:g}"
                                           for v in record.defaults))
        allowed = f" ({', '.join(record.choices())})" if record.choices else ""
        self.values_edit.setToolTip(f"{MIN_VALUES} to {MAX_VALUES} values, separated by commas{allowed}. "
                                    f"Now: {record.current(self.controller.spec.to_dict())}.")

    def _start_clicked(self) -> None:
        name = self.setting_combo.currentData()
        try:
            values = [SWEEP_SETTINGS[name].parse(t) for t in self.values_edit.text().split(",") if t.strip()]
        except ValueError as err:
            self.status.setText(str(err))
            return
        self.start(name, values, epochs=self.epochs_spin.value())

    # --- running -----------------------------------------------------------------------------------
    def start(self, setting: str, values: list, epochs: int | None = None, workers: int | None = None) -> bool:
        """Train the current experiment once per value of `setting`; False (and why, in the status) if
        the values do not make a sweep."""
        from core.runs.pool import Sweep
        from core.runs.variants import variant_specs
        from core.spec import SpecError

        if self.sweep is not None:
            self.status.setText("A sweep is running: cancel it first.")
            return False
        if not MIN_VALUES <= len(values) <= MAX_VALUES or len(set(map(value_text, values))) != len(values):
            self.status.setText(f"Give {MIN_VALUES} to {MAX_VALUES} different values (got {len(values)}).")
            return False
        index = self.setting_combo.findData(setting)
        if index >= 0 and index != self.setting_combo.currentIndex():
            self.setting_combo.setCurrentIndex(index)
        self.values_edit.setText(", ".join(value_text(v) for v in values))
        base = self.controller.spec.to_dict()
        if epochs is not None:
            base["epochs"] = int(epochs)
            self.epochs_spin.setValue(int(epochs))
        try:
            specs = variant_specs(base, setting, list(values))
        except SpecError as err:
            self.status.setText(str(err))
            return False
        self.setting = setting
        paused = self.controller.playing
        if paused:  # the variants get the cores; Play goes on where it paused
            self.controller.pause()
        self.variants = [_Variant(v, s, c) for v, s, c in zip(values, specs, self.colours(len(specs)))]
        self._build_views()
        self.sweep = Sweep(specs, workers=workers)
        self.status.setText(("The live run is paused. " if paused else "") +
                            f"Training {len(specs)} variants of {SWEEP_SETTINGS[setting].label.lower()}, "
                            f"{self.sweep.workers} at a time, in separate processes…")
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.timer.start()
        return True

    def _build_views(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.loss_plot.clear()
        self.loss_plot.plotItem.legend.clear()
        self._curves, self._images, self._small_curves, self._titles = [], [], [], []
        dataset = self.controller.dataset
        planar = dataset is not None and bool(getattr(dataset, "is_planar", False))
        points = self._points(dataset) if planar else None
        columns = 2 if len(self.variants) <= 4 else 4
        lut = colormaps.diverging_colormap().getLookupTable(0.0, 1.0, 256)
        for i, variant in enumerate(self.variants):
            colour = variant.colour
            label = self._label(variant)
            self._curves.append(self.loss_plot.plot(pen=pg.mkPen(colour, width=2), name=label))
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(2, 2, 2, 2)
            cell_layout.setSpacing(0)
            title = QLabel(label)
            title.setStyleSheet(f"color: rgb{colour}; font-weight: bold;")
            self._titles.append(title)
            view = pg.PlotWidget()
            view.setBackground("w")
            view.setMinimumSize(140, 140)
            view.hideButtons()
            view.setMouseEnabled(False, False)
            if planar:
                view.setAspectLocked(True)
                view.hideAxis("left")
                view.hideAxis("bottom")
                image = pg.ImageItem(axisOrder="row-major")
                image.setLookupTable(lut)
                view.addItem(image)
                if points is not None:
                    view.addItem(pg.ScatterPlotItem(**points))
                self._images.append(image)
                self._small_curves.append(None)
            else:
                self._images.append(None)
                self._small_curves.append(view.plot(pen=pg.mkPen(colour, width=1.5)))
            cell_layout.addWidget(title)
            cell_layout.addWidget(view, 1)
            self.grid.addWidget(cell, i // columns, i % columns)
        self.table.setRowCount(len(self.variants))
        self._fill_table()

    @staticmethod
    def _points(dataset: Any) -> dict | None:
        """The training points (at most MAX_POINTS) in their class colours, as ScatterPlotItem options."""
        if dataset.task != "classification":
            return None
        xy, y = np.asarray(dataset.raw_train)[:MAX_POINTS, :2], np.asarray(dataset.y_train)[:MAX_POINTS]
        colours = colormaps.qualitative_colors(max(2, dataset.n_classes))
        brushes = [pg.mkBrush(*colours[int(c)][:3]) for c in np.asarray(y).reshape(len(y), -1)[:, 0]]
        return {"x": xy[:, 0], "y": xy[:, 1], "size": 4, "brush": brushes, "pen": pg.mkPen(255, 255, 255, 200)}

    def _short(self) -> str:
        return {"learning_rate": "lr", "batch_size": "batch", "regularization_rate": "reg"}.get(self.setting,
                                                                                              self.setting)

    def poll(self) -> None:
        """Take the workers' news (never blocks) and redraw what changed; once the processes ended,
        keep the finished runs."""
        if self._closing is not None:
            if self._closing.done():
                self._finish()
            return
        if self.sweep is None:
            self.timer.stop()
            return
        self._take(self.sweep.poll())
        if self.sweep.done:
            self._end_processes(FINISH_GRACE_S)

    def _take(self, messages: list) -> None:
        """Apply the workers' messages (progress, done, failed) and redraw the variants they touch."""
        from core.runs.process import DONE, FAILED, PROGRESS

        changed = set()
        for kind, index, payload in messages:
            variant = self.variants[index]
            changed.add(index)
            if kind == PROGRESS:
                variant.state = "training" if variant.metrics is None else variant.state
                variant.records.extend(payload["records"])
                variant.best_epoch = payload["best_epoch"]
                variant.seconds = payload["seconds"]
                if payload["boundary"] is not None and self._images[index] is not None:
                    self._show_boundary(index, payload["boundary"], payload["extent"])
            elif kind == DONE:
                variant.metrics = payload
                variant.state = payload.get("state", "finished")
            elif kind == FAILED:
                variant.state, variant.error = "failed", str(payload)
                variant.metrics = None
                self.status.setText(f"{self._label(variant)} failed: {payload}")
        for index in changed:
            self._draw_curve(index)
        if changed:
            self._fill_table()

    def _show_boundary(self, index: int, boundary: np.ndarray, extent: tuple) -> None:
        image = self._images[index]
        task = self.controller.spec.task.value
        if task == "regression":
            limit = float(np.nanmax(np.abs(boundary))) or 1.0
            image.setImage(boundary, levels=(-limit, limit), autoLevels=False)
        else:
            n_classes = getattr(self.controller.dataset, "n_classes", 2)
            data = boundary if n_classes <= 2 else boundary / max(1, n_classes - 1)
            image.setImage(data, levels=(0.0, 1.0), autoLevels=False)
        x0, x1, y0, y1 = extent
        image.setRect(x0, y0, x1 - x0, y1 - y0)

    def _draw_curve(self, index: int) -> None:
        records = self.variants[index].records
        if not records:
            return
        data = np.array([(r[0], np.nan if r[2] is None else r[2]) for r in records], dtype=np.float64)
        self._curves[index].setData(data[:, 0], data[:, 1], connect="finite")
        if self._small_curves[index] is not None:
            self._small_curves[index].setData(data[:, 0], data[:, 1], connect="finite")

    def _fill_table(self) -> None:
        for row, variant in enumerate(self.variants):
            m = variant.metrics or {}
            last = variant.records[-1] if variant.records else None
            epochs = m.get("epochs", last[0] if last else 0)
            test_loss = m.get("test_loss", last[2] if last else None)
            accuracy = m.get("test_accuracy", last[4] if last else None)
            best = m.get("best_test_loss")
            best_text = f"{_fmt(best)} ({m.get('best_epoch')})" if best is not None else "–"
            rate = m.get("epochs_per_second") or (epochs / variant.seconds if variant.seconds else None)
            cells = [self._label(variant), variant.state, str(epochs), _fmt(test_loss),
                     best_text, _fmt(accuracy, percent=True), _fmt(rate)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if variant.error:
                    item.setToolTip(variant.error)
                self.table.setItem(row, column, item)

    def cancel(self) -> None:
        """Stop every variant at its next snapshot; the processes end on a background thread (those
        still alive after CANCEL_GRACE_S are terminated) and the poll timer then finishes."""
        if self.sweep is None or self._closing is not None:
            return
        self.sweep.cancel()
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling: each process stops after its current epoch…")
        self._end_processes(CANCEL_GRACE_S)

    def _end_processes(self, grace_s: float) -> None:
        """Every variant ended or was asked to stop: wait for the processes off the GUI thread."""
        self._take(self.sweep.poll())
        self._closing = self.sweep.close_async(timeout_s=grace_s)
        self.timer.start()

    def _finish(self) -> None:
        """The processes ended: take their last messages and keep the finished runs."""
        self.timer.stop()
        sweep, self.sweep = self.sweep, None
        closing, self._closing = self._closing, None
        cancelled = sweep.cancelled
        try:
            self._take(closing.result(timeout=0))  # the last messages may trail the processes' results
        except Exception as err:  # noqa: BLE001 - the figures already shown stay; say what went wrong
            self.status.setText(f"Ending the sweep's processes failed: {err}")
        for variant, metrics, error in zip(self.variants, sweep.results(), sweep.errors()):
            if variant.metrics is None and metrics is not None and variant.state != "failed":
                variant.metrics, variant.state = metrics, metrics.get("state", "finished")
            elif error and variant.state != "failed":  # e.g. its process was killed: no message came
                variant.state, variant.error = "failed", error
        kept = 0
        for variant in self.variants:
            if variant.metrics and variant.metrics.get("epochs") and variant.state == "finished":
                self.keeper.add(self._record(variant), colour=variant.colour)
                kept += 1
        self._fill_table()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(("Cancelled. " if cancelled else "Done. ") +
                            f"{kept} variant{'s' if kept != 1 else ''} added to the run list." + self._failures())
        self.finished_all.emit()

    def _label(self, variant: _Variant) -> str:
        """'lr=0.01': the variant's name in its title, the table, the run list and the status."""
        return f"{self._short()}={value_text(variant.value)}"

    def _failures(self) -> str:
        """' N failed: lr=10: why; ...' for the final status, so a sweep where every variant failed
        says why instead of only '0 variants added'."""
        from core.runs.pool import failures_line

        failed = [(self._label(v), v.error or "no reason given") for v in self.variants if v.state == "failed"]
        if not failed:
            return ""
        return f" {len(failed)} failed: {failures_line(failed)}. Hover a failed row for its reason."

    def _record(self, variant: _Variant) -> Any:
        from core.runs import RunRecorder
        from core.training.snapshot import EpochRecord

        recorder = RunRecorder(variant.spec.to_dict())
        recorder.add([EpochRecord(int(e), 0, float(tr), float(te), a, b) for e, tr, te, a, b in variant.records],
                     variant.metrics.get("best_epoch"), variant.metrics.get("epochs_per_second"))
        run = recorder.finish(self._label(variant), "sweep")
        if run is not None:  # the figures after training, as 'layerlab train' reports them
            for key in ("epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "best_epoch",
                        "best_test_loss"):
                setattr(run, key, variant.metrics.get(key, getattr(run, key)))
        return run

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.cancel()  # the processes end in the background; finished variants still join the run list
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Closing the window: stop every worker process and wait until they ended (no orphans)."""
        self.timer.stop()
        if self.sweep is not None:
            self.hide()
            closing = self._closing or self.sweep.close_async(timeout_s=FINISH_GRACE_S)
            self.sweep, self._closing = None, None
            try:
                closing.result(timeout=SHUTDOWN_WAIT_S)
            except Exception:  # noqa: BLE001, S110 - the window is going; close() terminated what it could
                pass
            self.start_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
