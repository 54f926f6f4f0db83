"""The right panel: loss figures, the decision boundary and its toggles, loss curves beside the
confusion matrix."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout,
                               QWidget)

from app.boundary_view import BoundaryView
from app.confusion_view import ConfusionView
from app.loss_plot import LossPlot
from app.widgets import named


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.3f}"


class _Square(QWidget):
    """Keeps its child's plane square and centred, so the plane is never stretched or padded.

    A child with `extra_height()` (a legend under the plane) gets that much more height.
    """

    def __init__(self, child: QWidget) -> None:
        super().__init__()
        self.child = child
        self._placing = False
        child.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(child.minimumSize())
        if hasattr(child, "shapeChanged"):  # also sent when the child stops or starts being square
            child.shapeChanged.connect(self._place)

    def _place(self) -> None:
        if self._placing:  # the legend rewraps as the child resizes; the loop below settles it
            return
        self._placing = True
        try:
            for _ in range(3):  # a narrower plane can wrap the legend onto one more line, once or twice
                if not getattr(self.child, "wants_square", True):
                    self.child.setGeometry(0, 0, self.width(), self.height())
                    break
                extra = self.child.extra_height() if hasattr(self.child, "extra_height") else 0
                side = max(0, min(self.width(), self.height() - extra))
                height = min(self.height(), side + extra)
                self.child.setGeometry((self.width() - side) // 2, (self.height() - height) // 2, side, height)
                if (self.child.extra_height() if hasattr(self.child, "extra_height") else 0) == extra:
                    break
        finally:
            self._placing = False

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        self._place()
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
        loss_column = QVBoxLayout()
        loss_column.setSpacing(2)
        self.plot_caption = QLabel("LOSS AND ACCURACY")
        self.plot_caption.setObjectName("groupCaption")
        loss_column.addWidget(self.plot_caption)
        loss_column.addWidget(self.loss_plot, 1)
        loss_column.addWidget(self.log_box)

        # The confusion matrix sits beside the curves (not under them), so ten classes get readable
        # cells without taking the boundary's height; regression hides it and the curves widen.
        self.confusion_view = ConfusionView()
        self.confusion_view.setFixedSize(self.confusion_view.size_for(("0", "1")))
        self.confusion_box = QWidget()
        self.confusion_box.setObjectName("confusionBox")
        confusion_column = QVBoxLayout(self.confusion_box)
        confusion_column.setContentsMargins(8, 0, 0, 0)
        confusion_column.setSpacing(2)
        self.confusion_caption = QLabel("CONFUSION (TEST SET)")
        self.confusion_caption.setObjectName("groupCaption")
        confusion_column.addWidget(self.confusion_caption)
        confusion_column.addWidget(self.confusion_view, 0, Qt.AlignmentFlag.AlignHCenter)
        confusion_column.addStretch(1)

        body = QHBoxLayout()
        body.setSpacing(0)
        body.addLayout(loss_column, 1)
        body.addWidget(self.confusion_box, 0)
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(2)
        plot_layout.addLayout(body, 1)
        plot_layout.addWidget(self.readout)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("outputSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(plot_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([400, 260])  # the boundary is the star; the curves sit below it
        layout.addWidget(self.splitter, 1)

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text)

    def set_task(self, task: str, class_names: tuple[str, ...]) -> None:
        """Fit the panel to the data set just shown (call after `boundary_view.set_dataset`)."""
        classification = task == "classification"
        planar = self.boundary_view.planar
        self.loss_plot.set_show_accuracy(classification)
        self.plot_caption.setText("LOSS AND ACCURACY" if classification else "LOSS")
        self.discretize_box.setEnabled(classification and planar)
        self.discretize_box.setToolTip(
            "Show only the predicted class at each point, without the shading of how sure the network is."
            if planar else "Only for 2-D data sets: a projection of a table has no boundary to discretize.")
        self.show_test_box.setEnabled(planar)
        self.show_test_box.setToolTip(
            "Also draw the held-out test points (dark outline) over the boundary." if planar else
            "The projection always shows the test rows (dark outline), so the ones the network gets "
            "wrong can be ringed in red.")
        self.confusion_view.set_classes(class_names if classification else ())
        self.confusion_view.setFixedSize(self.confusion_view.size_for(tuple(class_names) or ("0", "1")))
        self.confusion_box.setVisible(classification)

    def show_figures(self, snap) -> None:  # noqa: ANN001 - core.training.snapshot.Snapshot
        text = (f"Test loss <b>{_fmt(snap.test_loss)}</b> &nbsp; Training loss <b>{_fmt(snap.train_loss)}</b>")
        if snap.test_accuracy is not None:
            text += (f"<br>Test accuracy <b>{_fmt(snap.test_accuracy, True)}</b> &nbsp; "
                     f"Training accuracy <b>{_fmt(snap.train_accuracy, True)}</b>")
        self.figures.setText(text)
        # Tables have no boundary grid; their projection marks the test rows predicted wrong instead.
        self.boundary_view.update_predictions(snap)

    def clear_figures(self) -> None:
        self.figures.setText("Test loss <b>–</b> &nbsp; Training loss <b>–</b>")
