"""RunKeeper: records the live run from the controller's snapshots and keeps it in the run list
when it ends (a stop condition or the epoch limit) or is thrown away (Reset, Regenerate, a change
that resets the weights, opening another experiment). Runs of 0 epochs are not kept.

Kept runs are part of the document: keeping, renaming or deleting one emits `edited` (the window
marks itself unsaved and autosaves them) and `unsaved` stays True until the file is saved or replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.files.session_files import looks_like_checkpoint
from core.runs import RunList, RunRecord, RunRecorder
from core.runs.run_list import read_runs
from core.training.snapshot import RunState


class RunKeeper(QObject):
    """The run list of the experiment shown; `changed` after every add, delete, rename or load."""

    changed = Signal()
    edited = Signal()       # a run was kept, renamed or deleted: unsaved work (a load is not an edit)
    kept = Signal(object)   # the RunRecord just added
    problem = Signal(str)   # runs in an opened file that could not be read (they are skipped)

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runs = RunList()
        self.recorder = RunRecorder(controller.spec.to_dict())
        self._last_state = RunState.idle
        self._live_kept: RunRecord | None = None  # the live run's record, kept when a stop ended it
        self.unsaved = False                      # runs edited since the file was saved or opened
        self._saved_form: list[dict] | None = None  # cached: autosave reads it every few seconds
        self.changed.connect(self._forget_saved_form)
        self.colours: dict[int, tuple] = {}       # id(run) -> the colour it had where it was made (a sweep)
        controller.snapshotArrived.connect(self._on_snapshot)
        controller.restarted.connect(self._on_restarted)
        controller.specEdited.connect(self._on_spec_edited)
        controller.documentReplaced.connect(self._on_document)
        controller.resumed.connect(self._on_resumed)

    # --- following the live run -------------------------------------------------------------------
    def _on_snapshot(self, snap: Any) -> None:
        self.recorder.add(snap.history, snap.best_epoch, snap.epochs_per_second)
        self._last_state = snap.state
        if snap.state == RunState.finished:  # a stop condition or the epoch limit ended it; Play goes on
            self.keep_current("stopped early" if snap.message else "finished", close=False)

    def _on_spec_edited(self) -> None:
        """A live change (learning rate, batch size ...): the run's record says what it ended with."""
        if not self.recorder.closed:
            self.recorder.spec = self.controller.spec.to_dict()

    def _on_restarted(self) -> None:
        ended = "diverged" if self._last_state == RunState.diverged else "reset"
        self.keep_current(ended)
        self.recorder = RunRecorder(self.controller.spec.to_dict())
        self._last_state = RunState.idle
        self._live_kept = None

    def _on_resumed(self, history: list, epoch: int) -> None:
        self.recorder.add(history)

    def keep_current(self, ended: str, close: bool = True) -> RunRecord | None:
        """Keep the live run now (None if it trained no epoch or was kept already). A run kept when
        a stop ended it and then trained on replaces its earlier record, keeping its name."""
        if self.recorder.closed:
            return None
        earlier = self._live_kept
        if earlier is not None and not any(r is earlier for r in self.runs):
            earlier = None  # deleted meanwhile: keep it anew
        if earlier is not None and self.recorder.epochs <= earlier.epochs:
            self.recorder.closed = close
            return None  # nothing trained since it was kept
        run = self.recorder.finish(earlier.name if earlier is not None else "", ended, close=close)
        if run is None:
            return None
        if earlier is not None:  # updated in place: the list keeps its colour and tick
            vars(earlier).update(vars(run))
            self._edited()
            run = earlier
        else:
            self.add(run)
        self._live_kept = run
        return run

    def add(self, run: RunRecord | None, colour: tuple | None = None) -> RunRecord | None:
        """Keep `run`; `colour` (r, g, b): the one it had where it was made, which the run list keeps."""
        if run is None:
            return None
        if colour is not None:
            self.colours[id(run)] = tuple(colour)
        self.runs.add(run)
        self.kept.emit(run)
        self._edited()
        return run

    def _edited(self) -> None:
        self.unsaved = True
        self.changed.emit()
        self.edited.emit()

    def _forget_saved_form(self) -> None:
        self._saved_form = None

    def mark_saved(self) -> None:
        """The runs shown are those of the file (just saved or opened), or of a new experiment."""
        self.unsaved = False

    # --- the document ------------------------------------------------------------------------------
    def _on_document(self, path: str | None) -> None:
        """Another experiment replaces this one: its own runs (from its file) replace these, and the
        live run, which belonged to the old one, is dropped."""
        self.recorder.closed = True
        self.load_from(path)

    def load_from(self, path: str | Path | None) -> list[str]:
        """The runs saved in the experiment file at `path` (none for no file or a checkpoint)."""
        problems: list[str] = []
        self.colours.clear()
        if path and Path(path).is_file() and not looks_like_checkpoint(path):
            self.runs, problems = read_runs(path)
        else:
            self.runs = RunList()
        self.changed.emit()
        self._report(problems, Path(path).name if path else "the file")
        return problems

    def restore(self, saved: list) -> list[str]:
        """Runs recovered from an autosave (their saved form); unsaved until the user saves them."""
        self.colours.clear()
        self.runs, problems = RunList.from_json(saved)
        self._edited()
        self._report(problems, "the autosave")
        return problems

    def _report(self, problems: list[str], where: str) -> None:
        if problems:
            self.problem.emit(f"Some kept runs in {where} could not be read and were skipped: "
                              + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""))

    def saved_form(self) -> list[dict]:
        """The runs as files hold them; built once per change (a new list, never mutated after)."""
        if self._saved_form is None:
            self._saved_form = self.runs.to_json()
        return self._saved_form

    # --- edits from the list ----------------------------------------------------------------------
    def remove(self, *indices: int) -> None:
        """Forget the runs at these indices of the list."""
        for index in sorted(set(indices), reverse=True):
            self.colours.pop(id(self.runs.remove(index)), None)
        if indices:
            self._edited()

    def rename(self, index: int, name: str) -> None:
        before = self.runs[index].name
        self.runs.rename(index, name)
        if self.runs[index].name != before:
            self._edited()

    def differences(self, run: RunRecord) -> str:
        from core.runs import describe_differences

        return describe_differences(run.spec, self.controller.spec.to_dict())

    def write_csv(self, path: str | Path, curves_path: str | Path | None = None) -> None:
        """The runs table (one row per run) and, when asked, their curves in long form."""
        from core.files.atomic import atomic_write_text

        atomic_write_text(Path(path), self.runs.runs_csv(self.controller.spec.to_dict()))
        if curves_path is not None:
            atomic_write_text(Path(curves_path), self.runs.curves_csv())
