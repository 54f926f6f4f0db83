"""The playground window: data on the left, the network in the centre, the output on the right,
training controls on top.

The window only lays out views, menus and the status bar, and draws snapshots on a frame timer:
the spec, undo history, data and run belong to its SessionController (`window.controller`), the
File menu to its FileActions (`window.files`), the status bar's run readouts and notices to its
RunStatus (`window.run_status`), its dialogs to WindowDialogs (`window.dialogs`), what it remembers
between sessions to WindowState (`window.window_state`). Torch is imported only after the first
paint, so the window shows fast.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.controller import SessionController
from app.frames import SnapshotFrames
from app.sequence_edit import with_recurrent_layer
from app.panels.controls_bar import ControlsBar
from app.panels.data_panel import DataPanel
from app.panels.health_dock import HealthDock
from app.panels.help import show_about
from app.panels.message_bar import MessageBar
from app.network.view import NetworkView
from app.panels.output_panel import MODALITY_VIEWS, OutputPanel
from app.settings import AppSettings
from app.look.side_scroll import side_scroll
from app.look.style import STYLESHEET
from app.menus import build_menus
from app.files.actions import FileActions
from app.run_status import RunStatus
from app.runs.install import install_runs
from app.window_dialogs import WindowDialogs
from app.window_state import WindowState
from app.worker import TrainingWorker
from core.nn.activations import ACTIVATIONS
from core.spec import Experiment, Task



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


class MainWindow(QMainWindow):
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
        spec = spec or (self.settings.last_experiment() if restore else None) or Experiment()
        self.controller = SessionController(spec, worker, parent=self)
        self.files = FileActions(self, self.controller)
        self.last_message = ""
        self.messages: list[tuple[str, str]] = []
        self.first_paint_time: float | None = None
        self._hovered: tuple[str, int, int] | None = None
        self._devices_listed = False
        self._boundary_data = None  # a data set the hidden boundary view is still to show (see _show)

        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLESHEET)
        s = self.controller
        s.undo_stack.cleanChanged.connect(self._on_clean_changed)
        s.shown.connect(self._show)
        s.specGuessed.connect(self._spec_guessed)
        s.controlsStale.connect(self._sync_controls)
        s.specEdited.connect(self._spec_edited)
        s.restarted.connect(self._restart_views)
        s.resumed.connect(self._resumed)
        s.playingChanged.connect(self._playing_changed)
        s.documentReplaced.connect(self.files.document_replaced)
        s.message.connect(self.show_message)
        s.snapshotArrived.connect(self._on_snapshot)
        s.runStarted.connect(self._on_run_started)

        self._build_ui()
        s.status.connect(self.run_status.show_status)
        s.worker.runNotice.connect(self.run_status.notice)
        s.worker.runProgress.connect(self.run_status.progress)
        self.health = HealthDock(self)  # View ▸ Training health; hidden until asked for
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.health)
        self.health.hide()
        install_runs(self)  # the run list dock, sweeps and the optimizer race (app/runs)
        s.startingUp.connect(self.data_panel.load_thumbnails)
        build_menus(self)
        self.files.update_title()
        self._sync_controls()
        self._show_structure_from_spec()
        if restore:
            self.window_state.restore(self, self.set_speed_limit)
        else:
            self.resize(1440, 880)
        self.statusBar().showMessage("Loading PyTorch…")
        _FirstPaint(self.controls, self._on_first_paint)
        self.files.setup_autosave(autosave)

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
        self.frames = SnapshotFrames(self.output_panel, self.network_view, self)
        self.frames.drawing.connect(self._show_counters)
        self.frames.drawn.connect(self.snapshotShown)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(8)
        self.splitter.addWidget(side_scroll(self.data_panel, "dataScroll"))
        self.splitter.addWidget(self.network_view)
        self.splitter.addWidget(side_scroll(self.output_panel, "outputScroll", keep_width=True))
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

        self.run_status = RunStatus(self.statusBar(), self.controls, self.message_bar, parent=self)
        self.run_status.message.connect(self.show_message)
        self.speed = self.run_status.speed  # the one steps/s figure both bars show
        self.device_status = self.run_status.device_status
        self.epoch_status = self.run_status.epoch_status
        self.rate_status = self.run_status.rate_status
        self.dialogs = WindowDialogs(self, self.controller, self.data_panel)
        self.window_state = WindowState(self.settings, self.splitter, self.output_panel)

        s, c = self.controller, self.controls
        c.playClicked.connect(s.toggle_play)
        c.stepClicked.connect(s.step)
        c.resetClicked.connect(s.reset)
        c.learningRateChanged.connect(s.set_learning_rate)
        c.regularizationRateChanged.connect(s.set_regularization_rate)
        c.activationChosen.connect(s.set_activation_for_all)
        c.lossChosen.connect(s.choose_loss)
        c.optimizerChosen.connect(s.choose_optimizer)
        c.regularizationChosen.connect(s.choose_regularization)
        c.scheduleChosen.connect(s.choose_schedule)
        c.taskChosen.connect(s.choose_task)
        c.deviceChosen.connect(s.choose_device)
        c.speedChosen.connect(self.set_speed_limit)
        c.lrFinderClicked.connect(self.open_lr_finder)
        c.stop_conditions.stopChanged.connect(s.set_stop)
        c.stop_conditions.epochsChanged.connect(s.set_epochs)

        d = self.data_panel
        d.sourceChosen.connect(s.choose_source)
        d.csvRequested.connect(self.dialogs.open_csv)
        d.csvSeriesRequested.connect(lambda: self.dialogs.open_csv(series=True))
        d.imageFolderRequested.connect(self.dialogs.open_image_folder)
        d.noiseChanged.connect(s.choose_noise)
        d.trainFractionChanged.connect(s.choose_train_fraction)
        d.samplesChanged.connect(s.choose_samples)
        d.batchSizeChanged.connect(s.set_batch_size)
        d.regenerateRequested.connect(s.regenerate)
        d.featuresChanged.connect(s.choose_features)
        d.sequenceLengthChanged.connect(lambda n: s.request_change("Change sequence length",
                                                                   {"data.sequence_length": int(n)}))
        self.output_panel.layerRequested.connect(  # the sequence views' +RNN/+LSTM/+GRU
            lambda kind: s.request_change(f"Add {kind.upper()} layer",
                                          {"layers": with_recurrent_layer(s.spec.to_dict()["layers"], kind)}))

        n = self.network_view
        n.addLayerRequested.connect(lambda: s.add_layer(n.layer_type()))
        n.removeLayerRequested.connect(s.remove_layer)
        n.unitsChanged.connect(s.set_units)
        n.activationChanged.connect(s.set_layer_activation)
        n.layerOptionsChanged.connect(s.set_layer_options)
        n.weightEdited.connect(s.set_weight)
        n.neuronHovered.connect(self._neuron_hovered)
        n.neuronUnhovered.connect(self._neuron_unhovered)

        o = self.output_panel
        o.showTestToggled.connect(self._set_show_test)
        o.discretizeToggled.connect(self._set_discretize)
        o.logScaleToggled.connect(self._set_log_scale)
        o.epochViewChosen.connect(self._set_epoch_view)
        o.focusChosen.connect(self._set_focus)
        self.loss_plot.hoveredEpoch.connect(self.run_status.show_hint)

    def picture_views(self) -> dict[str, QWidget]:
        """What File ▸ Export Picture offers, by key (FileHost)."""
        self._show_boundary_data()
        return {"boundary": self.boundary_view, "loss": self.loss_plot, "network": self.network_view.canvas}

    def focused_view(self) -> QWidget:
        """The view holding the keyboard focus (or clicked last), else the decision boundary (FileHost)."""
        self._show_boundary_data()
        views = (self.boundary_view, self.loss_plot, self.network_view, self.confusion_view)
        widget = QApplication.focusWidget()
        while widget is not None:
            if widget in views:
                return self.network_view.canvas if widget is self.network_view else widget
            widget = widget.parentWidget()
        return self.boundary_view

    # ================================================================ start-up
    def _on_first_paint(self) -> None:
        self.first_paint_time = time.perf_counter()
        self.firstPainted.emit(self.first_paint_time)
        QTimer.singleShot(0, self.controller.ensure_started)

    def _fill_devices(self) -> None:
        try:
            from core.engines.device import available_devices

            rows = available_devices()
        except Exception as err:  # noqa: BLE001 - the combo keeps "auto"
            rows = [("auto", True, ""), ("cpu", True, "")]
            self.show_message(f"Could not list devices ({err}); using auto.", "warning")
        self.controls.set_devices(rows, self.controller.spec.device)

    # ================================================================ following the controller
    def _show(self, spec: Experiment, dataset: Any, data_changed: bool) -> None:
        """Point every view at `spec` and its `dataset` (no training change)."""
        autoencoder = dataset.task == Task.autoencoder.value
        if data_changed:
            # Images and sequences show their own views in the boundary's place: their projection (a
            # PCA and a scatter of every row, 60-130 ms for digits) is drawn only if asked for (export).
            hidden = autoencoder or dataset.modality in MODALITY_VIEWS
            self._boundary_data = dataset if hidden and not autoencoder else None
            if not hidden:
                self.boundary_view.set_dataset(dataset)
            self.output_panel.set_task(dataset.task, tuple(dataset.class_names))
            self.output_panel.set_modality(dataset)
            from core.spec.insert import fitting_types

            self.network_view.set_layer_types(fitting_types(dataset.input_shape))
            rows = len(dataset)
            self.data_panel.set_description(
                f"{dataset.description or spec.data.source.value} · {rows:,} rows "
                f"({len(dataset.x_train):,} train / {len(dataset.x_test):,} test)")
        self.controls.set_loss_choices(spec.task, dataset.n_classes)
        self.network_view.set_structure(list(spec.layers), list(dataset.input_names), dataset.n_outputs,
                                        bool(dataset.is_planar), regression=dataset.task != "classification",
                                        output_names=list(dataset.raw_names if autoencoder else dataset.class_names),
                                        shapes=_layer_shapes(spec, dataset),
                                        input_shape=tuple(dataset.input_shape) if dataset.modality == "image" else None)
        self._sync_controls()
        self.specChanged.emit(spec)
        self.files.autosave_changed()

    def _show_boundary_data(self) -> None:
        """Bring the hidden boundary view up to the data (see `_show`) before someone looks at it."""
        dataset, self._boundary_data = self._boundary_data, None
        if dataset is not None and dataset is self.controller.dataset:
            self.boundary_view.set_dataset(dataset)

    def _sync_controls(self) -> None:
        self.controls.set_spec(self.controller.spec)
        self.data_panel.set_spec(self.controller.spec)

    def _show_structure_from_spec(self) -> None:
        """Before the data is loaded: draw the network from the spec alone."""
        spec = self.controller.spec
        names = [f.value for f in spec.input_features] if spec.data.is_toy else ["inputs"]
        self.network_view.set_structure(list(spec.layers), names, 1, spec.data.is_toy,
                                        regression=spec.task == Task.regression)

    def _spec_guessed(self) -> None:
        self._sync_controls()
        self._show_structure_from_spec()

    def _spec_edited(self) -> None:
        self.setWindowModified(True)
        self.files.autosave_changed()
        self.controls.set_spec(self.controller.spec)  # a change made from code or a shortcut shows in the bar

    def _resumed(self, history: list, epoch: int) -> None:
        self.loss_plot.append(history)
        self.loss_plot.refresh()
        self.run_status.show_epoch(epoch)

    def _playing_changed(self, playing: bool) -> None:
        self.controls.set_playing(playing)
        self.run_status.playing_changed(playing)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def set_speed_limit(self, epochs_per_second: float) -> None:
        """At most this many epochs a second (0: as fast as possible); a view setting, not the experiment's."""
        rate = max(0.0, float(epochs_per_second))
        self.controller.worker.set_speed_limit(rate or None)
        self.controls.set_speed(rate)
        self.settings.set_text("speed_limit", f"{rate:g}")

    def _restart_views(self) -> None:
        """Epoch 0, empty curves, no boundary yet: what a fresh run looks like."""
        self.run_status.restart()
        self.frames.clear(self.controller.dataset)

    def _on_snapshot(self, snap: Any) -> None:
        """Queued from the worker: keep the history, remember the latest, draw on the next frame."""
        self.run_status.snapshot_arrived(snap, self.controller.playing)
        self.files.autosave_changed(snap)
        self.frames.take(snap)

    def _show_counters(self, snap: Any) -> None:
        """Every frame: the epoch and speed of the snapshot drawn."""
        self.controller.note_shown(snap)
        self.run_status.show_counters(snap)

    def _on_run_started(self, info: dict) -> None:
        if not self._devices_listed and info.get("torch", True):  # listing them imports torch
            self._devices_listed = True
            self._fill_devices()
        self.run_status.run_started(info)

    @property
    def engine_notice(self) -> str:
        """Why the torch engine runs, as last shown ("" on the fused engine)."""
        return self.run_status.engine_notice

    # ================================================================ hover, view toggles
    def _set_focus(self, value: Any) -> None:
        """The sample the per-sample pictures show (a test row or a drawing); a paused run redraws now."""
        if self.controller.set_live("focus", value):
            self.controller.worker.request_grid()

    def _neuron_hovered(self, kind: str, layer: int, unit: int) -> None:
        activation = None
        layers = self.controller.spec.layers
        if kind == "hidden" and 0 <= layer < len(layers) and hasattr(layers[layer], "activation"):
            activation = ACTIVATIONS[layers[layer].activation].name
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

    def _set_epoch_view(self, view: str) -> None:
        self.loss_plot.set_epoch_view(view)
        self.settings.set_text("epoch_view", view)

    def show_about(self) -> None:
        show_about(self)

    def show_model_summary(self):  # noqa: ANN201 - returns the dialog (tests read it)
        return self.dialogs.show_model_summary()

    def show_guide(self) -> None:
        self.dialogs.show_guide()

    def show_colour_legend(self) -> None:
        self.dialogs.show_colour_legend()

    def open_lr_finder(self) -> None:
        """Train ▸ Find a learning rate; Apply sets the rate live."""
        self.dialogs.open_lr_finder()

    @property
    def lr_finder_dialog(self):  # noqa: ANN201 - the LRFinderDialog while open (tests read it)
        return self.dialogs.lr_finder

    @property
    def _guide(self):  # noqa: ANN202 - the GuideDialog once shown (tests read it)
        return self.dialogs.guide

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

    def views_min_size(self) -> QSize:
        """The central area's smallest size at which neither side panel needs its scroll bar (the
        scroll areas alone would say ~230 px): docks placed below must leave the views this much."""
        central = self.centralWidget().minimumSizeHint()
        panels = max(self.data_panel.minimumSizeHint().height(), self.output_panel.minimumSizeHint().height())
        return QSize(central.width(), central.height() + max(0, panels - self.splitter.minimumSizeHint().height()))

    # ================================================================ window state
    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        self.window_state.first_show(self)
        super().showEvent(event)

    def save_window_state(self) -> None:
        self.window_state.save(self, self.controller.spec)

    def shutdown(self) -> bool:
        """Stop training and wait for the worker; True when it stopped cleanly."""
        return self.controller.worker.stop()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.data_panel.flush()
        if not self.files.close_event(event):  # unsaved changes and the user chose Cancel
            return
        self.save_window_state()
        self.frames.timer.stop()
        self.controller.data_loader.close()
        if not self.shutdown():
            self.show_message("Training is still finishing an epoch; closing anyway.", "warning")
        self.files.stop_autosave()
        self.dialogs.close_all()
        if self.sweep_dialog is not None:
            self.sweep_dialog.shutdown()  # ends its worker processes
        event.accept()
        super().closeEvent(event)


def _layer_shapes(spec, dataset) -> list | None:
    """Each hidden layer's output shape for the headers of image layers; None for a misfit stack."""
    from core.spec.shapes import layer_shapes

    try:
        return layer_shapes(spec, dataset.input_shape, dataset.n_outputs)
    except ValueError:
        return None
