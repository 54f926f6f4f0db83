"""The right panel: loss figures, the decision boundary and its toggles, loss curves beside the
confusion matrix."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout,
                               QWidget)

from app.plots.boundary_view import BoundaryView
from app.plots.confusion_view import ConfusionView
from app.plots.loss_plot import EPOCH_VIEWS, LossPlot
from app.plots.sequence import SequencePanel
from app.look.widgets import named


PLOTS_MIN_HEIGHT = 260
# Data whose pictures are not a boundary get their own panel in its place, one factory per modality.
MODALITY_PANELS = {"sequence": SequencePanel}


def _fmt(value: float | None, percent: bool = False) -> str:
    """Losses with 4 significant digits (0.0001234, not 0.000); accuracy as a percentage."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.4g}"


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
    epochViewChosen = Signal(str)  # a key of loss_plot.EPOCH_VIEWS

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
        # A table has no plane: choose what its scatter shows instead (principal components or columns).
        self.x_axis_combo = named(QComboBox(), "scatterXCombo", "Scatter across",
                                  "What places the rows across: the first principal component (the "
                                  "direction in which the inputs vary most) or one of the table's columns.")
        self.y_axis_combo = named(QComboBox(), "scatterYCombo", "Scatter up",
                                  "What places the rows up: the second principal component or a column.")
        self.axis_label = QLabel("Show:")
        for combo in (self.x_axis_combo, self.y_axis_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.activated.connect(self._axes_chosen)
        toggles = QHBoxLayout()
        toggles.addWidget(self.show_test_box)
        toggles.addWidget(self.discretize_box)
        toggles.addWidget(self.axis_label)
        toggles.addWidget(self.x_axis_combo)
        toggles.addWidget(QLabel("×"))
        toggles.addWidget(self.y_axis_combo)
        toggles.addStretch(1)
        self._axis_widgets = [toggles.itemAt(i).widget() for i in range(2, 6)]
        for widget in self._axis_widgets:  # the plane first: tables show them
            widget.setVisible(False)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.boundary_box = QWidget()
        boundary_layout = QVBoxLayout(self.boundary_box)
        boundary_layout.setContentsMargins(0, 0, 0, 0)
        boundary_layout.addWidget(_Square(self.boundary_view), 1)
        boundary_layout.addLayout(toggles)
        top_layout.addWidget(self.boundary_box, 1)
        self.modality_panels: dict[str, QWidget] = {}
        for modality, factory in MODALITY_PANELS.items():
            panel = self.modality_panels[modality] = factory()
            panel.setVisible(False)
            top_layout.addWidget(panel, 1)

        self.loss_plot = LossPlot()
        self.log_box = named(QCheckBox("Log loss"), "logScaleCheck", "Log scale loss axis",
                             "Show the loss on a logarithmic axis, so small late improvements stay visible.")
        self.log_box.toggled.connect(self.logScaleToggled)
        self.epoch_view_combo = named(QComboBox(), "epochViewCombo", "Epoch axis",
                                      "Which epochs the curves show: the whole run, the whole run on a log "
                                      "axis (the early epochs, where most learning happens, get room), or "
                                      "only the newest fifth of the run.")
        for key, label in EPOCH_VIEWS.items():
            self.epoch_view_combo.addItem(label, key)
        self.epoch_view_combo.currentIndexChanged.connect(
            lambda i: self.epochViewChosen.emit(str(self.epoch_view_combo.itemData(i))))
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
        plot_options = QHBoxLayout()
        plot_options.setContentsMargins(0, 0, 0, 0)
        plot_options.addWidget(self.log_box)
        # the hovered epoch's figures, in the row the options leave free (the status bar shows them whole)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        plot_options.addWidget(self.readout, 1)
        plot_options.addWidget(self.epoch_view_combo)
        loss_column.addLayout(plot_options)

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
        # The curves keep real room on a short screen (at 1366x768 the loss got 55 px): the boundary
        # gives way first, down to its own minimum.
        plot_box.setMinimumHeight(PLOTS_MIN_HEIGHT)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("outputSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(plot_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        # The boundary is the star, but the curves need room too (at 1366x768 the loss plot was 55 px).
        self.splitter.setSizes([360, 290])
        layout.addWidget(self.splitter, 1)

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        # Two lines from the start (loss, then accuracy once the data is known): the figures must
        # not push the plots down when the first snapshot arrives.
        self.figures.ensurePolished()
        self.figures.setMinimumHeight(2 * self.figures.fontMetrics().lineSpacing() + 4)
        super().showEvent(event)

    def _axes_chosen(self, _index: int = 0) -> None:
        x_key, y_key = self.x_axis_combo.currentData(), self.y_axis_combo.currentData()
        if x_key and y_key:
            self.boundary_view.set_axes(str(x_key), str(y_key))

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text)
        self.readout.setToolTip(text)

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
        # plane-only toggles are hidden on a projection (a greyed tick there says something false)
        self.show_test_box.setVisible(planar)
        self.discretize_box.setVisible(planar)
        for widget in self._axis_widgets:
            widget.setVisible(not planar)
        choices = self.boundary_view.axis_choices()
        for combo, key in ((self.x_axis_combo, "pc1"), (self.y_axis_combo, "pc2")):
            combo.clear()
            for label, data in choices:
                combo.addItem(label, data)
            combo.setCurrentIndex(max(0, combo.findData(key)))
        self.show_test_box.setToolTip(
            "Also draw the held-out test points (dark outline) over the boundary." if planar else
            "The projection always shows the test rows (dark outline), so the ones the network gets "
            "wrong can be crossed out.")
        self.confusion_view.set_classes(class_names if classification else ())
        self.confusion_view.setFixedSize(self.confusion_view.size_for(tuple(class_names) or ("0", "1")))
        self.confusion_box.setVisible(classification)

    def show_modality(self, dataset) -> None:  # noqa: ANN001 - core.data.Dataset
        """The boundary, or the panel of the data's modality (sequences) in its place."""
        for modality, panel in self.modality_panels.items():
            panel.setVisible(modality == dataset.modality)
            if modality == dataset.modality:
                panel.set_dataset(dataset)
        self.boundary_box.setVisible(dataset.modality not in self.modality_panels)
        own_panel = dataset.modality in self.modality_panels
        # several plots above: they get most of the height, and the curves give way to 180 px
        self.splitter.widget(1).setMinimumHeight(180 if own_panel else PLOTS_MIN_HEIGHT)
        if own_panel:
            self.splitter.setSizes([620, 200])

    def show_views(self, snap) -> None:  # noqa: ANN001 - a Snapshot carrying probe views
        for panel in self.modality_panels.values():
            if panel.isVisible():
                panel.show_snapshot(snap)

    def clear_views(self) -> None:
        for panel in self.modality_panels.values():
            panel.clear()

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
