"""The session: one Experiment spec, its undo history, its data and the training run behind the window.

SessionController owns the state (spec, dataset, undo stack, worker, data loader, play/pause, the
epoch shown) and turns requests into spec changes: changes that reset the weights go through the
undo stack; the learning rate, batch size and regularisation rate apply live to the running
trainer. It never touches a widget: it tells the window what to show through its signals, and the
window connects its widgets' signals to its methods.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from app.look import texts
from app.data_loader import DataLoader
from app.spec_edit import loss_for_classes, patched, value_at, with_consequences
from app.undo import SpecChangeCommand
from app.worker import TrainingWorker
from core.data.sources import SOURCES
from core.nn.activations import ACTIVATIONS
from core.training.live import LIVE
from core.training.snapshot import RunState
from core.spec import DataSource, Experiment, LayerSpec, OptimizerName, RegularizationKind, SpecError, Task

DEFAULT_REG_RATE = 0.001
_DATA_KEYS = ("data", "features", "seed", "task")


class SessionController(QObject):
    """Spec, undo, data and the run; see the module docstring. Signals go to the window."""

    shown = Signal(object, object, bool)      # spec, dataset, whether the data changed: point the views
    specGuessed = Signal()                    # no data yet: draw the network from the spec alone
    controlsStale = Signal()                  # a refused change: the bars show the spec again
    specEdited = Signal()                     # a live setting changed the spec (no restart)
    restarted = Signal()                      # a fresh run: the views go back to epoch 0
    resumed = Signal(object, int)             # a restored run's history and epoch
    playingChanged = Signal(bool)
    startingUp = Signal()                     # the first run is about to start
    documentReplaced = Signal(object)         # load_spec: the experiment's file (None: none)
    message = Signal(str, str)                # text, level
    status = Signal(str, int)                 # status-bar text ("" clears it), timeout in ms
    snapshotArrived = Signal(object)          # every Snapshot, queued from the worker
    runStarted = Signal(dict)                 # the worker's start info, after the dataset is adopted

    def __init__(self, spec: Experiment, worker: TrainingWorker | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.dataset = None
        self.playing = False
        self.started = False
        self.run_state: RunState = RunState.idle
        self.epoch = 0
        self._source_for_task = {Task.classification: DataSource.spiral, Task.regression: DataSource.plane}
        self.undo_stack = QUndoStack(self)
        self.worker = worker or TrainingWorker(self)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.runStarted.connect(self._on_run_started)
        self.worker.runEnded.connect(self._on_run_ended)
        self.worker.runFailed.connect(self.run_failed)
        self.data_loader = DataLoader(self)
        self.data_loader.loaded.connect(self._on_data_loaded)
        self._load_tag = 0          # the latest background load; older results are dropped
        self.loading: str = ""      # what is loading now ('' when nothing)
        self._pending_change: tuple[str, dict[str, Any]] = ("", {})

    def ensure_started(self) -> None:
        """Start the paused trainer; the run thread imports torch and loads the data, so the window
        stays responsive. Runs once, after the first paint in the app, or directly from tests."""
        if self.started:
            return
        self.started = True
        self.startingUp.emit()
        self._restart(False)

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
                self.status.emit(f"Loading {new_spec.data.source.value}…", 0)
                self.data_loader.load(new_spec, self._load_tag)
                self._pending_change = (text, changes)
                return True
            new_spec, dataset, changes = self._prepare(changes)
        except Exception as err:  # noqa: BLE001 - SpecError, DataError, anything from a file
            self.message.emit(f"{text}: {err}", "error")
            self.controlsStale.emit()
            return False
        return self._push_change(text, changes, new_spec, dataset)

    def _push_change(self, text: str, changes: dict[str, Any], new_spec: Experiment, dataset: Any) -> bool:
        if new_spec == self.spec:
            self.controlsStale.emit()
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
        self.status.emit("", 0)
        if error is not None:
            self.message.emit(f"{text}: {error}", "error")
            self.controlsStale.emit()
            return
        self.data_loader.remember(spec, dataset)
        try:
            new_spec, dataset, changes = self._prepare(changes)
        except Exception as err:  # noqa: BLE001 - e.g. the spec changed meanwhile and no longer fits
            self.message.emit(f"{text}: {err}", "error")
            self.controlsStale.emit()
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
                self.message.emit(f"Could not restore that state: {err}", "error")
                return False
        else:
            new_spec, dataset = prepared
        self._install(new_spec, dataset)
        return True

    def _install(self, spec: Experiment, dataset: Any) -> None:
        """Show `spec` everywhere and restart training from fresh weights (keeping play/pause). The run
        builds once the views' repaint, posted by now, is done: building it meanwhile would halve
        the GUI thread's share of the interpreter in that turn (one stall instead of two short turns)."""
        self._show(spec, dataset)
        self._restart(self.playing, hold=True)
        QTimer.singleShot(0, self.worker, self.worker.release)

    def _show(self, spec: Experiment, dataset: Any) -> None:
        """Make `spec` and its `dataset` current and let the views follow (no training change)."""
        data_changed = dataset is not self.dataset
        self.spec = spec
        self.dataset = dataset
        if spec.data.source != DataSource.csv and spec.data.is_toy:
            self._source_for_task[spec.task] = spec.data.source
        self.shown.emit(spec, dataset, data_changed)

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
                self.message.emit(f"Could not load the data of {path or 'that experiment'}: {err}", "error")
                return False
        if not self.started:
            self.startingUp.emit()
        self.started = True
        self.documentReplaced.emit(path)
        self.playing = False
        self.undo_stack.clear()
        if trainer is None:
            self._install(spec, dataset)
        else:
            history, epoch = list(trainer.history), int(trainer.epoch)  # read before the run thread owns it
            self._show(spec, dataset)
            self._restart(False, trainer)
            self.epoch = epoch
            self.resumed.emit(history, epoch)
        self.undo_stack.setClean()
        return True

    # --- requests from the bars and the diagram ------------------------------------------------------
    def choose_loss(self, loss: Any) -> None:
        self.request_change("Change loss", {"loss": loss.value})

    def choose_schedule(self, kind: Any) -> None:
        self.request_change("Change LR schedule", {"schedule.kind": kind.value})

    def choose_device(self, name: str) -> None:
        self.request_change("Change device", {"device": name})

    def choose_source(self, source: DataSource) -> None:
        self.request_change("Change data set", {"data.source": source.value})

    def choose_noise(self, noise: float) -> None:
        self.request_change("Change noise", {"data.noise": round(noise, 4)})

    def choose_train_fraction(self, fraction: float) -> None:
        self.request_change("Change train ratio", {"data.train_fraction": round(fraction, 4)})

    def choose_samples(self, samples: int) -> None:
        self.request_change("Change number of points", {"data.samples": int(samples)})

    def regenerate(self) -> bool:
        """New random points (and initial weights): the next seed."""
        return self.request_change("Regenerate data", {"seed": (self.spec.seed + 1) % (2**31 - 1)})

    def _layers_json(self) -> list[dict[str, Any]]:
        return [layer.model_dump(mode="json") for layer in self.spec.layers]

    def add_layer(self, layer_type: str = "dense") -> bool:
        """Add a dense layer (a copy of the last dense one) at the end, or a layer of another type
        with its defaults where the stack still fits (core.spec.insert); a misfit is refused with
        the shape check's message."""
        layers = self._layers_json()
        if layer_type == "dense":
            dense = [layer for layer in layers if layer.get("type", "dense") == "dense"]  # a copy of the last dense one
            template = dense[-1] if dense else LayerSpec().model_dump(mode="json")
            layers.append({**template, "dropout": 0.0, "norm": "none"})
            return self.request_change("Add layer", {"layers": layers})
        from core.nn.layers import LAYER_TYPES
        from core.spec.insert import with_new_layer

        layer = LAYER_TYPES[layer_type].spec_model().model_dump(mode="json")
        if self.dataset is None:
            layers.append(layer)
        else:
            try:
                layers = with_new_layer(self.spec, layers, layer, self.dataset.input_shape, self.dataset.n_outputs)
            except SpecError as err:
                self.message.emit(f"Add {LAYER_TYPES[layer_type].label.lower()} layer: {err}", "error")
                return False
        return self.request_change(f"Add {LAYER_TYPES[layer_type].label.lower()} layer", {"layers": layers})

    def remove_layer(self) -> bool:
        layers = self._layers_json()
        if not layers:
            return False
        return self.request_change("Remove layer", {"layers": layers[:-1]})

    def set_units(self, layer: int, units: int) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer]["units"] = max(1, min(4096, int(units)))
            self.request_change("Change neurons", {"layers": layers})

    def set_layer_activation(self, layer: int, name: str) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer]["activation"] = name
            self.request_change("Change activation", {"layers": layers})

    def set_layer_options(self, layer: int, dropout: float, norm: str) -> None:
        layers = self._layers_json()
        if 0 <= layer < len(layers):
            layers[layer].update(dropout=float(dropout), norm=norm)
            self.request_change("Change layer options", {"layers": layers})

    def set_activation_for_all(self, activation: Any) -> None:
        layers = [{**layer, "activation": ACTIVATIONS[activation].name} if "activation" in layer else layer
                  for layer in self._layers_json()]  # pooling, flatten ... have none
        self.request_change("Change activation", {"layers": layers})

    def choose_optimizer(self, name: OptimizerName) -> None:
        changes: dict[str, Any] = {"optimizer.name": name.value}
        if self.spec.optimizer.nesterov and name != OptimizerName.sgd:
            changes["optimizer.nesterov"] = False
        self.request_change("Change optimizer", changes)

    def choose_regularization(self, kind: RegularizationKind) -> None:
        changes: dict[str, Any] = {"regularization.kind": kind.value}
        if kind != RegularizationKind.none and self.spec.regularization.rate == 0:
            changes["regularization.rate"] = DEFAULT_REG_RATE  # a penalty of 0 would do nothing
        self.request_change("Change regularisation", changes)

    def choose_task(self, task: Task) -> None:
        natural = SOURCES[self.spec.data.source].task
        if Task.autoencoder in (task, self.spec.task) and task in (Task.autoencoder, natural):
            self.request_change("Change problem type", {"task": task.value})  # the same data, reconstructed
        elif self.spec.data.source == DataSource.csv:
            self.request_change("Change problem type", {"task": task.value})
        elif task != self.spec.task:
            self.request_change("Change problem type", {"data.source": self._source_for_task[task].value,
                                                        "task": task.value})

    def choose_features(self, features: list) -> None:
        if not features:
            self.message.emit("Keep at least one input feature: the network needs something to look at.",
                              "warning")
            self.controlsStale.emit()
            return
        self.request_change("Change features", {"features": [f.value for f in features]})

    def load_csv(self, path: str, target: str, columns: list[str] | None = None,
                 task: Task = Task.classification) -> bool:
        """Use a CSV file as the data; on any problem, a message and the previous data stays."""
        return self.request_change("Open CSV", {"data.source": DataSource.csv.value, "data.path": str(path),
                                                "data.target": target, "data.columns": columns or None,
                                                "task": Task(task).value, "features": None})

    def load_csv_series(self, path: str, column: str) -> bool:
        """Use one numeric CSV column as a time series (predict the next value from a window of them);
        on any problem, a message and the previous data stays."""
        return self.request_change("Open CSV series", {"data.source": DataSource.csv_series.value,
                                                       "data.path": str(path), "data.target": column,
                                                       "data.columns": None, "task": Task.regression.value,
                                                       "features": None})

    def load_image_folder(self, path: str) -> bool:
        """Use a folder of images (one sub-folder per class) as the data; unreadable files are listed
        in one message and the previous data stays."""
        return self.request_change("Open image folder", {"data.source": DataSource.image_folder.value,
                                                         "data.path": str(path), "task": Task.classification.value,
                                                         "features": None})

    # --- live settings (no reset, no undo) -------------------------------------------------------
    def set_live(self, name: str, value: Any) -> bool:
        """Live setting `name` (a LIVE record): set its spec field and hand it to the running trainer,
        no reset, no undo. False (with a message) if the spec refuses the value."""
        setting = LIVE[name]
        value = setting.cast(value)
        if setting.key is not None:
            try:
                self.spec = patched(self.spec, {setting.key: value})
            except SpecError as err:
                self.message.emit(str(err), "error")
                self.controlsStale.emit()
                return False
            self.specEdited.emit()
        self.worker.set_live(name, value)
        return True

    def set_learning_rate(self, lr: float) -> None:
        self.set_live("learning_rate", lr)

    def set_batch_size(self, n: int) -> None:
        self.set_live("batch_size", n)

    def set_regularization_rate(self, rate: float) -> None:
        self.set_live("regularization_rate", rate)

    def set_stop(self, stop: dict) -> None:
        """spec.stop (core/training/stopping.py), live: the run follows it from the next epoch."""
        self.set_live("stop", stop)

    def set_epochs(self, epochs: int) -> None:
        """spec.epochs, live: where 'Stop at epochs' stops the run."""
        self.set_live("epochs", epochs)

    def set_weight(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        self.worker.set_weight(layer, out_index, in_index, value)
        self.status.emit(f"Weight set to {value:g}; training continues from it.", 4000)

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
        self.playingChanged.emit(True)
        self.worker.play()
        if not self.worker.running and self.dataset is not None:
            self._restart(True)

    def pause(self) -> None:
        self.playing = False
        self.playingChanged.emit(False)
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
        self.status.emit("Reset: fresh weights at epoch 0.", 3000)

    def _restart(self, playing: bool, trainer: Any = None, hold: bool = False) -> None:
        self.worker.start(self.spec, self.dataset, playing=playing, trainer=trainer, hold=hold)
        self.playing = playing
        self.playingChanged.emit(playing)
        self._restart_views()

    def _restart_views(self) -> None:
        self.epoch = 0
        self.run_state = RunState.running if self.playing else RunState.paused
        self.restarted.emit()

    def note_shown(self, snap: Any) -> None:
        """The window drew `snap`: its epoch and state are what the user sees now."""
        self.epoch = snap.epoch
        self.run_state = snap.state

    def _on_snapshot(self, snap: Any) -> None:
        """Queued from the worker: the window keeps it for its next frame; a diverged or failed run
        stops playing here."""
        self.snapshotArrived.emit(snap)
        if snap.state == RunState.diverged:
            self._diverged(snap)
        elif snap.state == RunState.failed:
            self.run_failed(snap.message or "Training failed.")
        elif snap.message:  # a stop condition's report is news; anything else (the loss rose) a warning
            self.message.emit(snap.message, "info" if snap.state == RunState.finished else "warning")

    def _diverged(self, snap: Any) -> None:
        self.playing = False
        self.playingChanged.emit(False)
        lower = max(self.spec.optimizer.lr / 10, 1e-5)
        self.message.emit(f"Training paused: it diverged. {snap.message} "
                          f"Lower the learning rate (try {texts.format_rate(lower)}) and press Play to go on, "
                          "or Reset to start again.", "error")

    def _on_run_started(self, info: dict) -> None:
        dataset = info.get("dataset")
        if self.dataset is None and dataset is not None:  # start-up: the run thread loaded it
            self._show(self.spec, dataset)
            self._restart_views()
        self.runStarted.emit(info)

    def _on_run_ended(self, state: Any) -> None:
        if state != RunState.diverged:
            self.playing = False
            self.playingChanged.emit(False)

    def run_failed(self, message: str) -> None:
        if self.dataset is None and self.spec != Experiment():
            # the remembered experiment cannot start (e.g. its CSV is gone): fall back to the default
            self.message.emit(f"{message} Starting with the default experiment instead.", "warning")
            self.spec = Experiment()
            self.specGuessed.emit()
            self._restart(False)
            return
        self.playing = False
        self.playingChanged.emit(False)
        self.run_state = RunState.failed
        self.message.emit(f"{message} Change the settings (e.g. the loss or the data) and press Play again.",
                          "error")
