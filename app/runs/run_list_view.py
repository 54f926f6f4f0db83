"""The run list (`runList`): every kept run with its name (editable), end time, what differs from
the current settings, and its figures; tick a run to overlay its test curve on the loss plot.
Buttons delete runs, export them as CSV, and start a sweep (`sweepButton`) or an optimizer race.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.look.widgets import Blocked, named
from core.runs import RunRecord

# Overlay colours: distinct from the live curves (dark grey train, orange test)
PALETTE = ((31, 119, 180), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194),
           (23, 190, 207), (188, 189, 34), (127, 127, 127), (255, 127, 14))
COLUMNS = ("Run", "Ended", "Differences (now -> run)", "Epochs", "Test loss", "Best", "Accuracy")
HEADER_TIPS = ("Tick to overlay the run on the loss plot; double-click to rename.",
               "When the run ended, and how: reset, finished, stopped early, diverged or sweep.",
               "The settings that differ between now and this run, as 'now -> run'.",
               "Epochs trained.", "Test loss at the run's last epoch.",
               "The epoch with the lowest test loss, and that loss.", "Test accuracy at the run's last epoch.")


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.4g}"


class RunListView(QWidget):
    """Kept runs as a table; `overlaysChanged(list of (RunRecord, rgb))` when the ticked set changes."""

    overlaysChanged = Signal(list)
    sweepRequested = Signal()
    raceRequested = Signal()

    def __init__(self, keeper: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.keeper = keeper
        self._colours: dict[int, tuple[int, int, int]] = {}   # id(run) -> its overlay colour
        self._ticked: set[int] = set()                         # id(run) of the runs overlaid
        self._next_colour = 0
        self._overlaid: tuple = ()  # what refill() last overlaid: a new spec alone redraws no curve
        self.table = named(QTableWidget(0, len(COLUMNS)), "runList", "Kept runs",
                           "Every run you reset or that finished: tick one to overlay its test loss on the "
                           "loss plot; double-click a name to rename it.")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.delete_button = named(QPushButton("Delete"), "deleteRunButton", "Delete run",
                                   "Forget the selected runs.")
        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_button.setEnabled(False)
        self.export_button = named(QPushButton("Export CSV…"), "exportRunsButton", "Export runs as CSV",
                                   "Save one row per run (name, time, differences, figures), and their "
                                   "curves in long form beside it.")
        self.sweep_button = named(QPushButton("Sweep…"), "sweepButton", "Sweep a setting",
                                  "Train 2-8 values of one setting side by side, in parallel processes.")
        self.sweep_button.clicked.connect(self.sweepRequested)
        self.race_button = named(QPushButton("Race optimizers"), "raceButton", "Race optimizers",
                                 "Train the same network with every optimizer at once and compare the curves.")
        self.race_button.clicked.connect(self.raceRequested)
        self.count_label = QLabel("")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for widget in (self.sweep_button, self.race_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        for widget in (self.delete_button, self.export_button):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        keeper.changed.connect(self.refill)
        self.refill()

    # --- showing ------------------------------------------------------------------------------------
    def colour_of(self, run: RunRecord) -> tuple[int, int, int]:
        """The run's colour: the one it had in its sweep, else the next palette colour no run shown has."""
        key = id(run)
        if key not in self._colours:
            colour = self.keeper.colours.pop(key, None)
            if colour is None:
                used = set(self._colours.values())
                free = [PALETTE[(self._next_colour + i) % len(PALETTE)] for i in range(len(PALETTE))]
                colour = next((c for c in free if c not in used), free[0])
                self._next_colour = PALETTE.index(colour) + 1
            self._colours[key] = tuple(colour)
        return self._colours[key]

    def free_colours(self, n: int) -> list[tuple[int, int, int]]:
        """n colours for new runs (a sweep's variants): palette colours no run shown has first."""
        used = {self.colour_of(run) for run in self.keeper.runs}
        free = [c for c in PALETTE if c not in used] + [c for c in PALETTE if c in used]
        return [free[i % len(free)] for i in range(n)]

    def refill(self) -> None:
        """Show the keeper's runs (and the current differences), newest at the top."""
        runs = list(self.keeper.runs)
        alive = {id(r) for r in runs}
        self._ticked &= alive
        self._colours = {k: v for k, v in self._colours.items() if k in alive}
        with Blocked([self.table]):
            self.table.setRowCount(len(runs))
            for row, run in enumerate(reversed(runs)):
                self._fill_row(row, run)
        self.count_label.setText(f"{len(runs)} run{'s' if len(runs) != 1 else ''}" if runs else
                                 "No runs yet: Reset or finish a run to keep it")
        self.delete_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self.export_button.setEnabled(bool(runs))
        self._send_overlays(only_if_changed=True)

    def _fill_row(self, row: int, run: RunRecord) -> None:
        pixmap = QPixmap(10, 10)
        pixmap.fill(QColor(*self.colour_of(run)))
        name = QTableWidgetItem(QIcon(pixmap), run.name)
        name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        name.setCheckState(Qt.CheckState.Checked if id(run) in self._ticked else Qt.CheckState.Unchecked)
        name.setData(Qt.ItemDataRole.UserRole, id(run))
        name.setToolTip("Tick to overlay this run's test loss on the loss plot; double-click to rename.")
        differences = self.keeper.differences(run) or "same settings"
        best = f"{run.best_epoch}: {_fmt(run.best_test_loss)}" if run.best_epoch is not None else "–"
        cells = [name, run.time[-8:] + f" ({run.ended})", differences, str(run.epochs), _fmt(run.test_loss), best,
                 _fmt(run.test_accuracy, percent=True)]
        for column, cell in enumerate(cells):
            item = cell if isinstance(cell, QTableWidgetItem) else QTableWidgetItem(cell)
            if column:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if column == 2:
                item.setToolTip(differences)
            self.table.setItem(row, column, item)

    def _run_at(self, row: int) -> tuple[int, RunRecord]:
        """(index in the keeper's list, run) of a table row (the table shows newest first)."""
        index = len(self.keeper.runs) - 1 - row
        return index, self.keeper.runs[index]

    # --- editing -----------------------------------------------------------------------------------
    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        index, run = self._run_at(item.row())
        checked = item.checkState() == Qt.CheckState.Checked
        if checked != (id(run) in self._ticked):
            self.set_overlaid(index, checked)
        elif item.text() != run.name:
            self.keeper.rename(index, item.text())

    def set_overlaid(self, index: int, on: bool) -> None:
        """Overlay the run at `index` of the keeper's list on the loss plot (or take it off)."""
        run = self.keeper.runs[index]
        (self._ticked.add if on else self._ticked.discard)(id(run))
        row = len(self.keeper.runs) - 1 - index
        item = self.table.item(row, 0)
        if item is not None and (item.checkState() == Qt.CheckState.Checked) != on:
            with Blocked([self.table]):
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._send_overlays(only_if_changed=False)

    def _send_overlays(self, only_if_changed: bool) -> None:
        """overlaysChanged with the ticked runs; `only_if_changed`: not when the same runs, names and colours
        are overlaid already (a new spec alone redraws no curve)."""
        overlays = self.overlays()
        overlaid = tuple((id(run), run.name, colour) for run, colour in overlays)
        if only_if_changed and overlaid == self._overlaid:
            return
        self._overlaid = overlaid
        self.overlaysChanged.emit(overlays)

    def overlays(self) -> list[tuple[RunRecord, tuple[int, int, int]]]:
        return [(run, self.colour_of(run)) for run in self.keeper.runs if id(run) in self._ticked]

    def _selection_changed(self) -> None:
        self.delete_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def delete_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()}, reverse=True)
        self.keeper.remove(*(self._run_at(row)[0] for row in rows))
