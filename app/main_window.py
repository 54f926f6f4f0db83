"""The playground window: data on the left, the network in the centre, the output on the right,
training controls on top. It edits one Experiment spec and hands it to a TrainingWorker.

Changes to the data, features, layers, loss or optimizer rebuild the network from fresh weights
and go through the undo stack; the learning rate, batch size and regularisation rate apply live
to the running trainer. Torch is imported only after the first paint, so the window shows fast.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app import texts
from app.controls_bar import ControlsBar
from app.data_loader import DataLoader
from app.data_panel import DataPanel
from app.help import ColourLegend, show_about
from app.message_bar import MessageBar
from app.network_view import NetworkView
from app.output_panel import OutputPanel
from app.settings import AppSettings
from app.speed_readout import SpeedReadout
from app.spec_edit import loss_for_classes, patched, value_at, with_consequences
from app.style import STYLESHEET
from app.undo import SpecChangeCommand
from app.window_files import WindowFilesMixin
from app.worker import TrainingWorker
from core.training.snapshot import RunState
from core.spec import DataSource, Experiment, LayerSpec, OptimizerName, RegularizationKind, SpecError, Task

# Redraw budgets while training: the counters follow every snapshot (<= 30/s); slower-moving views
# are refreshed less often, so the GUI thread leaves the interpreter to the trainer.
LOSS_PLOT_HZ = 3.0
NETWORK_HZ = 3.0
FIGURES_HZ = 10.0
CONFUSION_HZ = 4.0
DEFAULT_REG_RATE = 0.001
_DATA_KEYS = ("data", "features", "seed", "task")


class _FirstPaint(QObject):
    """Calls back once, right after the first paint of the watched widget."""

    def __init__(self, widget: QWidget, callback) -> None:  # noqa: ANN001
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)  # after this paint reaches the screen
        return False


class MainWindow(WindowFilesMixin, QMainWindow):
    """LayerLab's one window. `MainWindow(settings=None, restore=False)` never touches user settings,
    and autosaves only when given `autosave=True` (the $LAYERLAB_DATA_DIR folder) or an AutosaveStore."""

    specChanged = Signal(object)      # the Experiment now shown (after any change)
    snapshotShown = Signal(object)    # a Snapshot that has just been drawn
    messageShown = Signal(str, str)   # text, level
    firstPainted = Signal(float)      # perf_counter() at the first paint

    def __init__(self, settings: AppSettings | Any = None, restore: bool = True, spec: Experiment | None = None,
                 worker: TrainingWorker | None = None, autosave: Any = None) -> None:
        super().__init__()
        self.settings = settings if isinstance(settings, AppSettings) else AppSettings(settings)
        self.spec: Experiment = spec or (self.settings.last_experiment() if restore else None) or Experiment()
        self.dataset = None
        self._init_files()
        self.playing = False
        self.run_state: RunState = RunState.idle
        self.epoch = 0
        self.last_message = ""
        self.messages: list[tuple[str, str]] = []
        self.redraw_count = 0
        self.first_paint_time: float | None = None
        self.started = False
        self._latest = None
        self._pending_grid = None
        self._network_grid = None
        self._frame_pending = False
        self._hovered: tuple[str, int, int] | None = None
        self._legend: ColourLegend | None = None
        self._guide = None
        self._split_chosen = False  # the main splitter's sizes came from settings or the first show
        self._devices_listed = False
        self._last_drawn = {"loss": 0.0, "network": 0.0, "confusion": 0.0, "figures": 0.0}
        self._source_for_task = {Task.classification: DataSource.spiral, Task.regression: DataSource.plane}

        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLESHEET)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.worker = worker or TrainingWorker(self)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.runStarted.connect(self._on_run_started)
        self.worker.runEnded.connect(self._on_run_ended)
        self.worker.runFailed.connect(self._on_run_failed)
        self.worker.runNotice.connect(self._on_run_notice)
        self.worker.runProgress.connect(self._on_run_progress)
        self._notice = ""  # a run notice still in the status bar, cleared by the run's first epochs
        self._progress = ""  # the start-up phase shown in the status bar, replaced by the first snapshot
        self.speed = SpeedReadout()  # the one steps/s figure both bars show
        self.data_loader = DataLoader(self)
        self.data_loader.loaded.connect(self._on_data_loaded)
        self._load_tag = 0          # the latest background load; older results are dropped
        self.loading: str = ""      # what is loading now ('' when nothing)
        self._pending_change: tuple[str, dict[str, Any]] = ("", {})

        self._build_ui()
        self._build_menus()
        self._update_title()
        self.controls.set_spec(self.spec)
        self.data_panel.set_spec(self.spec)
        self._show_structure_from_spec()
        if restore:
            self._restore_window_state()
        else:
            self.resize(1440, 880)
        self.statusBar().showMessage("Loading PyTorch…")
        self._frame_timer = QTimer(self, singleShot=True, interval=0)
        self._frame_timer.timeout.connect(self._redraw)
        _FirstPaint(self.controls, self._on_first_paint)
        self._setup_autosave(autosave)

    # ================================================================ building the window
    def _build_ui(self) -> None:
        self.controls = ControlsBar()
        self.message_bar = MessageBar()
        self.data_panel = DataPanel()
        self.network_view = NetworkView()
        self.output_panel = OutputPanel()
        self.boundary_view = self.output_panel.boundary_view
        self.loss_plot = self.output_panel.loss_plot
        self.confusion_view = self.output_panel.confusion_view

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(8)
        self.splitter.addWidget(self.data_panel)
        self.splitter.addWidget(self.network_view)
        self.splitter.addWidget(self.output_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([250, 760, 430])

        central = QWidget()
        central.setObjectName("centralArea")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.controls)
        layout.addWidget(self.message_bar)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(10, 10, 10, 6)
        body_layout.addWidget(self.splitter)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)

        self.engine_notice = ""  # why the torch engine runs, as last shown ("" on the fused engine)
        self.device_status = QLabel("Device: –")
        self.device_status.setObjectName("deviceStatus")
        self.epoch_status = QLabel("Epoch 0")
        self.epoch_status.setObjectName("epochStatus")
        self.rate_status = QLabel("")
        self.rate_status.setObjectName("rateStatus")
        for label, widest in ((self.device_status, "Device: cuda:0 · fused"),
                              (self.epoch_status, "Epoch 0,000,000,000"),
                              (self.rate_status, "0,000,000 steps/s · 000,000 epochs/s")):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 20)
            label.setFixedHeight(label.fontMetrics().height() + 4)
            label.setMaximumWidth(label.minimumWidth())
            self.statusBar().addPermanentWidget(label)

        c = self.controls
        c.playClicked.connect(self.toggle_play)
        c.stepClicked.connect(self.step)
        c.resetClicked.connect(self.reset)
        c.learningRateChanged.connect(self.set_learning_rate)
        c.regularizationRateChanged.connect(self.set_regularization_rate)
        c.activationChosen.connect(self._activation_for_all)
        c.lossChosen.connect(self._loss_chosen)
        c.optimizerChosen.connect(self._optimizer_chosen)
        c.regularizationChosen.connect(self._regularization_chosen)
        c.scheduleChosen.connect(self._schedule_chosen)
        c.taskChosen.connect(self._task_chosen)
        c.deviceChosen.connect(self._device_chosen)
        c.speedChosen.connect(self.set_speed_limit)

        d = self.data_panel
        d.sourceChosen.connect(self._source_chosen)
        d.csvRequested.connect(self.open_csv_dialog)
        d.noiseChanged.connect(self._noise_chosen)
        d.trainFractionChanged.connect(self._train_fraction_chosen)
        d.samplesChanged.connect(self._samples_chosen)
        d.batchSizeChanged.connect(self.set_batch_size)
        d.regenerateRequested.connect(self.regenerate)
        d.featuresChanged.connect(self._features_chosen)

        n = self.network_view
        n.addLayerRequested.connect(self.add_layer)
        n.removeLayerRequested.connect(self.remove_layer)
        n.unitsChanged.connect(self._units_changed)
        n.activationChanged.connect(self._layer_activation_changed)
        n.layerOptionsChanged.connect(self._layer_options_changed)
        n.weightEdited.connect(self._weight_edited)
        n.neuronHovered.connect(self._neuron_hovered)
        n.neuronUnhovered.connect(self._neuron_unhovered)

        o = self.output_panel
        o.showTestToggled.connect(self._set_show_test)
        o.discretizeToggled.connect(self._set_discretize)
        o.logScaleToggled.connect(self._set_log_scale)
        o.epochViewChosen.connect(self._set_epoch_view)
        self.loss_plot.hoveredEpoch.connect(self._show_hovered_epoch)

    def _action(self, text: str, slot, shortcuts=(), tip: str = "", checkable: bool = False,  # noqa: ANN001
                name: str = "") -> QAction:
        action = QAction(text, self)
        if name:
            action.setObjectName(name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even where the menu bar is hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._build_file_menu(bar)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence.StandardKey.Undo])
        self.undo_action.setObjectName("undoAction")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.redo_action.setObjectName("redoAction")
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            edit_menu.addAction(action)
        self._add_copy_view(edit_menu)

        train_menu = bar.addMenu("&Train")
        self.play_action = self._action("&Play / Pause", self.toggle_play, ["Space"], texts.PLAY_TIP,
                                        name="playAction")
        self.step_action = self._action("&Step one epoch", self.step, ["S", "Right"], texts.STEP_TIP,
                                        name="stepAction")
        self.reset_action = self._action("&Reset", self.reset, ["R"], texts.RESET_TIP, name="resetAction")
        for action in (self.play_action, self.step_action, self.reset_action):
            train_menu.addAction(action)

        view_menu = bar.addMenu("&View")
        self.show_test_action = self._action("Show &test data", self.output_panel.show_test_box.setChecked,
                                             checkable=True, name="showTestAction",
                                             tip="Draw the held-out test points over the boundary.")
        self.discretize_action = self._action("&Discretize output", self.output_panel.discretize_box.setChecked,
                                              checkable=True, name="discretizeAction",
                                              tip="Show only the predicted class, without confidence shading.")
        self.log_scale_action = self._action("&Log-scale loss", self.output_panel.log_box.setChecked,
                                             checkable=True, name="logScaleAction",
                                             tip="Show the loss on a logarithmic axis.")
        self.output_panel.show_test_box.toggled.connect(self.show_test_action.setChecked)
        self.output_panel.discretize_box.toggled.connect(self.discretize_action.setChecked)
        self.output_panel.log_box.toggled.connect(self.log_scale_action.setChecked)
        for action in (self.show_test_action, self.discretize_action, self.log_scale_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        self.data_panel_action = self._action("Data &panel", self.data_panel.setVisible, checkable=True,
                                              name="dataPanelAction", tip="Show or hide the data panel.")
        self.data_panel_action.setChecked(True)
        view_menu.addAction(self.data_panel_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Guide: concepts, keys, engines", self.show_guide, ["F1"],
                                         "What the words in the window mean, the keyboard shortcuts and "
                                         "the two training engines.", name="guideAction"))
        help_menu.addAction(self._action("What the &colours mean", self.show_colour_legend, ["Shift+F1"],
                                         "Explain the colours of the boundary, neurons and links.",
                                         name="legendAction"))
        help_menu.addAction(self._action("&About LayerLab", self.show_about, name="aboutAction"))

    # ================================================================ start-up
    def _on_first_paint(self) -> None:
        self.first_paint_time = time.perf_counter()
        self.firstPainted.emit(self.first_paint_time)
        QTimer.singleShot(0, self.ensure_started)

    def ensure_started(self) -> None:
        """Start the paused trainer; the run thread imports torch and loads the data, so the window
        stays responsive. Runs once, after the first paint in the app, or directly from tests."""
        if self.started:
            return
        self.started = True
        self.data_panel.load_thumbnails()
        self._restart(False)

    def _fill_devices(self) -> None:
        try:
            from core.engines.device import available_devices

            rows = available_devices()
        except Exception as err:  # noqa: BLE001 - the combo keeps "auto"
            rows = [("auto", True, ""), ("cpu", True, "")]
            self.show_message(f"Could not list devices ({err}); using auto.", "warning")
        self.controls.set_devices(rows, self.spec.device)

    # ================================================================ spec changes
    def request_change(self, text: str, changes: dict[str, Any]) -> bool:
        """Apply a change that resets the weights, as one undoable step. False (with a message, the
        current experiment untouched) if the change is invalid or its data cannot be loaded."""
        if not self.started:
            self.ensure_started()
        changes = with_consequences(self.spec, changes)
        self._load_tag += 1  # a newer choice wins over a load still in flight
        self.loading = ""
        try:
            new_spec = patched(self.spec, changes)
            if self._data_changes(new_spec) and self.data_loader.wants_background(new_spec) \
                    and self.data_loader.cached(new_spec) is None:
                # a bundled set imports scikit-learn: load it off the GUI thread, apply on arrival
                self.loading = text
                self.statusBar().showMessage(f"Loading {new_spec.data.source.value}…")
                self.data_loader.load(new_spec, self._load_tag)
                self._pending_change = (text, changes)
                return True
            new_spec, dataset, changes = self._prepare(changes)
        except Exception as err:  # noqa: BLE001 - SpecError, DataError, anything from a file
            self.show_message(f"{text}: {err}", "error")
            self._sync_controls()
            return False
        return self._push_change(text, changes, new_spec, dataset)

    def _push_change(self, text: str, changes: dict[str, Any], new_spec: Experiment, dataset: Any) -> bool:
        if new_spec == self.spec:
            self._sync_controls()
            return False
        old = {key: value_at(self.spec, key) for key in changes}
        self.undo_stack.push(SpecChangeCommand(text, old, changes, self._apply_changes,
                                               prepared=(new_spec, dataset)))
        return True

    def _on_data_loaded(self, tag: int, spec: Experiment, dataset: Any, error: Any) -> None:
        """A background load is back (GUI thread): apply the change it was for, if still wanted."""
        if tag != self._load_tag or not self.loading:
            return  # the user chose something else meanwhile
        text, changes = self._pending_change
        self.loading = ""
        self.statusBar().clearMessage()
        if error is not None:
            self.show_message(f"{text}: {error}", "error")
            self._sync_controls()
            return
        self.data_loader.remember(spec, dataset)
        try:
            new_spec, dataset, changes = self._prepare(changes)
        except Exception as err:  # noqa: BLE001 - e.g. the spec changed meanwhile and no longer fits
            self.show_message(f"{text}: {err}", "error")
            self._sync_controls()
            return
        self._push_change(text, changes, new_spec, dataset)

    def _data_changes(self, new_spec: Experiment) -> bool:
        return self.dataset is None or any(value_at(new_spec, k) != value_at(self.spec, k) for k in _DATA_KEYS)

    def _prepare(self, changes: dict[str, Any]) -> tuple[Experiment, Any, dict[str, Any]]:
        """The new spec and its dataset (loaded only when the data changed); may add a loss fix."""
        new_spec = patched(self.spec, changes)
        dataset = self.dataset
        if self._data_changes(new_spec):
            dataset = self.data_loader.load_now(new_spec)
        fix = loss_for_classes(new_spec, dataset.n_classes)
        if fix is not None:
            changes = {**changes, "loss": fix.value}
            new_spec = patched(self.spec, changes)
        return new_spec, dataset, changes

    def _apply_changes(self, changes: dict[str, Any], prepared: Any) -> bool:
        """Undo-stack callback: install the spec with these keys set, from fresh weights."""
        if prepared is None:
            try:
                new_spec, dataset, _ = self._prepare(dict(changes))
            except Exception as err:  # noqa: BLE001 - e.g. the CSV was deleted since
                self.show_message(f"Could not restore that state: {err}", "error")
                return False
        else:
            new_spec, dataset = prepared
        self._install(new_spec, dataset)
        return True

    def _install(self, spec: Experiment, dataset: Any) -> None:
        """Show `spec` everywhere and restart training from fresh weights (keeping play/pause)."""
        self._show(spec, dataset)
        self._restart(self.playing)

    def _show(self, spec: Experiment, dataset: Any) -> None:
        """Point every view at `spec` and its `dataset` (no training change)."""
        data_changed = dataset is not self.dataset
        self.spec = spec
        self.dataset = dataset
        if spec.data.source != DataSource.csv and spec.data.is_toy:
            self._source_for_task[spec.task] = spec.data.source
        if data_changed:
            self.boundary_view.set_dataset(dataset)
            self.output_panel.set_task(dataset.task, tuple(dataset.class_names))
            rows = len(dataset)
            self.data_panel.set_description(
                f"{dataset.description or spec.data.source.value} · {rows:,} rows "
                f"({len(dataset.x_train):,} train / {len(dataset.x_test):,} test)")
        self.controls.set_loss_choices(spec.task, dataset.n_classes)
        self.network_view.set_structure(list(spec.layers), list(dataset.input_names), dataset.n_outputs,
                                        bool(dataset.is_planar), regression=dataset.task == "regression",
                                        output_names=list(dataset.class_names))
        self._sync_controls()
        self.specChanged.emit(spec)
        self._autosave_changed()

    def _sync_controls(self) -> None:
        self.controls.set_spec(self.spec)
        self.data_panel.set_spec(self.spec)

    def _show_structure_from_spec(self) -> None:
        """Before the data is loaded: draw the network from the spec alone."""
        names = [f.value for f in self.spec.input_features] if self.spec.data.is_toy else ["inputs"]
        self.network_view.set_structure(list(self.spec.layers), names, 1, self.spec.data.is_toy,
                                        regression=self.spec.task == Task.regression)

    def load_spec(self, spec: Experiment, path: str | None = None, trainer: Any = None) -> bool:
        """Replace the whole experiment (File ▸ New / Open); clears undo history. With `trainer`
        (restored from a checkpoint) training resumes from its weights, epoch and history."""
        if trainer is not None:
            dataset = trainer.dataset
        else:
            from core.data import load_dataset

            try:
                dataset = load_dataset(spec)
            except Exception as err:  # noqa: BLE001 - bad data in a file: keep the current experiment
                self.show_message(f"Could not load the data of {path or 'that experiment'}: {err}", "error")
                return False
        if not self.started:
            self.data_panel.load_thumbnails()
        self.started = True
        self.current_path = path
        self.checkpoint_path = None
        self.playing = False
        self.undo_stack.clear()
        if trainer is None:
            self._install(spec, dataset)
        else:
            history, epoch = list(trainer.history), int(trainer.epoch)  # read before the run thread owns it
            self._show(spec, dataset)
            self._restart(False, trainer)
            self.loss_plot.append(history)
            self.loss_plot.refresh()
            self.epoch = epoch
            self.controls.set_epoch(epoch)
            self.epoch_status.setText(f"Epoch {epoch:,}")
        self.undo_stack.setClean()
        self._update_title()
        return True

    # --- handlers that turn a widget signal into a spec change -----------------------------------
    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _loss_chosen(self, loss: Any) -> None:
        self.request_change("Change loss", {"loss": loss.value})

    def _schedule_chosen(self, kind: Any) -> None:
        self.request_change("Change LR schedule", {"schedule.kind": kind.value})

    def _device_chosen(self, name: str) -> None:
        self.request_change("Change device", {"device": name})

    def _source_chosen(self, source: DataSource) -> None:
        self.request_change("Change data set", {"data.source": source.value})

    def _noise_chosen(self, noise: float) -> None:
        self.request_change("Change noise", {"data.noise": round(noise, 4)})

    def _train_fraction_chosen(self, fraction: float) -> None:
        self.request_change("Change train ratio", {"data.train_fraction": round(fraction, 4)})

    def _samples_chosen(self, samples: int) -> None:
        self.request_change("Change number of points", {"data.samples": int(samples)})

    def regenerate(self) -> bool:
        """New random points (and initial weights): the next seed."""
        return self.request_change("Regenerate data", {"seed": (self.spec.seed + 1) % (2**31 - 1)})

    def _layers_json(self) -> list[dict[str, Any]]:
        return [layer.model_dump(mode="json") for layer in self.spec.layers]

    def add_layer(self) -> bool:
        layers = self._layers_json()
        template = layers[-1] if layers else LayerSpec().model_dump(mode="json")
        layers.append({**template, "dropout": 0.0, "norm": "none"})
        return self.request_change("Add layer", {"layers": layers})

    def remove_layer(self) -> bool:
        layers = self._layers_json()
        if not layers:
            return False
        return self.request_change("Remove layer", {"layers": layers[:-1]})

    def _units_changed(self, layer: int, units: int) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer]["units"] = max(1, min(4096, int(units)))
            self.request_change("Change neurons", {"layers": layers})

    def _layer_activation_changed(self, layer: int, name: str) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer]["activation"] = name
            self.request_change("Change activation", {"layers": layers})

    def _layer_options_changed(self, layer: int, dropout: float, norm: str) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer].update(dropout=float(dropout), norm=norm)
            self.request_change("Change layer options", {"layers": layers})

    def _activation_for_all(self, activation: Any) -> None:
        layers = [{**layer, "activation": activation.value} for layer in self._layers_json()]
        self.request_change("Change activation", {"layers": layers})

    def _optimizer_chosen(self, name: OptimizerName) -> None:
        changes: dict[str, Any] = {"optimizer.name": name.value}
        if self.spec.optimizer.nesterov and name != OptimizerName.sgd:
            changes["optimizer.nesterov"] = False
        self.request_change("Change optimizer", changes)

    def _regularization_chosen(self, kind: RegularizationKind) -> None:
        changes: dict[str, Any] = {"regularization.kind": kind.value}
        if kind != RegularizationKind.none and self.spec.regularization.rate == 0:
            changes["regularization.rate"] = DEFAULT_REG_RATE  # a penalty of 0 would do nothing
        self.request_change("Change regularisation", changes)

    def _task_chosen(self, task: Task) -> None:
        if self.spec.data.source == DataSource.csv:
            self.request_change("Change problem type", {"task": task.value})
        elif task != self.spec.task:
            self.request_change("Change problem type", {"data.source": self._source_for_task[task].value})

    def _features_chosen(self, features: list) -> None:
        if not features:
            self.show_message("Keep at least one input feature: the network needs something to look at.",
                              "warning")
            self.data_panel.set_spec(self.spec)
            return
        self.request_change("Change features", {"features": [f.value for f in features]})

    def load_csv(self, path: str, target: str, columns: list[str] | None = None,
                 task: Task = Task.classification) -> bool:
        """Use a CSV file as the data; on any problem, a message and the previous data stays."""
        return self.request_change("Open CSV", {"data.source": DataSource.csv.value, "data.path": str(path),
                                                "data.target": target, "data.columns": columns or None,
                                                "task": Task(task).value, "features": None})

    def open_csv_dialog(self) -> None:
        from app.csv_dialog import CsvDialog

        start = self.spec.data.path if self.spec.data.source == DataSource.csv else None
        dialog = CsvDialog(self, start)
        if not start:
            dialog.choose_file()
            if not dialog.path_edit.text():
                self.data_panel.set_spec(self.spec)
                return
        if dialog.exec() == CsvDialog.DialogCode.Accepted and (choice := dialog.choice()) is not None:
            self.load_csv(choice.path, choice.target, choice.columns, choice.task)
        else:
            self.data_panel.set_spec(self.spec)

    # --- live settings (no reset, no undo) -------------------------------------------------------
    def _set_live(self, key: str, value: Any) -> bool:
        try:
            self.spec = patched(self.spec, {key: value})
        except SpecError as err:
            self.show_message(str(err), "error")
            self._sync_controls()
            return False
        self.setWindowModified(True)
        self._autosave_changed()
        self.controls.set_spec(self.spec)  # a change made from code or a shortcut shows in the bar
        return True

    def set_learning_rate(self, lr: float) -> None:
        if self._set_live("optimizer.lr", float(lr)):
            self.worker.set_learning_rate(float(lr))

    def set_batch_size(self, n: int) -> None:
        if self._set_live("batch_size", int(n)):
            self.worker.set_batch_size(int(n))

    def set_regularization_rate(self, rate: float) -> None:
        if self._set_live("regularization.rate", float(rate)):
            self.worker.set_regularization_rate(float(rate))

    def set_speed_limit(self, epochs_per_second: float) -> None:
        """At most this many epochs a second (0: as fast as possible); a view setting, not the experiment's."""
        rate = max(0.0, float(epochs_per_second))
        self.worker.set_speed_limit(rate or None)
        self.controls.set_speed(rate)
        self.settings.set_text("speed_limit", f"{rate:g}")

    def _weight_edited(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        self.worker.set_weight(layer, out_index, in_index, value)
        self.statusBar().showMessage(f"Weight set to {value:g}; training continues from it.", 4000)

    # ================================================================ running
    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if not self.started:
            self.ensure_started()
        self.playing = True
        self.controls.set_playing(True)
        if self.statusBar().currentMessage().startswith("Ready: press Play"):
            self.statusBar().clearMessage()  # done as it said
        self.worker.play()
        if not self.worker.running and self.dataset is not None:
            self._restart(True)

    def pause(self) -> None:
        self.playing = False
        self.controls.set_playing(False)
        self.worker.pause()

    def step(self) -> None:
        """Train exactly one more epoch, then stay paused."""
        if not self.started:
            self.ensure_started()
        if self.playing:
            self.pause()
        self.worker.step(1)

    def reset(self) -> None:
        """Fresh random weights at epoch 0, paused (the spec is unchanged)."""
        if self.dataset is None:
            return
        self.playing = False
        self._restart(False)
        self.statusBar().showMessage("Reset: fresh weights at epoch 0.", 3000)

    def _restart(self, playing: bool, trainer: Any = None) -> None:
        self.worker.start(self.spec, self.dataset, playing=playing, trainer=trainer)
        self.playing = playing
        self.controls.set_playing(playing)
        self._restart_views()

    def _restart_views(self) -> None:
        """Epoch 0, empty curves, no boundary yet: what a fresh run looks like."""
        self._latest = None
        self._pending_grid = None
        self._network_grid = None
        self.epoch = 0
        self.run_state = RunState.running if self.playing else RunState.paused
        self.controls.set_epoch(0)
        self.epoch_status.setText("Epoch 0")
        self.speed.reset()
        self._show_speed()
        self.loss_plot.reset()
        self.boundary_view.clear_boundary()
        self.network_view.clear_snapshot()
        self.output_panel.clear_figures()
        if self.dataset is not None:
            self.confusion_view.set_classes(tuple(self.dataset.class_names) if self.dataset.task == "classification"
                                            else ())

    def _on_run_progress(self, text: str) -> None:
        self._progress = text
        if not self._notice:  # a slow-compile notice says more; keep it
            self.statusBar().showMessage(text)

    def _on_run_notice(self, text: str) -> None:
        self._notice = text
        self.show_message(text, "info")

    def _on_snapshot(self, snap: Any) -> None:
        """Queued from the worker: keep the history, remember the latest, draw on the next frame."""
        if self._notice and snap.history:  # the notice said why nothing moved; now it moves
            if self.statusBar().currentMessage() == self._notice:
                self.statusBar().clearMessage()
            self._notice = ""
        if self._progress:  # the run is ready: the start-up phases are over
            if self.statusBar().currentMessage() in (self._progress, "Loading PyTorch…"):
                if self.playing:
                    self.statusBar().clearMessage()
                else:
                    self.statusBar().showMessage("Ready: press Play (Space) to train.", 5000)
            self._progress = ""
        self.loss_plot.append(snap.history)
        self.speed.observe(snap.epoch, snap.step, snap.state == RunState.running)
        self._autosave_changed(snap)
        if snap.boundary is not None or snap.test_predictions is not None:
            self._pending_grid = snap
        self._latest = snap
        if snap.state == RunState.diverged:
            self._diverged(snap)
        elif snap.state == RunState.failed:
            self._on_run_failed(snap.message or "Training failed.")
        elif snap.message:
            self.show_message(snap.message, "warning")
        if not self._frame_pending:
            self._frame_pending = True
            self._frame_timer.start()

    def _redraw(self) -> None:
        """Draw the latest snapshot. Cheap parts (counters, figures) every frame; the costly views
        at their own bounded rates, and only when they have something new."""
        self._frame_pending = False
        snap = self._latest
        if snap is None:
            return
        now = time.perf_counter()
        settled = snap.state != RunState.running  # paused, stepped, diverged: show everything now
        self.epoch = snap.epoch
        self.run_state = snap.state
        self.controls.set_epoch(snap.epoch)
        self.epoch_status.setText(f"Epoch {snap.epoch:,}")
        self._show_speed()
        if settled or now - self._last_drawn["figures"] >= 1.0 / FIGURES_HZ:
            self.output_panel.show_figures(snap)
            self._last_drawn["figures"] = now
        if settled or now - self._last_drawn["loss"] >= 1.0 / LOSS_PLOT_HZ:
            if self.loss_plot.refresh():
                self._last_drawn["loss"] = now
        grid = self._pending_grid
        if grid is not None:
            self._pending_grid = None
            self._network_grid = grid
            self.boundary_view.update_snapshot(grid)
        if settled or now - self._last_drawn["network"] >= 1.0 / NETWORK_HZ:
            # the newest grid (thumbnails) first; then the newest weights (links) if newer
            if self._network_grid is not None:
                self.network_view.update_snapshot(self._network_grid)
            if self._network_grid is not snap:
                self.network_view.update_snapshot(snap)
            self._network_grid = None
            self._last_drawn["network"] = now
        if settled or now - self._last_drawn["confusion"] >= 1.0 / CONFUSION_HZ:
            self.confusion_view.set_matrix(snap.confusion)
            self._last_drawn["confusion"] = now
        self.redraw_count += 1
        self.snapshotShown.emit(snap)

    def _show_speed(self) -> None:
        text = self.speed.text
        self.controls.set_rate_text(self.speed.short_text, text)
        self.rate_status.setText(text)

    def _diverged(self, snap: Any) -> None:
        self.playing = False
        self.controls.set_playing(False)
        lower = max(self.spec.optimizer.lr / 10, 1e-5)
        self.show_message(f"Training paused: it diverged. {snap.message} "
                          f"Lower the learning rate (try {texts.format_rate(lower)}) and press Play to go on, "
                          "or Reset to start again.", "error")

    def _on_run_started(self, info: dict) -> None:
        dataset = info.get("dataset")
        if self.dataset is None and dataset is not None:  # start-up: the run thread loaded it
            self._show(self.spec, dataset)
            self._restart_views()
        if not self._devices_listed:
            self._devices_listed = True
            self._fill_devices()
        device = info.get("device", "?")
        engine = info.get("engine", "")
        self.device_status.setText(f"Device: {device}" + (f" · {engine}" if engine else ""))
        notice = info.get("engine_notice") or ""
        self.device_status.setToolTip(notice or (f"Training on the {engine} engine." if engine else ""))
        note = info.get("device_note") or ""
        if note:
            self.show_message(note, "warning")
        self._show_engine_notice(notice, banner=not note)

    def _show_engine_notice(self, notice: str, banner: bool) -> None:
        """Say once, in the banner, why training runs on the slower torch engine; take it away
        when a change brings the fast engine back."""
        previous, self.engine_notice = self.engine_notice, notice
        if notice == previous:
            return
        if previous and self.message_bar.text == previous:
            self.message_bar.dismiss()
        if notice and banner:
            self.show_message(notice, "info")
            self.message_bar.show_message(notice, "info")

    def _on_run_ended(self, state: Any) -> None:
        if state != RunState.diverged:
            self.playing = False
            self.controls.set_playing(False)

    def _on_run_failed(self, message: str) -> None:
        if self.dataset is None and self.spec != Experiment():
            # the remembered experiment cannot start (e.g. its CSV is gone): fall back to the default
            self.show_message(f"{message} Starting with the default experiment instead.", "warning")
            self.spec = Experiment()
            self._sync_controls()
            self._show_structure_from_spec()
            self._restart(False)
            return
        self.playing = False
        self.controls.set_playing(False)
        self.run_state = RunState.failed
        self.show_message(f"{message} Change the settings (e.g. the loss or the data) and press Play again.",
                          "error")

    # ================================================================ hover, view toggles
    def _neuron_hovered(self, kind: str, layer: int, unit: int) -> None:
        activation = None
        if kind == "hidden" and 0 <= layer < len(self.spec.layers):
            activation = self.spec.layers[layer].activation.value
        self._hovered = (kind, layer, unit)
        self.boundary_view.show_neuron(kind, layer, unit, activation)

    def _neuron_unhovered(self) -> None:
        self._hovered = None
        self.boundary_view.show_output()

    def _set_show_test(self, on: bool) -> None:
        self.boundary_view.set_show_test(on)
        self.settings.set_flag("show_test", on)

    def _set_discretize(self, on: bool) -> None:
        self.boundary_view.set_discretize(on)
        self.settings.set_flag("discretize", on)

    def _set_log_scale(self, on: bool) -> None:
        self.loss_plot.set_log_scale(on)
        self.settings.set_flag("log_scale", on)

    def _show_hovered_epoch(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text, 4000)

    def _set_epoch_view(self, view: str) -> None:
        self.loss_plot.set_epoch_view(view)
        self.settings.set_text("epoch_view", view)

    def show_about(self) -> None:
        show_about(self)

    def show_guide(self) -> None:
        from app.guide import GuideDialog

        if self._guide is None:
            self._guide = GuideDialog(self.findChildren(QAction), self)
        self._guide.show()
        self._guide.raise_()

    def show_colour_legend(self) -> None:
        if self._legend is None:
            self._legend = ColourLegend(self)
        self._legend.show()
        self._legend.raise_()

    # ================================================================ messages
    def show_message(self, text: str, level: str = "info") -> None:
        """Tell the user something without blocking: a banner for warnings and errors, always the
        status bar. Tests read `last_message` / `messages`."""
        self.last_message = text
        self.messages.append((level, text))
        if level in ("warning", "error"):
            self.message_bar.show_message(text, level)
        self.statusBar().showMessage(text, 10000)
        self.messageShown.emit(text, level)

    # ================================================================ window state
    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        if not self._split_chosen:  # first show, no remembered split: fit the panes to this screen
            self._split_chosen = True
            width = self.splitter.width() or self.width() - 20
            output = int(min(max(0.3 * width, 430), 640))  # a larger boundary on a large screen
            self.splitter.setSizes([250, max(300, width - 250 - output), output])
        super().showEvent(event)

    def _restore_window_state(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 880)
        sizes = self.settings.splitter_sizes("main")
        if sizes and len(sizes) == 3:
            self.splitter.setSizes(sizes)
            self._split_chosen = True
        sizes = self.settings.splitter_sizes("output")
        if sizes and len(sizes) == 2:
            self.output_panel.splitter.setSizes(sizes)
        self.output_panel.show_test_box.setChecked(self.settings.flag("show_test", False))
        self.output_panel.discretize_box.setChecked(self.settings.flag("discretize", False))
        self.output_panel.log_box.setChecked(self.settings.flag("log_scale", False))
        try:
            self.set_speed_limit(float(self.settings.text("speed_limit", "0")))
        except ValueError:
            pass  # a hand-edited setting: keep Max
        view = self.output_panel.epoch_view_combo.findData(self.settings.text("epoch_view", "all"))
        self.output_panel.epoch_view_combo.setCurrentIndex(max(0, view))

    def save_window_state(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_splitter_sizes("main", self.splitter.sizes())
        self.settings.set_splitter_sizes("output", self.output_panel.splitter.sizes())
        self.settings.set_last_experiment(self.spec)
        self.settings.sync()

    def shutdown(self) -> bool:
        """Stop training and wait for the worker; True when it stopped cleanly."""
        return self.worker.stop()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.data_panel.flush()
        if not self._files_close_event(event):  # unsaved changes and the user chose Cancel
            return
        self.save_window_state()
        self._frame_timer.stop()
        self.data_loader.close()
        if not self.shutdown():
            self.show_message("Training is still finishing an epoch; closing anyway.", "warning")
        self._stop_autosave()
        if self._legend is not None:
            self._legend.close()
        if self._guide is not None:
            self._guide.close()
        event.accept()
        super().closeEvent(event)
