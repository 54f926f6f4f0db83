"""View ▸ Model summary: the Keras-like table of the network (core.nn.summary) in a small dialog."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget


def summary_text(spec, dataset) -> str:
    """The summary table for `spec` on `dataset`, or the reason there is none (a misfit layer...)."""
    from core.nn.summary import model_summary

    if dataset is None:
        return "The data is still loading; open the summary again in a moment."
    try:
        return model_summary(spec, dataset.n_inputs, dataset.n_outputs, dataset.input_shape).to_text()
    except ValueError as err:  # a layer that does not fit (ShapeError) names itself
        return f"No summary: {err}"


class ModelSummaryDialog(QDialog):
    """A read-only, monospaced copy of `layerlab summary` for the open experiment."""

    def __init__(self, spec, dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model summary")
        self.setObjectName("modelSummaryDialog")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("modelSummary")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.show_summary(spec, dataset)
        self.resize(640, 360)

    def show_summary(self, spec, dataset) -> None:
        self.text.setPlainText(summary_text(spec, dataset))
