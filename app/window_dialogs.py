"""The dialogs the window opens: the data files it asks for (a CSV table or series, an image
folder), Train ▸ Find a learning rate, the model summary, the guide and the colour legend.

Kept apart so the window only lays out views; the dialogs that stay open are closed with it
(`close_all`). A dialog the user cancels puts the data panel back to the spec.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.controller import SessionController
from app.panels.data_panel import DataPanel
from app.panels.help import ColourLegend
from core.spec import DataSource


class WindowDialogs(QObject):
    """Opens the window's dialogs over `window` and keeps the ones that stay open."""

    def __init__(self, window: QWidget, controller: SessionController, data_panel: DataPanel) -> None:
        super().__init__(window)
        self._controller = controller
        self._data_panel = data_panel
        self.legend: ColourLegend | None = None
        self.guide = None
        self.lr_finder = None  # Train ▸ Find a learning rate, while open

    @property
    def _parent(self) -> QWidget:
        """The window: our Qt parent (no Python reference, so closing frees the window)."""
        return self.parent()  # type: ignore[return-value]

    def open_csv(self, series: bool = False) -> None:
        """A CSV table (a target column and input columns), or with `series` one column as a time series."""
        from app.files.csv_dialog import CsvDialog

        spec = self._controller.spec
        source = DataSource.csv_series if series else DataSource.csv
        start = spec.data.path if spec.data.source == source else None
        dialog = CsvDialog(self._parent, start, series=series)
        if not start:
            dialog.choose_file()
            if not dialog.path_edit.text():
                self._data_panel.set_spec(self._controller.spec)
                return
        if dialog.exec() == CsvDialog.DialogCode.Accepted and (choice := dialog.choice()) is not None:
            if series:
                self._controller.load_csv_series(choice.path, choice.target)
            else:
                self._controller.load_csv(choice.path, choice.target, choice.columns, choice.task)
        else:
            self._data_panel.set_spec(self._controller.spec)

    def open_image_folder(self) -> None:
        """Pick a folder with one sub-folder of images per class; a bad folder or unreadable files
        give one message and the data stays as it was."""
        from PySide6.QtWidgets import QFileDialog

        spec = self._controller.spec
        start = str(spec.data.path) if spec.data.source == DataSource.image_folder and spec.data.path else ""
        folder = QFileDialog.getExistingDirectory(self._parent, "Image folder: one sub-folder of images per class",
                                                  start)
        if not folder or not self._controller.load_image_folder(folder):
            self._data_panel.set_spec(self._controller.spec)

    def open_lr_finder(self) -> None:
        """Train ▸ Find a learning rate (app/panels/lr_finder_dialog.py); Apply sets the rate live."""
        from app.panels.lr_finder_dialog import LRFinderDialog

        if self.lr_finder is not None:
            self.lr_finder.close()
        self.lr_finder = LRFinderDialog(self._controller, self._parent)
        self.lr_finder.applied.connect(self._controller.set_learning_rate)
        self.lr_finder.show()

    def show_model_summary(self):  # noqa: ANN201 - returns the dialog (tests read it)
        from app.panels.summary_dialog import ModelSummaryDialog

        dialog = ModelSummaryDialog(self._controller.spec, self._controller.dataset, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_guide(self) -> None:
        from app.panels.guide import GuideDialog

        if self.guide is None:
            self.guide = GuideDialog(self._parent.findChildren(QAction), self._parent)
        self.guide.show()
        self.guide.raise_()

    def show_colour_legend(self) -> None:
        if self.legend is None:
            self.legend = ColourLegend(self._parent)
        self.legend.show()
        self.legend.raise_()

    def close_all(self) -> None:
        """The window closes: so do the legend, the guide and the learning-rate finder (which cancels
        its sweep and waits for its thread)."""
        if self.legend is not None:
            self.legend.close()
        if self.guide is not None:
            self.guide.close()
        if self.lr_finder is not None:
            self.lr_finder.close()
