"""The window's File menu and Edit ▸ Copy View: experiment files, checkpoints, model export,
pictures, the loss history as CSV, autosave and crash recovery.

FileActions is composed into the window (`window.files`): it reads the session through the
SessionController and reaches the window only through the FileHost interface below. The run's state is read
only on the training thread, between epochs (TrainingWorker.call_between_epochs), so saving or
exporting never races training. Every method that would show a file dialog takes the path as an
argument too (tests and scripts), and unsaved changes are confirmed through `self.ask_unsaved`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMenuBar, QStatusBar, QWidget

from app.files import session_files
from app.files.autosave import AutosaveController
from app.files.recent_files import RecentFiles
from app.files.session_files import CHECKPOINT_FILTER, DISCARD, OPEN_FILTER, SAVE, looks_like_checkpoint, wait_for
from app.look.widgets import make_action
from core.files.autosave import AutosaveState, AutosaveStore
from core.spec import Experiment, SpecError, load_experiment, save_experiment

if TYPE_CHECKING:
    from app.controller import SessionController
    from app.panels.data_panel import DataPanel
    from app.plots.loss_plot import LossPlot
    from app.settings import AppSettings

EXPERIMENT_FILTER = "LayerLab experiments (*.json);;All files (*)"
PICTURE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"
AUTOSAVE_SECONDS = 5.0
ENV_AUTOSAVE_SECONDS = "LAYERLAB_AUTOSAVE_SECONDS"  # tests shorten the interval
CAPTURE_TIMEOUT_S = 120.0  # the longest epoch we wait for before giving up on a capture
# What File ▸ Export Picture offers: key -> (menu label, file stem)
PICTURES = {"boundary": ("&Decision Boundary…", "decision_boundary"),
            "loss": ("&Loss Plot…", "loss_plot"),
            "network": ("&Network Diagram…", "network_diagram")}


class FileHost(Protocol):
    """What FileActions needs from the window it serves (MainWindow is one)."""

    settings: AppSettings
    last_message: str
    data_panel: DataPanel      # flushed before saving (a typed-in value not yet applied)
    loss_plot: LossPlot        # the history File ▸ Export History writes

    def show_message(self, text: str, level: str = "info") -> None: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name
    def isWindowModified(self) -> bool: ...  # noqa: N802
    def setWindowModified(self, modified: bool) -> None: ...  # noqa: N802
    def setWindowTitle(self, title: str) -> None: ...  # noqa: N802
    def addAction(self, action: QAction) -> None: ...  # noqa: N802
    def close(self) -> bool: ...
    def picture_views(self) -> dict[str, QWidget]: ...
    def focused_view(self) -> QWidget: ...


class FileActions(QObject):
    """File ▸ New/Open/Open Recent/Save/Save As/Save Checkpoint/Export…, autosave and recovery."""

    markedSaved = Signal()  # the experiment shown now matches its file (saved, opened) or is new

    def __init__(self, host: FileHost, controller: SessionController) -> None:
        super().__init__(host)  # type: ignore[arg-type] - the host is a QWidget
        self.controller = controller
        self.settings = host.settings
        self.current_path: str | None = None      # the experiment file Save writes to
        self.checkpoint_path: str | None = None   # the checkpoint the run was resumed from, if any
        self.recent = RecentFiles(self.settings.qsettings)
        # ask_unsaved(parent, name) -> "save" | "discard" | "cancel"; tests replace it
        self.ask_unsaved = session_files.ask_unsaved_changes
        self.autosave: AutosaveController | None = None
        self._autosave_epoch = 0
        self.saved_runs = None  # () -> the run list's saved form, written into experiment files and autosaves
        self.restore_runs = None  # (saved form) -> None: puts recovered runs back into the run list

    @property
    def host(self) -> FileHost:
        """The window served: our Qt parent (no Python reference, so closing frees the window)."""
        return self.parent()  # type: ignore[return-value]

    def _action(self, text: str, slot, shortcuts=(), tip: str = "", name: str = "") -> QAction:  # noqa: ANN001
        return make_action(self.host, text, slot, shortcuts, tip, name=name)

    def show_message(self, text: str, level: str = "info") -> None:
        self.host.show_message(text, level)

    def statusBar(self) -> QStatusBar:  # noqa: N802 - the host's, by Qt's name
        return self.host.statusBar()

    def document_replaced(self, path: str | None) -> None:
        """The controller loaded a whole experiment from `path` (None: from no file)."""
        self.current_path = path
        self.checkpoint_path = None
        self.update_title()

    def build_file_menu(self, bar: QMenuBar) -> QMenu:
        menu = bar.addMenu("&File")
        self.new_action = self._action("&New", self.new_experiment, [QKeySequence.StandardKey.New],
                                       "Start a new experiment with the default settings.", name="newAction")
        self.open_action = self._action("&Open…", self.open_experiment, [QKeySequence.StandardKey.Open],
                                        "Open an experiment (.json) or a checkpoint (.ckpt) to go on training it.",
                                        name="openAction")
        menu.addAction(self.new_action)
        menu.addAction(self.open_action)
        self.recent_menu = self.recent.build_menu(self.host, self._open_recent)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        self.save_action = self._action("&Save", self.save_experiment, [QKeySequence.StandardKey.Save],
                                        "Save the experiment (data, network and settings) to its file.",
                                        name="saveAction")
        self.save_as_action = self._action("Save &As…", self.save_experiment_as, [QKeySequence.StandardKey.SaveAs],
                                           "Save the experiment to a new file.", name="saveAsAction")
        self.save_checkpoint_action = self._action(
            "Save &Checkpoint…", self.save_checkpoint, ["Ctrl+Alt+S"],
            "Save the experiment with its trained weights, optimizer state and loss history; "
            "open it later to go on training from this epoch.", name="saveCheckpointAction")
        for action in (self.save_action, self.save_as_action, self.save_checkpoint_action):
            menu.addAction(action)
        menu.addSeparator()
        self.export_action = self._action("Export &Model…", self.export_model, ["Ctrl+E"],
                                          "Export the trained network as TorchScript, ONNX, PyTorch code or a "
                                          "checkpoint, checked against the live model.", name="exportModelAction")
        menu.addAction(self.export_action)
        self.picture_menu = menu.addMenu("Export &Picture")
        self.picture_menu.setObjectName("exportPictureMenu")
        self.picture_actions: dict[str, QAction] = {}
        for key, (label, _stem) in PICTURES.items():
            action = self._action(label, lambda _=False, k=key: self.export_picture(k), (),
                                  "Save this view as a PNG image or an SVG drawing.", name=f"exportPicture_{key}")
            self.picture_menu.addAction(action)
            self.picture_actions[key] = action
        self.export_history_action = self._action(
            "Export &History as CSV…", self.export_history, (),
            "Save the loss and accuracy of every epoch as a CSV table.", name="exportHistoryAction")
        menu.addAction(self.export_history_action)
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self.host.close, [QKeySequence.StandardKey.Quit], "Close LayerLab."))
        return menu

    def add_copy_view(self, edit_menu: QMenu) -> None:
        self.copy_view_action = self._action(
            "&Copy View", self.copy_view, ["Ctrl+Shift+C"],
            "Copy a picture of the decision boundary (or the view you clicked last) to the clipboard.",
            name="copyViewAction")
        edit_menu.addSeparator()
        edit_menu.addAction(self.copy_view_action)

    # --- title and unsaved changes --------------------------------------------------------------------
    def update_title(self) -> None:
        path = self.current_path or self.checkpoint_path
        name = Path(path).name if path else "Untitled"
        self.host.setWindowTitle(f"{name}[*] — LayerLab")

    def document_name(self) -> str:
        path = self.current_path or self.checkpoint_path
        return Path(path).name if path else "Untitled"

    def confirm_unsaved(self) -> bool:
        """True when it is fine to replace or close the experiment (saved, discarded, or unchanged)."""
        if not self.host.isWindowModified():
            return True
        answer = self.ask_unsaved(self.host, self.document_name())
        if answer == SAVE:
            return self.save_experiment()
        return answer == DISCARD

    def _mark_saved(self) -> None:
        self.controller.undo_stack.setClean()
        self.host.setWindowModified(False)
        self.update_title()
        if self.autosave is not None:
            self.autosave.saved_elsewhere()  # the work is in a file now: nothing to recover
        self.markedSaved.emit()

    # --- experiment files ---------------------------------------------------------------------------
    def new_experiment(self) -> bool:
        if not self.confirm_unsaved():
            return False
        if not self.controller.load_spec(Experiment(), None):
            return False
        self._mark_saved()
        self.statusBar().showMessage("New experiment.", 3000)
        return True

    def _start_folder(self) -> str:
        path = self.current_path or self.checkpoint_path or (self.recent.paths() or [None])[0]
        return str(Path(path).parent) if path else ""

    def open_experiment(self, path: str | Path | None = None) -> bool:
        """File ▸ Open: an experiment (.json) or a LayerLab checkpoint. On any problem: a message,
        and the current experiment stays as it was."""
        if not self.confirm_unsaved():
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.host, "Open experiment or checkpoint", self._start_folder(),
                                                  OPEN_FILTER)
            if not path:
                return False
        path = str(path)
        if looks_like_checkpoint(path):
            return self.open_checkpoint(path)
        try:
            spec = load_experiment(path)
        except SpecError as err:
            self.show_message(f"Could not open the experiment: {err}", "error")
            return False
        if not self.controller.load_spec(spec, path):
            return False
        self._opened(path, f"Opened {path}.")
        return True

    def _opened(self, path: str, message: str) -> None:
        self.recent.add(path)
        self._mark_saved()
        self.statusBar().showMessage(message, 4000)

    def _open_recent(self, path: Path) -> None:
        if not Path(path).is_file():
            self.recent.remove(path)
            self.show_message(f"{path} is no longer there; it was removed from Open Recent.", "warning")
            return
        self.open_experiment(str(path))

    def save_experiment(self) -> bool:
        if not self.current_path:
            return self.save_experiment_as()
        return self._save_to(self.current_path)

    def save_experiment_as(self, path: str | Path | None = None) -> bool:
        if not path:
            stem = Path(self.checkpoint_path).stem if self.checkpoint_path else "experiment"
            start = self.current_path or str(Path(self._start_folder() or Path.home()) / f"{stem}.json")
            path, _ = QFileDialog.getSaveFileName(self.host, "Save experiment as", start, EXPERIMENT_FILTER)
            if not path:
                return False
            if not Path(path).suffix:
                path += ".json"
        return self._save_to(str(path))

    def _save_to(self, path: str) -> bool:
        self.host.data_panel.flush()
        try:
            save_experiment(self.controller.spec, path, runs=self.saved_runs() if self.saved_runs else None)
        except OSError as err:
            self.show_message(f"Could not save to {path}: {err.strerror or err}. Choose another folder.", "error")
            return False
        self.current_path = path
        self.recent.add(path)
        self._mark_saved()
        self.statusBar().showMessage(f"Saved {path}.", 4000)
        return True

    # --- checkpoints -------------------------------------------------------------------------------
    def capture_run(self, what: str = "save") -> Any:
        """A CapturedRun of the live run, read between epochs; None (with a message) if there is none."""
        if not self.controller.started:
            self.controller.ensure_started()
        from app.files.run_capture import capture_run

        spec = self.controller.spec  # includes live changes (learning rate, batch size) the run has applied
        self.statusBar().showMessage("Reading the network at the end of the current epoch…")
        try:
            data = wait_for(self.controller.worker.call_between_epochs(capture_run), CAPTURE_TIMEOUT_S)
        except Exception as err:  # noqa: BLE001 - no run, a failed run, an epoch that never ends
            self.show_message(f"Could not {what} the network: {err}. Press Reset or Play, then try again.", "error")
            return None
        data.spec = spec
        return data

    def save_checkpoint(self, path: str | Path | None = None) -> bool:
        """File ▸ Save Checkpoint: spec + weights + optimizer state + history, to resume training later."""
        if not path:
            stem = Path(self.current_path or self.checkpoint_path or "experiment").stem
            start = str(Path(self._start_folder() or Path.home()) / f"{stem}.ckpt")
            path, _ = QFileDialog.getSaveFileName(self.host, "Save checkpoint", start, CHECKPOINT_FILTER)
            if not path:
                return False
            if not Path(path).suffix:
                path += ".ckpt"
        data = self.capture_run("save a checkpoint of")
        if data is None:
            return False
        from core.files.checkpoint import CheckpointError, save_checkpoint

        try:
            save_checkpoint(data, path)
        except CheckpointError as err:
            self.show_message(f"Could not save the checkpoint: {err}. Choose another folder.", "error")
            return False
        self.recent.add(path)
        self.statusBar().showMessage(f"Saved checkpoint {path} at epoch {data.epoch:,}.", 5000)
        return True

    def open_checkpoint(self, path: str | Path) -> bool:
        """Restore spec, weights, optimizer state and history; Play goes on from the saved epoch.
        Loading is safe: a file holding code is refused before anything in it runs."""
        from core.files.checkpoint import CheckpointError, load_checkpoint

        try:
            data = load_checkpoint(path)
        except CheckpointError as err:
            self.show_message(f"Could not open the checkpoint: {err}", "error")
            return False
        if not self.resume_checkpoint(data, str(path)):
            return False
        self.checkpoint_path = str(path)
        self._opened(str(path), f"Opened {path}: press Play to go on from epoch {data.epoch:,}.")
        return True

    def resume_checkpoint(self, data: Any, label: str) -> bool:
        """Show `data` (a CheckpointData) and hand its restored trainer to the worker, paused."""
        from core.files.checkpoint import CheckpointError, restore_trainer
        from core.data import load_dataset

        try:
            dataset = load_dataset(data.spec)
            trainer = restore_trainer(data, dataset=dataset)
        except CheckpointError as err:
            self.show_message(f"Could not resume the checkpoint: {err}", "error")
            return False
        except Exception as err:  # noqa: BLE001 - its data file is gone, a bad CSV, ...
            self.show_message(f"Could not load the data of {label}: {err}", "error")
            return False
        return self.controller.load_spec(data.spec, None, trainer=trainer)

    # --- model export --------------------------------------------------------------------------------
    def export_model(self, fmt: str | None = None, path: str | Path | None = None) -> Any:
        """File ▸ Export Model…: the dialog, or (with `path`) straight to that file. The model is copied
        between epochs and exported on a background thread. Returns the ExportOutcome (or None)."""
        from app.files.export_dialog import export_model_interactive

        fmt, path = fmt or None, path or None  # a menu action passes its `checked` flag

        def source() -> Any:
            data = self.capture_run("export")
            if data is None:
                raise RuntimeError(self.host.last_message)
            return data

        stem = Path(self.current_path or self.checkpoint_path).stem if (self.current_path
                                                                        or self.checkpoint_path) else None
        outcome = export_model_interactive(self.host, source, fmt, path, stem=stem, spec=self.controller.spec,
                                           settings=self.settings.qsettings)
        if outcome is not None:
            self.show_message(outcome.message, "info" if outcome.ok else "error")
        return outcome

    # --- pictures, numbers, clipboard ----------------------------------------------------------------
    def picture_target(self, key: str) -> QWidget:
        return self.host.picture_views()[key]

    def _ask_save_path(self, title: str, name: str, filters: str, default_suffix: str) -> Path | None:
        start = str(Path(self._start_folder() or Path.home()) / name)
        chosen, selected = QFileDialog.getSaveFileName(self.host, title, start, filters)
        if not chosen:
            return None
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".svg" if "svg" in selected.lower() else default_suffix)
        return path

    def export_picture(self, key: str, path: str | Path | None = None) -> Path | None:
        """File ▸ Export Picture ▸ …: the view as .png or .svg (by suffix). Returns the file or None."""
        from app.files.picture_export import ViewExportError, save_picture

        label, stem = PICTURES[key]
        if not path:  # None, or the `checked` flag of a menu action
            path = self._ask_save_path("Export picture", f"{stem}.png", PICTURE_FILTER, ".png")
            if path is None:
                return None
        try:
            saved = save_picture(self.picture_target(key), path)
        except ViewExportError as err:
            self.show_message(str(err), "error")
            return None
        self.statusBar().showMessage(f"Saved the {label.strip('&…').lower()} picture to {saved}.", 5000)
        return saved

    def export_history(self, path: str | Path | None = None) -> Path | None:
        """File ▸ Export History as CSV…: one row per epoch shown in the loss plot."""
        from app.files.picture_export import ViewExportError, export_history_csv

        if not path:
            path = self._ask_save_path("Export loss history", "loss_history.csv", "CSV table (*.csv)", ".csv")
            if path is None:
                return None
        try:
            saved = export_history_csv(self.host.loss_plot, path)
        except ViewExportError as err:
            self.show_message(str(err), "error")
            return None
        self.statusBar().showMessage(f"Saved {self.host.loss_plot.n_points:,} epochs to {saved}.", 5000)
        return saved

    def copy_view(self) -> QWidget:
        """Edit ▸ Copy View: a picture of the focused view (or the boundary) on the clipboard."""
        from app.files.picture_export import copy_to_clipboard

        target = self.host.focused_view()
        copy_to_clipboard(target)
        self.statusBar().showMessage(f"Copied the {target.accessibleName().lower() or 'view'} to the clipboard.",
                                     3000)
        return target

    # --- autosave and recovery ------------------------------------------------------------------------
    def setup_autosave(self, autosave: bool | AutosaveStore | None) -> None:
        """None: on for the user's real settings (the app), off for in-memory settings (tests)."""
        if autosave is None:
            autosave = self.settings.persistent
        if autosave is False:
            return
        store = autosave if isinstance(autosave, AutosaveStore) else AutosaveStore()
        seconds = AUTOSAVE_SECONDS
        try:
            seconds = float(os.environ.get(ENV_AUTOSAVE_SECONDS, seconds))
        except ValueError:
            pass
        self.autosave = AutosaveController(self._autosave_state, store, interval_ms=int(max(0.1, seconds) * 1000),
                                           parent=self)
        self.autosave.failed.connect(lambda text: self.show_message(text, "warning"))
        self.autosave.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        if not self.current_path:
            self.autosave.mark_dirty()  # an experiment in no file yet: keep it from the first tick
        self.autosave.start()

    def _autosave_state(self) -> AutosaveState:
        """On the GUI thread at each autosave tick: the spec now, and (when trained) a checkpoint
        writer that waits on the autosave thread for a copy the run thread makes between epochs."""
        writer = None
        if self.controller.epoch > 0 and self.controller.worker.running:
            from app.files.run_capture import capture_run

            future = self.controller.worker.call_between_epochs(capture_run)
            spec = self.controller.spec

            def writer(tmp: Path) -> None:
                from core.files.checkpoint import write_checkpoint

                data = future.result(timeout=CAPTURE_TIMEOUT_S)
                data.spec = spec
                write_checkpoint(data, tmp)
        return AutosaveState(self.controller.spec, writer, self.current_path,
                             self.saved_runs() if self.saved_runs else None)

    def autosave_changed(self, snap: Any = None) -> None:
        """The spec changed, or (with a snapshot) the weights moved on: the next tick saves."""
        if self.autosave is None:
            return
        if snap is not None:
            if snap.epoch == self._autosave_epoch:
                return
            self._autosave_epoch = snap.epoch
        self.autosave.mark_dirty()

    def offer_recovery(self, ask: Any = None) -> bool:
        """At start: if a crashed or killed LayerLab left an autosave, ask (`ask(parent, recovery)` ->
        True restore / False discard / None later) and restore it. True when something was restored."""
        if self.autosave is None:
            return False
        recovery = self.autosave.offer_recovery(self.host, ask)
        if recovery is None:
            return False
        if not self.restore_recovery(recovery):
            return False
        self.autosave.adopt_recovery(recovery)
        return True

    def restore_recovery(self, recovery: Any) -> bool:
        """Load an autosave (spec, and the trained run when it has a checkpoint); marked unsaved."""
        restored = False
        if recovery.checkpoint_path is not None:
            from core.files.checkpoint import CheckpointError, load_checkpoint

            try:
                data = load_checkpoint(recovery.checkpoint_path)
                data.spec = recovery.spec
                restored = self.resume_checkpoint(data, "the autosave")
            except CheckpointError as err:
                self.show_message(f"The autosaved weights could not be restored ({err}); restoring the "
                                  "experiment with fresh weights.", "warning")
        if not restored and not self.controller.load_spec(recovery.spec, None):
            return False
        if recovery.runs and self.restore_runs is not None:
            self.restore_runs(recovery.runs)
        self.current_path = recovery.source_path
        self.checkpoint_path = None
        self.controller.undo_stack.resetClean()  # nothing on disk holds this state: keep the unsaved mark
        self.host.setWindowModified(True)
        self.update_title()
        self.statusBar().showMessage(f"Restored the autosave from {recovery.saved_at:%H:%M:%S}.", 5000)
        return True

    def stop_autosave(self) -> None:
        """A clean exit: stop the timer and remove this session's autosave (nothing to recover)."""
        if self.autosave is not None:
            self.autosave.stop(clean=True)

    def close_event(self, event: QCloseEvent) -> bool:
        """Ask about unsaved changes; False (event ignored) when the user cancels."""
        if self.confirm_unsaved():
            return True
        event.ignore()
        return False
