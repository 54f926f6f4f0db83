"""The left panel: which data, how noisy, how it is split and batched, and which input features.

It only asks: every change is a signal, and the window decides (reset + undo, or live). `set_spec`
shows a spec with signals blocked, so showing never echoes back as a user change.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget)
from superqt import QLabeledSlider

from app.look import texts
from app.look.icons import icon
from app.plots.thumbnails import dataset_icon, dataset_thumbnail
from app.look.widgets import Blocked, named, select_data
from core.data.sources import SOURCES
from core.data.images import image_shape
from core.spec import (BUNDLED_CLASSIFICATION, BUNDLED_REGRESSION, TOY_CLASSIFICATION, TOY_REGRESSION,
                       DataSource, Experiment, Feature)

SLIDER_SETTLE_MS = 250  # a slider drag becomes one change once it rests this long

TOY_ONLY_NOISE_TIP = ("Noise applies to the 2-D toy sets only: a real table keeps its own measurements. "
                      "Pick a 2-D data set to change it.")
TOY_ONLY_SAMPLES_TIP = ("The number of points applies to the 2-D toy sets only: a table uses all of its "
                        "rows. Pick a 2-D data set to change it.")
IMAGE_NOTE = ("Images feed their pixels to the network: its layers (convolution, pooling ...) learn "
              "the features. Add them with the layer type beside + in the network view.")
TABLE_NOTE = "Tabular sets use their own columns as inputs."
TOY_ONLY_FEATURE_TIP = ("Input features apply to the 2-D toy sets only: a table feeds its own columns to "
                        "the network. Pick a 2-D data set to choose features.")


def _section(title: str) -> QLabel:
    label = QLabel(title.upper())
    label.setObjectName("sectionTitle")
    return label


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("fieldCaption")
    label.setWordWrap(True)
    return label


# Sources read from the user's file or folder: the combo shows its name (with this suffix) once chosen.
_FILE_SOURCES = {DataSource.csv: "", DataSource.csv_series: " (series)", DataSource.image_folder: "/"}


class DataPanel(QFrame):
    """Data set, noise, split, batch size, regenerate, CSV, input features."""

    sourceChosen = Signal(object)          # DataSource (not csv)
    csvRequested = Signal()                # open the CSV dialog
    csvSeriesRequested = Signal()          # open the CSV dialog for one column as a time series
    imageFolderRequested = Signal()        # pick an image folder
    noiseChanged = Signal(float)           # 0..0.5 fraction
    trainFractionChanged = Signal(float)   # 0.1..0.9
    samplesChanged = Signal(int)
    batchSizeChanged = Signal(int)         # live
    regenerateRequested = Signal()
    featuresChanged = Signal(object)       # list[Feature]
    sequenceLengthChanged = Signal(int)    # data.sequence_length (sequence sources)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.setMinimumWidth(228)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)

        layout.addWidget(_section("Data"))
        layout.addWidget(_caption("Which data set do you want to use?"))
        grid = QGridLayout()
        grid.setSpacing(6)
        self.thumbnail_buttons: dict[DataSource, QToolButton] = {}
        for i, source in enumerate(TOY_CLASSIFICATION + TOY_REGRESSION):
            button = named(QToolButton(), f"dataset_{source.value}", SOURCES[source].label,
                           SOURCES[source].tip)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setIconSize(QSize(46, 46))
            button.setFixedSize(52, 52)
            button.clicked.connect(lambda _=False, s=source: self._choose(s))
            grid.addWidget(button, i // 4, i % 4)
            self.thumbnail_buttons[source] = button
        layout.addLayout(grid)

        self.dataset_combo = named(QComboBox(), "datasetCombo", "Data set",
                                   "The data the network learns from: a 2-D toy set, a bundled real "
                                   "table, or your own CSV file.")
        self.dataset_combo.setIconSize(QSize(18, 18))
        for source in TOY_CLASSIFICATION + TOY_REGRESSION + BUNDLED_CLASSIFICATION + BUNDLED_REGRESSION \
                + (DataSource.shapes, DataSource.image_folder, DataSource.sine, DataSource.memory,
                   DataSource.patterns, DataSource.csv_series, DataSource.csv):
            self.dataset_combo.addItem(SOURCES[source].label, source.value)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1, SOURCES[source].tip,
                                           Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.activated.connect(self._combo_chosen)
        layout.addWidget(self.dataset_combo)
        self.description = QLabel("")
        self.description.setObjectName("dataDescription")
        self.description.setWordWrap(True)
        self.description.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.description)

        layout.addSpacing(4)
        self.train_ratio_caption = _caption("Ratio of training to test data: 50 %")
        layout.addWidget(self.train_ratio_caption)
        self.train_ratio_slider = named(QLabeledSlider(Qt.Orientation.Horizontal), "trainRatioSlider",
                                        "Training data percentage", texts.TRAIN_RATIO_TIP)
        self.train_ratio_slider.setRange(10, 90)
        layout.addWidget(self.train_ratio_slider)

        self.noise_caption = _caption("Noise: 0")
        layout.addWidget(self.noise_caption)
        self.noise_slider = named(QLabeledSlider(Qt.Orientation.Horizontal), "noiseSlider", "Noise",
                                  texts.NOISE_TIP)
        self.noise_slider.setRange(0, 50)
        layout.addWidget(self.noise_slider)

        row = QHBoxLayout()
        row.setSpacing(8)
        left = QVBoxLayout()
        left.addWidget(_caption("Batch size"))
        self.batch_size_spin = named(QSpinBox(), "batchSizeSpin", "Batch size", texts.BATCH_TIP)
        self.batch_size_spin.setRange(1, 1_000_000)
        self.batch_size_spin.setKeyboardTracking(False)
        left.addWidget(self.batch_size_spin)
        right = QVBoxLayout()
        self.samples_caption = _caption("Points")
        right.addWidget(self.samples_caption)
        self.samples_spin = named(QSpinBox(), "samplesSpin", "Number of points", texts.SAMPLES_TIP)
        self.samples_spin.setRange(10, 100_000)
        self.samples_spin.setSingleStep(50)
        self.samples_spin.setKeyboardTracking(False)
        right.addWidget(self.samples_spin)
        row.addLayout(left)
        row.addLayout(right)
        layout.addLayout(row)
        self.sequence_length_caption = _caption("Sequence length (time steps)")
        layout.addWidget(self.sequence_length_caption)
        self.sequence_length_spin = named(QSpinBox(), "sequenceLengthSpin", "Sequence length",
                                          "Time steps in each sequence: the longer, the further back the "
                                          "network must remember (memory at 80: a plain RNN fails where an "
                                          "LSTM learns).")
        self.sequence_length_spin.setRange(2, 2000)
        self.sequence_length_spin.setKeyboardTracking(False)
        self.sequence_length_spin.valueChanged.connect(self.sequenceLengthChanged)
        layout.addWidget(self.sequence_length_spin)

        buttons = QHBoxLayout()
        self.regenerate_button = named(QPushButton("Regenerate"), "regenerateButton", "Regenerate data",
                                       texts.REGENERATE_TIP)
        self.regenerate_button.setIcon(icon("regenerate", 16, "#4a4f57"))
        self.csv_button = named(QPushButton("Open CSV…"), "csvButton", "Open a CSV file",
                                SOURCES[DataSource.csv].tip)
        buttons.addWidget(self.regenerate_button)
        buttons.addWidget(self.csv_button)
        layout.addLayout(buttons)
        self.regenerate_button.clicked.connect(self.regenerateRequested)
        self.csv_button.clicked.connect(self.csvRequested)

        layout.addSpacing(8)
        layout.addWidget(_section("Features"))
        self.features_caption = _caption("Which properties do you want to feed in?")
        layout.addWidget(self.features_caption)
        features = QGridLayout()
        features.setHorizontalSpacing(10)
        features.setVerticalSpacing(2)
        self.feature_boxes: dict[Feature, QCheckBox] = {}
        for i, feature in enumerate(Feature):
            box = named(QCheckBox(texts.FEATURE_LABELS[feature]), f"feature_{feature.name}",
                        f"Input feature {texts.FEATURE_LABELS[feature]}", texts.FEATURE_TIPS[feature])
            box.toggled.connect(self._features_toggled)
            features.addWidget(box, i // 2, i % 2)
            self.feature_boxes[feature] = box
        layout.addLayout(features)
        self.features_note = _caption("")
        layout.addWidget(self.features_note)
        layout.addStretch(1)

        # Sliders settle before they count, so a drag is one reset (and one undo step), not fifty.
        self._noise_timer = QTimer(self, singleShot=True, interval=SLIDER_SETTLE_MS)
        self._noise_timer.timeout.connect(lambda: self.noiseChanged.emit(self.noise_slider.value() / 100.0))
        self._ratio_timer = QTimer(self, singleShot=True, interval=SLIDER_SETTLE_MS)
        self._ratio_timer.timeout.connect(
            lambda: self.trainFractionChanged.emit(self.train_ratio_slider.value() / 100.0))
        self.noise_slider.valueChanged.connect(self._noise_moved)
        self.train_ratio_slider.valueChanged.connect(self._ratio_moved)
        self.batch_size_spin.valueChanged.connect(self.batchSizeChanged)
        self.samples_spin.valueChanged.connect(self.samplesChanged)
        self._thumbnails_loaded = False

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        # Room for four lines from the start: the text arrives with the data, after the first paint,
        # and must not push the controls below it down (measured once the style sheet's font applies).
        self.description.ensurePolished()
        self.description.setMinimumHeight(4 * self.description.fontMetrics().lineSpacing() + 2)
        super().showEvent(event)

    # --- thumbnails (after the first paint: they import core's generators) --------------------
    def load_thumbnails(self) -> None:
        if self._thumbnails_loaded:
            return
        self._thumbnails_loaded = True
        for source, button in self.thumbnail_buttons.items():
            button.setIcon(dataset_thumbnail(source, 46))
        for i in range(self.dataset_combo.count()):
            self.dataset_combo.setItemIcon(i, dataset_icon(DataSource(self.dataset_combo.itemData(i)), 18))

    # --- user changes --------------------------------------------------------------------------
    def _combo_chosen(self, index: int) -> None:
        if index >= 0:
            self._choose(DataSource(self.dataset_combo.itemData(index)))

    def _choose(self, source: DataSource) -> None:
        if source == DataSource.csv:
            self.csvRequested.emit()
        elif source == DataSource.csv_series:
            self.csvSeriesRequested.emit()
        elif source == DataSource.image_folder:
            self.imageFolderRequested.emit()
        else:
            self.sourceChosen.emit(source)

    def _noise_moved(self, value: int) -> None:
        self.noise_caption.setText(f"Noise: {value}")
        self._noise_timer.start()

    def _ratio_moved(self, value: int) -> None:
        self.train_ratio_caption.setText(f"Ratio of training to test data: {value} %")
        self._ratio_timer.start()

    def _features_toggled(self, _checked: bool) -> None:
        self.featuresChanged.emit(self.checked_features())

    def checked_features(self) -> list[Feature]:
        return [f for f, box in self.feature_boxes.items() if box.isChecked()]

    def flush(self) -> None:
        """Apply a slider still settling now (e.g. before saving or in tests)."""
        for timer in (self._noise_timer, self._ratio_timer):
            if timer.isActive():
                timer.stop()
                timer.timeout.emit()

    # --- showing a spec ------------------------------------------------------------------------
    def set_spec(self, spec: Experiment) -> None:
        self._noise_timer.stop()
        self._ratio_timer.stop()
        widgets = [self.dataset_combo, self.noise_slider, self.train_ratio_slider, self.batch_size_spin,
                   self.samples_spin, self.sequence_length_spin, *self.feature_boxes.values(), *self.thumbnail_buttons.values()]
        with Blocked(widgets):
            select_data(self.dataset_combo, spec.data.source)
            for source, suffix in _FILE_SOURCES.items():  # the file's (folder's) name, not "CSV file…"
                index, record = self.dataset_combo.findData(source.value), SOURCES[source]
                if spec.data.source == source and spec.data.path:
                    self.dataset_combo.setItemText(index, Path(str(spec.data.path)).name + suffix)
                    self.dataset_combo.setItemData(index, f"{spec.data.path}\n{record.tip}",
                                                   Qt.ItemDataRole.ToolTipRole)
                else:
                    self.dataset_combo.setItemText(index, record.label)
                    self.dataset_combo.setItemData(index, record.tip, Qt.ItemDataRole.ToolTipRole)
            for source, button in self.thumbnail_buttons.items():
                button.setChecked(source == spec.data.source)
            noise = int(round(spec.data.noise * 100))
            self.noise_slider.setValue(noise)
            self.noise_caption.setText(f"Noise: {noise}")
            ratio = int(round(spec.data.train_fraction * 100))
            self.train_ratio_slider.setValue(ratio)
            self.train_ratio_caption.setText(f"Ratio of training to test data: {ratio} %")
            self.batch_size_spin.setValue(spec.batch_size)
            self.samples_spin.setValue(spec.data.samples)
            sequence = SOURCES[spec.data.source].family.startswith("sequence")
            if sequence:
                from core.data.sequences import sequence_length

                self.sequence_length_spin.setValue(sequence_length(spec.data))
            chosen = set(spec.input_features)
            for feature, box in self.feature_boxes.items():
                box.setChecked(feature in chosen)
        self._enable_toy_controls(spec.data.is_toy, spec.data.source, image_shape(spec) is not None)
        self._show_sequence_controls(SOURCES[spec.data.source].family == "sequence",
                                     SOURCES[spec.data.source].family.startswith("sequence"))

    def _show_sequence_controls(self, generated: bool, sequence: bool) -> None:
        """Generated sequences have noise, a number of sequences and a length; a CSV series a length."""
        for widget in (self.noise_caption, self.noise_slider, self.samples_caption, self.samples_spin,
                       self.regenerate_button):
            if generated:
                widget.setVisible(True)
                widget.setEnabled(True)
        if generated:
            self.noise_slider.setToolTip(texts.NOISE_TIP)
            self.samples_spin.setToolTip("How many sequences to generate.")
        if generated:
            self.samples_caption.setText("Sequences")
        self.sequence_length_caption.setVisible(sequence)
        self.sequence_length_spin.setVisible(sequence)
        if sequence:
            self.features_note.setText("Sequences feed one value per time step.")

    def _enable_toy_controls(self, toy: bool, source: DataSource | None = None, image: bool = False) -> None:
        """Noise, points and 2-D features mean nothing for a table or bundled images: hide them and say
        why. Generated images (shapes) keep noise, their number and Regenerate."""
        generated = toy or source == DataSource.shapes
        tips = [(self.noise_slider, texts.NOISE_TIP, TOY_ONLY_NOISE_TIP),
                (self.samples_spin, texts.SAMPLES_TIP, TOY_ONLY_SAMPLES_TIP)]
        for widget, own_tip, why in tips:
            widget.setEnabled(generated)
            widget.setToolTip(own_tip if generated else why)
        for box, feature in ((box, f) for f, box in self.feature_boxes.items()):
            box.setEnabled(toy)
            box.setToolTip(texts.FEATURE_TIPS[feature] if toy else TOY_ONLY_FEATURE_TIP)
        for label in (self.noise_caption, self.samples_caption):
            label.setEnabled(generated)
        self.features_caption.setEnabled(toy)
        self.samples_caption.setText("Images" if source == DataSource.shapes else "Points")
        # Hidden, not only greyed: a ticked x1² or "Points 500" under a table says something false.
        for widget in (self.noise_caption, self.noise_slider, self.samples_caption, self.samples_spin,
                       self.regenerate_button):
            widget.setVisible(generated)
        for widget in (self.features_caption, *self.feature_boxes.values()):
            widget.setVisible(toy)
        self.features_note.setText("" if toy else (IMAGE_NOTE if image else TABLE_NOTE))
        self.features_note.setVisible(not toy)

    def set_description(self, text: str) -> None:
        self.description.setText(text)
