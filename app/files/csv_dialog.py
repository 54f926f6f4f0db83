"""Pick a CSV file, see its first rows, and choose the column to predict and the input columns
(or, for a time series, the one column whose next value the network learns to predict).

The dialog only previews (pandas, first rows); the full file is read and checked by core when the
window applies the choice, and any problem there is reported without touching the current data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.look.widgets import named
from core.spec import Task

PREVIEW_ROWS = 8


@dataclass(frozen=True)
class CsvChoice:
    """What the user picked: the file, the target column, the input columns and the task."""

    path: str
    target: str
    columns: list[str]
    task: Task


def read_preview(path: str | Path, rows: int = PREVIEW_ROWS):  # noqa: ANN201 - pandas DataFrame
    """The header and first rows of a CSV file; raises ValueError with a readable message."""
    import pandas as pd

    from core.data.tabular import sniff_delimiter

    from core.echo import clip, echo
    from core.files.textfile import NotText, read_text_head

    path = Path(path)
    try:
        head = read_text_head(path, 1 << 20)  # never blocks on a pipe or reads /dev/zero; decodes UTF-16 by its mark
    except NotText as err:
        raise ValueError(f"{echo(str(path))}: {err}") from None
    if not head.strip():
        raise ValueError(f"{echo(path.name)} is empty; a CSV needs a header line and data rows")
    if "\x00" in head:
        raise ValueError(f"{echo(path.name)} contains NUL bytes: it is a binary file, not CSV text")
    try:
        frame = pd.read_csv(io.StringIO(head), sep=sniff_delimiter(head), nrows=rows, skipinitialspace=True)
    except Exception as err:  # noqa: BLE001 - pandas raises many kinds; all mean "cannot preview"
        raise ValueError(f"{echo(path.name)} cannot be read as CSV: {clip(err)}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


class CsvDialog(QDialog):
    """File, preview of the first rows, target column, input columns, classification or regression."""

    def __init__(self, parent: QWidget | None = None, path: str | None = None, series: bool = False) -> None:
        super().__init__(parent)
        self.series = series
        self.setObjectName("csvDialog")
        self.setWindowTitle("Open a CSV time series" if series else "Open a CSV data set")
        self.resize(640, 520)
        layout = QVBoxLayout(self)

        file_row = QHBoxLayout()
        self.path_edit = named(QLineEdit(), "csvPathEdit", "CSV file", "The CSV file to learn from.")
        self.path_edit.setReadOnly(True)
        browse = named(QPushButton("Browse…"), "csvBrowseButton", "Browse for a CSV file",
                       "Choose a CSV file: a header line naming the columns, then one row per example.")
        browse.clicked.connect(self.choose_file)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        layout.addLayout(file_row)

        self.error_label = QLabel("")
        self.error_label.setObjectName("csvError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.error_label)

        layout.addWidget(QLabel(f"First {PREVIEW_ROWS} rows:"))
        self.preview = named(QTableWidget(), "csvPreview", "Preview of the first rows",
                             "The first rows of the file, as LayerLab reads them.")
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setMinimumHeight(170)
        layout.addWidget(self.preview, 1)

        form = QFormLayout()
        self.target_combo = named(QComboBox(), "csvTargetCombo", "Column to predict",
                                  "The column the network learns to predict (the label or value).")
        self.target_combo.currentTextChanged.connect(self._target_changed)
        self.task_combo = named(QComboBox(), "csvTaskCombo", "Problem type",
                                "Classification treats the target as classes; regression as a number.")
        self.task_combo.addItem("Classification", Task.classification.value)
        self.task_combo.addItem("Regression", Task.regression.value)
        self.columns_list = named(QListWidget(), "csvColumnsList", "Input columns",
                                  "The columns the network learns from; untick identifiers and text.")
        self.columns_list.setMaximumHeight(130)
        form.addRow("Series column:" if series else "Column to predict:", self.target_combo)
        form.addRow("Problem type:", self.task_combo)
        form.addRow("Input columns:", self.columns_list)
        if series:  # one column, read in file order; the network predicts its next value (regression)
            self.target_combo.setToolTip("The numeric column read in file order; the network sees a window of "
                                         "its values and predicts the next one.")
            form.setRowVisible(self.task_combo, False)
            form.setRowVisible(self.columns_list, False)
        layout.addLayout(form)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._columns: list[str] = []
        self._set_ok(False)
        if path:
            self.load_preview(path)

    def _set_ok(self, ok: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def choose_file(self) -> None:
        start = str(Path(self.path_edit.text()).parent) if self.path_edit.text() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV file", start,
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.load_preview(path)

    def load_preview(self, path: str) -> bool:
        """Show the file's first rows and columns; False (and a message) if it cannot be previewed."""
        self.path_edit.setText(path)
        try:
            frame = read_preview(path)
        except ValueError as err:
            self.error_label.setText(str(err))
            self.preview.clear()
            self.target_combo.clear()
            self.columns_list.clear()
            self._set_ok(False)
            return False
        self.error_label.setText("")
        self._columns = list(frame.columns)
        self.preview.setColumnCount(len(self._columns))
        self.preview.setRowCount(len(frame))
        self.preview.setHorizontalHeaderLabels(self._columns)
        for r in range(len(frame)):
            for c in range(len(self._columns)):
                self.preview.setItem(r, c, QTableWidgetItem(str(frame.iat[r, c])))
        self.preview.resizeColumnsToContents()
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItems(self._columns)
        self.target_combo.setCurrentIndex(len(self._columns) - 1)  # the label is usually last
        self.target_combo.blockSignals(False)
        self._target_changed(self.target_combo.currentText())
        enough = len(self._columns) >= (1 if self.series else 2)
        self._set_ok(enough)
        if not enough:
            self.error_label.setText("The file needs at least two columns: one to predict and one input.")
        return enough

    def _target_changed(self, target: str) -> None:
        self.columns_list.clear()
        for name in self._columns:
            if name == target:
                continue
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.columns_list.addItem(item)

    def choice(self) -> CsvChoice | None:
        """The user's choice, or None when no usable file is loaded."""
        path, target = self.path_edit.text(), self.target_combo.currentText()
        if not path or not target:
            return None
        columns = [self.columns_list.item(i).text() for i in range(self.columns_list.count())
                   if self.columns_list.item(i).checkState() == Qt.CheckState.Checked]
        if self.series:
            return CsvChoice(path=path, target=target, columns=[], task=Task.regression)
        return CsvChoice(path=path, target=target, columns=columns, task=Task(self.task_combo.currentData()))
