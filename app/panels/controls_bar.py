"""The top bar: run buttons, epoch counter and speed, and the training choices.

Every choice list comes from core.spec's enums. `set_spec` syncs the widgets with signals
blocked, so showing a spec never echoes back as a user change.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)
from superqt import QFlowLayout
from superqt.utils import signals_blocked

from app.look import texts
from app.look.icons import icon
from app.look.widgets import Blocked, caption_group, enum_combo, named, registry_combo, select_data
from app.panels.stop_conditions import StopConditions
from core.nn.activations import ACTIVATIONS
from core.nn.losses import LOSSES
from core.nn.optimizers import OPTIMIZERS
from core.nn.losses import AUTOENCODER_LOSSES
from core.spec import REGRESSION_LOSSES, Activation, Experiment, Loss, OptimizerName, RegularizationKind, Task


DEVICE_COMBO_CHARS = 5  # "cuda:0" nearly; longer entries are shown in full in the open list


class ControlsBar(QFrame):
    """Play/Pause, Step, Reset, the epoch counter, and every training choice."""

    playClicked = Signal()
    stepClicked = Signal()
    resetClicked = Signal()
    learningRateChanged = Signal(float)
    activationChosen = Signal(object)      # Activation
    lossChosen = Signal(object)            # Loss
    optimizerChosen = Signal(object)       # OptimizerName
    regularizationChosen = Signal(object)  # RegularizationKind
    regularizationRateChanged = Signal(float)
    scheduleChosen = Signal(object)        # ScheduleKind
    taskChosen = Signal(object)            # Task
    deviceChosen = Signal(str)
    speedChosen = Signal(float)            # epochs per second at most; 0 = as fast as possible
    lrFinderClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlsBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(10)

        self.reset_button = self._tool("resetButton", "Reset", texts.RESET_TIP, "reset", 34)
        self.play_button = self._tool("playButton", "Play", texts.PLAY_TIP, "play", 52)
        self.step_button = self._tool("stepButton", "Step one epoch", texts.STEP_TIP, "step", 34)
        self.play_button.setCheckable(True)
        self.reset_button.clicked.connect(self.resetClicked)
        self.play_button.clicked.connect(self._play_clicked)
        self.step_button.clicked.connect(self.stepClicked)
        for button in (self.reset_button, self.play_button, self.step_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)

        self.epoch_label = named(QLabel("000,000"), "epochLabel", "Epoch", texts.EPOCH_TIP)
        self.rate_label = named(QLabel("paused"), "stepsPerSecondLabel", "Training speed", texts.RATE_TIP)
        counter = QWidget()
        counter_layout = QVBoxLayout(counter)
        counter_layout.setContentsMargins(4, 0, 10, 0)
        counter_layout.setSpacing(0)
        caption = QLabel("EPOCH")
        caption.setObjectName("groupCaption")
        # The speed limit sits by the speed it limits (and next to Play), not among the choices; on the
        # caption's row, so the counter stays narrow and the choices fit one row at 1366 pixels.
        self.speed_combo = named(QComboBox(), "speedCombo", "Training speed limit", texts.SPEED_TIP)
        for label, rate in texts.SPEEDS:
            self.speed_combo.addItem(label, rate)
        self.speed_combo.activated.connect(lambda i: self.speedChosen.emit(float(self.speed_combo.itemData(i))))
        caption_row = QHBoxLayout()
        caption_row.setContentsMargins(0, 0, 0, 0)
        caption_row.setSpacing(6)
        caption_row.addWidget(caption, 0, Qt.AlignmentFlag.AlignBottom)
        caption_row.addStretch(1)
        caption_row.addWidget(self.speed_combo)
        counter_layout.addLayout(caption_row)
        counter_layout.addWidget(self.epoch_label)
        # When the run stops sits under the counter it stops, by the speed: the run's own controls stay
        # together and the choices keep one row at 1366 pixels.
        self.stop_conditions = StopConditions()
        rate_row = QHBoxLayout()
        rate_row.setContentsMargins(0, 0, 0, 0)
        rate_row.setSpacing(6)
        rate_row.addWidget(self.rate_label)
        rate_row.addStretch(1)
        rate_row.addWidget(self.stop_conditions)
        counter_layout.addLayout(rate_row)
        layout.addWidget(counter)

        self.learning_rate_combo = named(QComboBox(), "learningRateCombo", "Learning rate", texts.LR_TIP)
        for lr in texts.LEARNING_RATES:
            self.learning_rate_combo.addItem(texts.format_rate(lr), lr)
        self.learning_rate_combo.currentIndexChanged.connect(self._learning_rate_index)
        self.lr_finder_button = named(QToolButton(), "lrFinderButton", "Find a learning rate",
                                      "Sweep the learning rate on a copy of the network and suggest one "
                                      "(your network is not changed).")
        self.lr_finder_button.setText("Find…")
        self.lr_finder_button.clicked.connect(self.lrFinderClicked)
        self.activation_combo = registry_combo("activationCombo", "Activation (all layers)",
                                               texts.ACTIVATION_TIP, ACTIVATIONS, Activation)
        self.activation_combo.setPlaceholderText("Mixed")
        self.loss_combo = registry_combo("lossCombo", "Loss", texts.LOSS_TIP, LOSSES, Loss)
        self.optimizer_combo = registry_combo("optimizerCombo", "Optimizer", texts.OPTIMIZER_TIP, OPTIMIZERS,
                                              OptimizerName)
        self.regularization_combo = enum_combo("regularizationCombo", "Regularisation",
                                               texts.REGULARIZATION_TIP, texts.REGULARIZATION_LABELS)
        self.regularization_rate_combo = named(QComboBox(), "regularizationRateCombo",
                                                "Regularisation rate", texts.REG_RATE_TIP)
        for rate in texts.REG_RATES:
            self.regularization_rate_combo.addItem(texts.format_rate(rate), rate)
        self.regularization_rate_combo.currentIndexChanged.connect(self._regularization_rate_index)
        self.schedule_combo = enum_combo("scheduleCombo", "Learning-rate schedule", texts.SCHEDULE_TIP,
                                         texts.SCHEDULE_LABELS)
        self.task_combo = enum_combo("problemTypeCombo", "Problem type", texts.TASK_TIP, texts.TASK_LABELS)
        self.device_combo = named(QComboBox(), "deviceCombo", "Device", texts.DEVICE_TIP)
        self.device_combo.addItem("auto", "auto")
        # A fixed width: the device list fills in after the first paint ("cuda (unavailable)"), and a
        # combo that grew with it would wrap the bar and push the whole window down.
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(DEVICE_COMBO_CHARS)

        self._wire(self.activation_combo, self.activationChosen)
        self._wire(self.loss_combo, self.lossChosen)
        self._wire(self.optimizer_combo, self.optimizerChosen)
        self._wire(self.regularization_combo, self.regularizationChosen)
        self._wire(self.schedule_combo, self.scheduleChosen)
        self._wire(self.task_combo, self.taskChosen)
        self.device_combo.activated.connect(self._device_index)

        # The choices wrap onto a second row on narrow windows (one row from 1366 pixels wide) instead of
        # forcing a wide minimum.
        choices = QWidget()
        choices.setObjectName("controlChoices")
        flow = QFlowLayout(choices)
        flow.setContentsMargins(0, 0, 0, 0)
        flow.setSpacing(6)
        # The penalty and its rate share one caption: one row fits a 1366-pixel-wide window.
        for caption, *widgets in (("Learning rate", self.learning_rate_combo, self.lr_finder_button),
                                  ("Activation", self.activation_combo),
                                  ("Loss", self.loss_combo),
                                  ("Optimizer", self.optimizer_combo),
                                  ("Regularisation", self.regularization_combo,
                                   self.regularization_rate_combo),
                                  ("LR schedule", self.schedule_combo),
                                  ("Problem type", self.task_combo),
                                  ("Device", self.device_combo)):
            flow.addWidget(caption_group(caption, *widgets))
        layout.addWidget(choices, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.playing = False

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        # Counters change 30 times a second: fixed sizes keep each change from re-laying-out the bar.
        for label, widest in ((self.epoch_label, "000,000,000"),
                              (self.rate_label, "000,000 epochs/s")):
            label.ensurePolished()
            metrics = label.fontMetrics()
            label.setFixedSize(metrics.horizontalAdvance(widest) + 6, metrics.height() + 2)
        super().showEvent(event)

    def _tool(self, name: str, accessible: str, tip: str, icon_name: str, size: int) -> QToolButton:
        button = QToolButton()
        named(button, name, accessible, tip)
        button.setIcon(icon(icon_name, 24))
        button.setIconSize(QSize(size // 2 + 4, size // 2 + 4))
        button.setFixedSize(size, size)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # keep Space for play/pause
        return button

    @staticmethod
    def _wire(combo: QComboBox, signal) -> None:  # noqa: ANN001
        combo.activated.connect(lambda i: signal.emit(combo.enum_class(combo.itemData(i))))

    def _play_clicked(self, _checked: bool = False) -> None:
        self.playClicked.emit()

    def _learning_rate_index(self, index: int) -> None:
        if index >= 0:
            self.learningRateChanged.emit(float(self.learning_rate_combo.itemData(index)))

    def _regularization_rate_index(self, index: int) -> None:
        if index >= 0:
            self.regularizationRateChanged.emit(float(self.regularization_rate_combo.itemData(index)))

    def _device_index(self, index: int) -> None:
        if index >= 0:
            self.deviceChosen.emit(str(self.device_combo.itemData(index)))

    # --- showing state ---------------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        self.playing = bool(playing)
        with signals_blocked(self.play_button):
            self.play_button.setChecked(self.playing)
        self.play_button.setIcon(icon("pause" if self.playing else "play", 24))
        self.play_button.setAccessibleName("Pause" if self.playing else "Play")
        self.play_button.setToolTip(("Pause training (Space)." if self.playing else texts.PLAY_TIP))

    def set_epoch(self, epoch: int) -> None:
        self.epoch_label.setText(f"{epoch:07,d}" if epoch < 10**7 else f"{epoch:,d}")

    def set_rate_text(self, text: str, detail: str = "") -> None:
        """The window's one speed figure (app.panels.speed_readout), e.g. '1,000 epochs/s' or 'paused';
        `detail` (with steps/s) is its tooltip."""
        self.rate_label.setText(text)
        self.rate_label.setToolTip(f"{detail or text}. {texts.RATE_TIP}")

    def set_devices(self, rows: Iterable[tuple[str, bool, str]], current: str) -> None:
        """Fill the device combo: unavailable devices are listed, disabled, with the reason as tooltip."""
        combo = self.device_combo
        with signals_blocked(combo):
            combo.clear()
            model = combo.model()
            for name, available, reason in rows:
                combo.addItem(name, name)
                index = combo.count() - 1
                item = model.item(index)
                if not available:
                    item.setEnabled(False)
                    item.setToolTip(reason)
                    combo.setItemText(index, f"{name} (unavailable)")
                else:
                    item.setToolTip("Train on " + ("the best device found (GPU if any, else CPU)"
                                                   if name == "auto" else name))
            index = combo.findData(current)
            combo.setCurrentIndex(index if index >= 0 else 0)
        view = combo.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)  # the open list shows whole entries

    def set_speed(self, epochs_per_second: float) -> None:
        """Show a speed limit (0 = Max) without emitting speedChosen."""
        with signals_blocked(self.speed_combo):
            index = self.speed_combo.findData(float(epochs_per_second or 0.0))
            self.speed_combo.setCurrentIndex(max(0, index))

    def set_loss_choices(self, task: Task, n_classes: int) -> None:
        """Enable only the losses that fit the task: regression losses for values, cross-entropy for
        more than two classes."""
        model = self.loss_combo.model()
        for i in range(self.loss_combo.count()):
            loss = Loss(self.loss_combo.itemData(i))
            if task == Task.regression:
                ok = loss in REGRESSION_LOSSES
            elif task == Task.autoencoder:
                ok = loss in AUTOENCODER_LOSSES
            elif n_classes > 2:
                ok = loss == Loss.cross_entropy
            else:
                ok = True
            model.item(i).setEnabled(ok)

    def set_spec(self, spec: Experiment) -> None:
        """Show `spec` without emitting any change signals."""
        combos = (self.learning_rate_combo, self.activation_combo, self.loss_combo, self.optimizer_combo,
                  self.regularization_combo, self.regularization_rate_combo, self.schedule_combo,
                  self.task_combo, self.device_combo)
        with Blocked(combos):
            select_data(self.learning_rate_combo, float(spec.optimizer.lr))
            kinds = {layer.activation for layer in spec.layers if hasattr(layer, "activation")}
            if len(kinds) == 1:
                select_data(self.activation_combo, kinds.pop())
            else:
                self.activation_combo.setCurrentIndex(-1)
            select_data(self.loss_combo, spec.loss)
            select_data(self.optimizer_combo, spec.optimizer.name)
            select_data(self.regularization_combo, spec.regularization.kind)
            select_data(self.regularization_rate_combo, float(spec.regularization.rate))
            self.regularization_rate_combo.setEnabled(spec.regularization.kind != RegularizationKind.none)
            select_data(self.schedule_combo, spec.schedule.kind)
            select_data(self.task_combo, spec.task)
            index = self.device_combo.findData(spec.device)
            if index < 0:
                self.device_combo.addItem(spec.device, spec.device)
                index = self.device_combo.count() - 1
            self.device_combo.setCurrentIndex(index)
        self.stop_conditions.set_spec(spec)
