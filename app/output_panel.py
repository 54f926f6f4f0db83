"""The right panel: loss figures, the decision boundary and its toggles, loss curves, confusion matrix."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout,
                               QWidget)
from superqt import QCollapsible

from app.boundary_view import BoundaryView
from app.confusion_view import ConfusionView
from app.loss_plot import LossPlot
from app.widgets import named


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.3f}"


class _Square(QWidget):
    """Keeps its one child square and centred, so the plane is never stretched or padded."""

    def __init__(self, child: QWidget) -> None:
        super().__init__()
        self.child = child
        child.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(child.minimumSize())

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        side = min(self.width(), self.height())
        self.child.setGeometry((self.width() - side) // 2, (self.height() - side) // 2, side, side)
        super().resizeEvent(event)


class OutputPanel(QFrame):
    """Everything that shows how well the network does; it reads snapshots, it never trains."""

    showTestToggled = Signal(bool)
    discretizeToggled = Signal(bool)
    logScaleToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outputPanel")
        self.setMinimumWidth(300)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.setSpacing(6)
        title = QLabel("OUTPUT")
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.figures = named(QLabel(""), "lossFigures", "Loss figures",
                             "The latest test and training loss (and accuracy): lower loss is better.")
        self.figures.setObjectName("lossFigures")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.figures)

        self.boundary_view = BoundaryView()
        self.boundary_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.show_test_box = named(QCheckBox("Show test data"), "showTestCheck", "Show test data",
                                   "Also draw the held-out test points (dark outline) over the boundary.")
        self.discretize_box = named(QCheckBox("Discretize output"), "discretizeCheck", "Discretize output",
                                    "Show only the predicted class at each point, without the shading "
                                    "of how sure the network is.")
        self.show_test_box.toggled.connect(self.showTestToggled)
        self.discretize_box.toggled.connect(self.discretizeToggled)
        toggles = QHBoxLayout()
        toggles.addWidget(self.show_test_box)
        toggles.addWidget(self.discretize_box)
        toggles.addStretch(1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(_Square(self.boundary_view), 1)
        top_layout.addLayout(toggles)

        self.loss_plot = LossPlot()
        self.log_box = named(QCheckBox("Log scale"), "logScaleCheck", "Log scale loss axis",
                             "Show the loss on a logarithmic axis, so small late improvements stay visible.")
        self.log_box.toggled.connect(self.logScaleToggled)
        self.readout = QLabel("")
        self.readout.setObjectName("lossReadout")
        self.readout.setAccessibleName("Loss at the hovered epoch")
        self.loss_plot.hoveredEpoch.connect(self._show_readout)
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(2)
        head = QHBoxLayout()
        caption = QLabel("LOSS AND ACCURACY")
        caption.setObjectName("groupCaption")
        head.addWidget(caption)
        head.addStretch(1)
        head.addWidget(self.log_box)
        plot_layout.addLayout(head)
        plot_layout.addWidget(self.loss_plot, 1)
        plot_layout.addWidget(self.readout)

        self.confusion_view = ConfusionView()
        self.confusion_view.setFixedHeight(112)
        self.confusion_box = QCollapsible("Confusion matrix (test set)")
        self.confusion_box.setObjectName("confusionCollapsible")
        self.confusion_box.setDuration(0)
        self.confusion_box.addWidget(self.confusion_view)
        self.confusion_box.setContentsMargins(0, 0, 0, 0)
        if self.confusion_box.content().layout() is not None:
            self.confusion_box.content().layout().setContentsMargins(0, 0, 0, 0)
        self.confusion_box.expand(animate=False)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("outputSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(plot_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([380, 270])  # the boundary is the star; the curves sit below it
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.confusion_box)

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text)

    def set_task(self, task: str, class_names: tuple[str, ...]) -> None:
        classification = task == "classification"
        self.loss_plot.set_show_accuracy(classification)
        self.discretize_box.setEnabled(classification)
        self.confusion_view.set_classes(class_names if classification else ())
        self.confusion_box.setVisible(classification)

    def show_figures(self, snap) -> None:  # noqa: ANN001 - core.snapshot.Snapshot
        text = (f"Test loss <b>{_fmt(snap.test_loss)}</b> &nbsp; Training loss <b>{_fmt(snap.train_loss)}</b>")
        if snap.test_accuracy is not None:
            text += (f"<br>Test accuracy <b>{_fmt(snap.test_accuracy, True)}</b> &nbsp; "
                     f"Training accuracy <b>{_fmt(snap.train_accuracy, True)}</b>")
        self.figures.setText(text)

    def clear_figures(self) -> None:
        self.figures.setText("Test loss <b>–</b> &nbsp; Training loss <b>–</b>")
