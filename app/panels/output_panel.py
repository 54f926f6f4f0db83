"""The right panel: loss figures, the decision boundary and its toggles, loss curves beside the
confusion matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from app.panels.autoencoder_views import AutoencoderViews
from app.plots.boundary_view import BoundaryView
from app.plots.confusion_view import ConfusionView
from app.plots.loss_plot import EPOCH_VIEWS, LossPlot
from app.look.widgets import named
from app.look.steady_label import SteadyLabel
from app.plots.class_bars import ClassBars
from core.registry import resolve


PLOTS_MIN_HEIGHT = 260

# Data modality -> the views shown in place of the decision boundary ("pkg.module:Class", made on first
# use). Such a widget has set_dataset(dataset), update_snapshot(snap), clear(), and may have a
# focusChosen(object) signal (the sample the per-sample pictures show).
MODALITY_VIEWS: dict[str, str] = {
    "image": "app.panels.image_views:ImageViews",
    "sequence": "app.plots.sequence.panel:SequencePanel",
}
# Such views may also have show_snapshot(snap) (probe pictures at VIEWS_HZ, app/frames.py),
# layerRequested(str) (add a layer of that type), and split_sizes (the splitter's sizes: views, curves)
# with plots_min_height when they need more room than the boundary.


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
    focusChosen = Signal(object)   # from a modality's views: a test row or a drawn input (live "focus")
    layerRequested = Signal(str)   # from a modality's views: add a layer of this type

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
        layout.addWidget(SteadyLabel(self.figures))  # new figures every snapshot relayout nothing

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
        self._plane = _Square(self.boundary_view)
        top_layout.addWidget(self._plane, 1)
        # One height for the plane's toggles and a table's axis combos (see showEvent): switching
        # between a plane and a table then moves nothing below (it re-laid out the curves, ~10 ms).
        toggles.setContentsMargins(0, 0, 0, 0)
        self._toggles_row = QWidget()
        self._toggles_row.setLayout(toggles)
        top_layout.addWidget(self._toggles_row)
        # task autoencoder: its latent space and reconstructions take the boundary's place
        self.autoencoder_views = AutoencoderViews()
        self.autoencoder_views.hide()
        top_layout.addWidget(self.autoencoder_views, 1)

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
        # per-class accuracy: one upright bar under each class's column, within the matrix's width
        self.class_accuracy = ClassBars("classAccuracy", "Accuracy per class",
                                        "The share of each class's test images the network gets right.",
                                        title="acc", columns=True)
        self.class_accuracy.setVisible(False)  # shown by the modalities that want it (images)
        confusion_column.addWidget(self.class_accuracy, 0, Qt.AlignmentFlag.AlignHCenter)
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
        self.top_stack = QStackedWidget()
        self.top_stack.setObjectName("outputTopStack")
        self.top_stack.addWidget(top)  # the boundary / projection; modality views are added on first use
        self.modality_views: dict[str, QWidget] = {}
        self.active_views: Any = None
        self.splitter.addWidget(self.top_stack)
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
        self._toggles_row.setMinimumHeight(max(w.sizeHint().height() for w in (self.show_test_box, self.x_axis_combo)))
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
        autoencoder = task == "autoencoder"
        if autoencoder and not self.autoencoder_views.isVisibleTo(self):  # the latent space gets the room
            self.splitter.setSizes([10_000, PLOTS_MIN_HEIGHT])
        self.autoencoder_views.setVisible(autoencoder)
        self._plane.setVisible(not autoencoder)
        for widget in (self.show_test_box, self.discretize_box, *self._axis_widgets):
            widget.setVisible(widget.isVisibleTo(self) and not autoencoder)
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

    def set_modality(self, dataset: Any) -> None:
        """Show the modality's own views in place of the boundary (MODALITY_VIEWS), or the boundary."""
        modality = getattr(dataset, "modality", "")
        # an autoencoder shows its latent space and reconstructions (page 0) whatever the modality
        ref = None if dataset.task == "autoencoder" else MODALITY_VIEWS.get(modality)
        if ref is None:
            self.active_views = None
            self.top_stack.setCurrentIndex(0)
        else:
            if modality not in self.modality_views:
                views = resolve(ref)()
                for name, relay in (("focusChosen", self.focusChosen), ("focusRequested", self.focusChosen),
                                    ("layerRequested", self.layerRequested)):
                    if hasattr(views, name):  # via a slot: signal-to-signal needs equal signatures
                        getattr(views, name).connect(relay.emit)
                self.modality_views[modality] = views
                self.top_stack.addWidget(views)
            self.active_views = self.modality_views[modality]
            self.active_views.set_dataset(dataset)
            self.top_stack.setCurrentWidget(self.active_views)
        sizes = getattr(self.active_views, "split_sizes", None)
        # several plots above need most of the height: the curves give way to plots_min_height
        self.splitter.widget(1).setMinimumHeight(getattr(self.active_views, "plots_min_height", PLOTS_MIN_HEIGHT))
        if sizes:
            self.splitter.setSizes(list(sizes))
        per_class = modality == "image" and dataset.task == "classification"
        names = tuple(dataset.class_names) if per_class else ()
        self.class_accuracy.set_classes(names)
        if names:  # under the matrix's columns (ConfusionView: cells right of the row names)
            n = len(names)
            size = self.confusion_view.size_for(names)
            left = self.confusion_view.label_width(names)
            self.class_accuracy.setFixedWidth(size.width())
            self.class_accuracy.set_rows(left, (size.width() - left - 4) / n)
        self.class_accuracy.setVisible(per_class)

    def update_views(self, snap) -> None:  # noqa: ANN001 - a grid snapshot
        """The modality's (or the autoencoder's) views and the per-class accuracy follow a grid snapshot."""
        if self.active_views is not None and hasattr(self.active_views, "update_snapshot"):
            self.active_views.update_snapshot(snap)
        if self.autoencoder_views.isVisibleTo(self):
            self.autoencoder_views.update_snapshot(snap)
        if self.class_accuracy.isVisibleTo(self) and snap.confusion is not None:
            counts = np.asarray(snap.confusion, np.float64)
            totals = counts.sum(axis=1)
            self.class_accuracy.set_values(np.divide(np.diag(counts), totals, out=np.full(len(totals), np.nan),
                                                     where=totals > 0))

    def show_views(self, snap) -> None:  # noqa: ANN001 - a Snapshot carrying probe views (app/frames.py)
        if self.active_views is not None and hasattr(self.active_views, "show_snapshot"):
            self.active_views.show_snapshot(snap)

    def clear_views(self) -> None:
        if self.active_views is not None:
            self.active_views.clear()
        self.class_accuracy.set_values(None)

    @property
    def modality_panels(self) -> dict[str, QWidget]:
        """The modality views made so far, by modality (made on first use of that modality)."""
        return self.modality_views

    def show_figures(self, snap) -> None:  # noqa: ANN001 - core.training.snapshot.Snapshot
        text = (f"Test loss <b>{_fmt(snap.test_loss)}</b> &nbsp; Training loss <b>{_fmt(snap.train_loss)}</b>")
        if snap.test_accuracy is not None:
            text += (f"<br>Test accuracy <b>{_fmt(snap.test_accuracy, True)}</b> &nbsp; "
                     f"Training accuracy <b>{_fmt(snap.train_accuracy, True)}</b>")
        self.figures.setText(text)
        # Tables have no boundary grid; their projection marks the test rows predicted wrong instead.
        if self.active_views is None:  # behind a modality's views the projection has nothing to ring
            self.boundary_view.update_predictions(snap)

    def clear_figures(self) -> None:
        self.figures.setText("Test loss <b>–</b> &nbsp; Training loss <b>–</b>")
