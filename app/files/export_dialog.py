"""File > Export Model…: choose a format and a file, export off the GUI thread, show the check result.

Wiring in MainWindow (the lead):

    act = file_menu.addAction("Export Model…")          # objectName "exportModelAction"
    act.triggered.connect(lambda: export_model_interactive(
        self, self._export_source, spec=self.spec, stem=current_file_stem_or_None, settings=qsettings_or_None))
    def _export_source(self):   # GUI thread, called when the user presses Export
        self.pause_training()   # or return (spec, dataset, copy_of_model) captured between epochs
        return self.trainer

`trainer_provider()` may return a Trainer or a (spec, dataset, model) tuple; for the three model
formats the model is deep-copied on the GUI thread before the export thread starts, so training
may resume at once; a checkpoint is captured with core.files.checkpoint.capture_checkpoint (call it with
training paused). The export and its verification (torch.jit.load, onnxruntime on batches of 1, 7
and 1000, or running the generated code; a checkpoint is loaded back safely) run on a background
thread while the dialog shows a busy bar; ONNX takes a few seconds. A failed export shows the
error and leaves no file. `export_model_interactive(parent, provider, fmt, path)` with a path
runs without any dialog (tests, scripts) and returns the ExportOutcome.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from core.export.formats import FORMATS as EXPORT_FORMATS
from core.export.formats import ExportFormat

# The dialog's formats, from the records: the model formats first, then the whole run.
FORMATS: dict[str, ExportFormat] = {name: EXPORT_FORMATS[name] for name in
                                    EXPORT_FORMATS.names(kind="model") + EXPORT_FORMATS.names(kind="run")}
_SETTINGS_FOLDER = "export/lastFolder"
_SETTINGS_FORMAT = "export/lastFormat"


def format_for_path(path: str | Path) -> str | None:
    """The format a file name implies (.onnx, .py, .ckpt, .pt = TorchScript), or None."""
    name = Path(path).name.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.suffix):
            return fmt.name
    return "torchscript" if name.endswith(".pt") else None


def suggested_name(fmt: str, stem: str | None = None, spec: Any = None) -> str:
    """e.g. 'spiral_model.onnx': the open file's stem, else the data set's name."""
    if not stem:
        source = getattr(getattr(getattr(spec, "data", None), "source", None), "value", None)
        stem = f"{source}_model" if source else "model"
    return f"{stem}{FORMATS[fmt].suffix}"


@dataclass(frozen=True)
class ExportOutcome:
    """The result shown to the user: ok + one message line, and core's ExportReport when there is one."""

    ok: bool
    message: str
    fmt: str
    path: Path
    report: Any = None  # core.export.ExportReport (or the exporter's report)


Exporter = Callable[[Any, Path, str], Any]  # (source, path, fmt) -> report with max_abs_diff, files


def _default_exporter(source: Any, path: Path, fmt: str) -> Any:
    if fmt == "checkpoint":
        return _export_checkpoint(source, path)
    from core.export import export_model

    return export_model(source, path, fmt)


def part_exporter(part: str) -> Exporter:
    """An exporter writing one part of an autoencoder: "encoder", "decoder" or "all" (the whole model)."""

    def export(source: Any, path: Path, fmt: str) -> Any:
        from core.export import export_model

        return export_model(source, path, fmt, part=part)

    return export


# the export dialog's part choices for an autoencoder: (label, part)
PARTS = (("Whole autoencoder (inputs → reconstruction)", "all"), ("Encoder (inputs → latent code)", "encoder"),
         ("Decoder (latent code → reconstruction)", "decoder"))


def _export_checkpoint(data: Any, path: Path) -> Any:
    """Save, then load back with the safe loader and compare every tensor; remove the file if it differs."""
    import torch

    from core.files.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    save_checkpoint(data, path)
    try:
        loaded = load_checkpoint(path)
        worst = 0.0
        for name, tensor in data.model_state.items():
            back = loaded.model_state.get(name)
            if back is None or back.shape != tensor.shape:
                raise CheckpointError(f"{path}: weight '{name}' did not survive the round trip")
            if tensor.numel():
                worst = max(worst, float((back.double() - tensor.double().cpu()).abs().max()))
        if worst > 0.0:
            raise CheckpointError(f"{path}: weights read back differ by {worst:.3g}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    from core.export import ExportReport

    return ExportReport(path, "checkpoint", worst, (path,),
                        n_checked=sum(t.numel() for t in data.model_state.values()))


def prepare_source(source: Any, fmt: str) -> Any:
    """On the GUI thread: a private copy for the export thread, so training can carry on meanwhile."""
    if fmt == "checkpoint":
        from core.files.checkpoint import CheckpointData, capture_checkpoint

        return source if isinstance(source, CheckpointData) else capture_checkpoint(source)
    if isinstance(source, tuple):
        spec, dataset, model = source
    else:
        spec, dataset, model = source.spec, source.dataset, source.model
    return spec, dataset, copy.deepcopy(model)


def describe_success(report: Any, fmt: str) -> str:
    """'Exported spiral_model.onnx — checked in onnxruntime on 1000 inputs, max difference 3.1e-07'."""
    info = FORMATS[fmt]
    files = [Path(f) for f in getattr(report, "files", ()) or (report.path,)]
    name = Path(report.path).name
    extra = [f.name for f in files if f.name != name]
    written = name + (f" (+ {', '.join(extra)})" if extra else "")
    if fmt == "checkpoint":
        n = getattr(report, "n_checked", None)
        what = f"{n} weights" if n else "its weights"
        return (f"Exported {written} — loaded back with {info.checked_with}, {what} identical "
                f"(max difference {report.max_abs_diff:.2g})")
    n = getattr(report, "n_checked", 0) or "sample"
    return f"Exported {written} — checked in {info.checked_with} on {n} inputs, max difference {report.max_abs_diff:.2g}"


def run_export(source: Any, path: str | Path, fmt: str, exporter: Exporter | None = None) -> ExportOutcome:
    """Blocking export + verification (any thread). Never raises for a failed export: see outcome.ok."""
    path = Path(path).expanduser()
    try:
        report = (exporter or _default_exporter)(source, path, fmt)
    except Exception as err:  # ExportError, CheckpointError, WriteError, or a bug: show it, keep the GUI alive
        message = str(err) or type(err).__name__
        known = type(err).__name__ in ("ExportError", "CheckpointError", "WriteError")
        if not known:
            message = f"{type(err).__name__}: {message}"
        return ExportOutcome(False, f"Export failed: {message}", fmt, path)
    return ExportOutcome(True, describe_success(report, fmt), fmt, path, report)


class ExportJob(QObject):
    """Runs one export on a background thread; `finished(ExportOutcome)` arrives on the GUI thread."""

    finished = Signal(object)

    def __init__(self, source: Any, path: Path, fmt: str, exporter: Exporter | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._args = (source, path, fmt, exporter)
        self._thread: threading.Thread | None = None
        self._loop: QEventLoop | None = None
        self.outcome: ExportOutcome | None = None
        self.finished.connect(self._store)

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: self.finished.emit(run_export(*self._args)),
                                        name="layerlab-export", daemon=True)
        self._thread.start()

    def _store(self, outcome: ExportOutcome) -> None:
        self.outcome = outcome
        if self._loop is not None:
            self._loop.quit()

    @property
    def running(self) -> bool:
        return self.outcome is None and self._thread is not None

    def wait(self) -> ExportOutcome | None:
        """Keep the GUI responsive (local event loop) until the export is done."""
        if self._thread is None:
            return self.outcome
        if self.outcome is None:
            self._loop = QEventLoop()
            if not self._thread.is_alive():
                QCoreApplication.sendPostedEvents(self)  # the result is already queued
            if self.outcome is None:
                self._loop.exec()
            self._loop = None
        self._thread.join()
        return self.outcome


class ExportDialog(QDialog):
    """Format combo, file field with Browse…, Export button, busy bar and the verification result."""

    exported = Signal(object)  # ExportOutcome, success or failure

    def __init__(self, trainer_provider: Callable[[], Any], parent: QWidget | None = None, *,
                 fmt: str | None = None, stem: str | None = None, spec: Any = None,
                 settings: QSettings | None = None, exporter: Exporter | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Model")
        self.setMinimumWidth(560)
        self._provider = trainer_provider
        self._exporter = exporter
        self._settings = settings
        self._stem = stem
        self._name_spec = spec
        self.job: ExportJob | None = None
        self.last_outcome: ExportOutcome | None = None

        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormatCombo")
        self.format_combo.setAccessibleName("Export format")
        for f in FORMATS.values():
            self.format_combo.addItem(f.label, f.name)
            self.format_combo.setItemData(self.format_combo.count() - 1, f.description, Qt.ItemDataRole.ToolTipRole)
        self.description = QLabel(wordWrap=True)
        self.description.setObjectName("exportFormatDescription")

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("exportPathEdit")
        self.path_edit.setAccessibleName("Export file")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setObjectName("exportBrowseButton")
        self.browse_button.setAccessibleName("Choose export file")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        self.busy = QProgressBar()
        self.busy.setObjectName("exportBusyBar")
        self.busy.setRange(0, 0)  # indeterminate: ONNX export + check takes a few seconds
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy_label = QLabel("Exporting and checking the file against the live model…")
        self.result_label = QLabel(wordWrap=True)
        self.result_label.setObjectName("exportResultLabel")
        self.result_label.setAccessibleName("Export result")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setObjectName("exportButton")
        self.export_button.setAccessibleName("Export")
        self.export_button.setDefault(True)
        self.buttons.rejected.connect(self.reject)

        # an autoencoder exports whole or as its encoder or decoder half (model formats only)
        self.part_combo = QComboBox()
        self.part_combo.setObjectName("exportPartCombo")
        self.part_combo.setAccessibleName("Part of the autoencoder")
        for label, part in PARTS:
            self.part_combo.addItem(label, part)
        self._autoencoder = getattr(getattr(spec, "task", None), "value", None) == "autoencoder"
        form = QFormLayout()
        form.addRow("Format:", self.format_combo)
        form.addRow("", self.description)
        form.addRow("Part:", self.part_combo)
        self._part_label = form.labelForField(self.part_combo)
        form.addRow("File:", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._set_busy(False)

        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.part_combo.currentIndexChanged.connect(self._part_changed)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.start_export)
        remembered = settings.value(_SETTINGS_FORMAT) if settings is not None else None
        start_fmt = fmt or (remembered if remembered in FORMATS else "onnx")
        self.format_combo.setCurrentIndex(list(FORMATS).index(start_fmt))
        self._format_changed()

    # --- state ----------------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return self.format_combo.currentData()

    def _folder(self) -> Path:
        saved = self._settings.value(_SETTINGS_FOLDER) if self._settings is not None else None
        return Path(saved) if isinstance(saved, str) and Path(saved).is_dir() else Path.home()

    @property
    def part(self) -> str:
        return str(self.part_combo.currentData()) if self.part_combo.isVisibleTo(self) else "all"

    def _format_changed(self) -> None:
        info = FORMATS[self.fmt]
        for widget in (self.part_combo, self._part_label):
            widget.setVisible(self._autoencoder and info.kind == "model")
        self.description.setText(info.description)
        current = self.path_edit.text().strip()
        if not current:
            self.path_edit.setText(str(self._folder() / suggested_name(self.fmt, self._stem, self._name_spec)))
            return
        old = format_for_path(current)
        if old is not None and old != self.fmt:  # swap the suffix, keep the name the user chose
            self.path_edit.setText(current[: len(current) - len(FORMATS[old].suffix)] + info.suffix
                                   if current.lower().endswith(FORMATS[old].suffix)
                                   else current[:-3] + info.suffix)

    def _part_changed(self) -> None:
        """digits_model.onnx -> digits_encoder.onnx: the suggested name follows the part."""
        path = Path(self.path_edit.text().strip())
        for word in ("model", "encoder", "decoder"):
            if word in path.name:
                self.path_edit.setText(str(path.with_name(path.name.replace(word, "model" if self.part == "all"
                                                                            else self.part, 1))))
                return

    def browse(self) -> None:
        info = FORMATS[self.fmt]
        chosen, _ = QFileDialog.getSaveFileName(self, "Export Model", self.path_edit.text(),
                                                f"{info.label} (*{info.suffix});;All files (*)")
        if chosen:
            if format_for_path(chosen) != self.fmt:
                chosen += info.suffix
            self.path_edit.setText(chosen)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)
        for w in (self.format_combo, self.part_combo, self.path_edit, self.browse_button, self.export_button):
            w.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(not busy)

    # --- exporting ------------------------------------------------------------------------------
    def start_export(self) -> None:
        """Validate the path, copy the model, and export on a background thread."""
        text = self.path_edit.text().strip()
        if not text:
            self._show(ExportOutcome(False, "Choose a file to export to.", self.fmt, Path()))
            return
        path = Path(text).expanduser()
        if path.exists() and not path.is_dir():
            answer = QMessageBox.question(self, "Replace file?", f"{path.name} already exists in "
                                          f"{path.parent}. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            source = prepare_source(self._provider(), self.fmt)
        except Exception as err:  # noqa: BLE001 - e.g. no model yet
            self._show(ExportOutcome(False, f"Export failed: nothing to export yet ({err})", self.fmt, path))
            return
        self.result_label.clear()
        self._set_busy(True)
        exporter = self._exporter or (part_exporter(self.part) if self.part != "all" else None)
        self.job = ExportJob(source, path, self.fmt, exporter, parent=self)
        self.job.finished.connect(self._finished)
        self.job.start()

    def _finished(self, outcome: ExportOutcome) -> None:
        if outcome is self.last_outcome:  # already shown by wait()
            return
        self._set_busy(False)
        if outcome.ok and self._settings is not None:
            self._settings.setValue(_SETTINGS_FOLDER, str(outcome.path.parent))
            self._settings.setValue(_SETTINGS_FORMAT, outcome.fmt)
        self._show(outcome)
        self.exported.emit(outcome)

    def _show(self, outcome: ExportOutcome) -> None:
        self.last_outcome = outcome
        color = "#1b7f3b" if outcome.ok else "#b3261e"
        self.result_label.setStyleSheet(f"color: {color};")
        self.result_label.setText(("✓ " if outcome.ok else "✗ ") + outcome.message)

    def wait(self) -> ExportOutcome | None:
        """Block (GUI still responsive) until a running export finishes."""
        if self.job is not None:
            outcome = self.job.wait()
            if outcome is not None and outcome is not self.last_outcome:
                # the job's own slot ended the wait; ours may still be queued behind it
                self._finished(outcome)
        return self.last_outcome

    def reject(self) -> None:
        if self.job is not None and self.job.running:
            return  # the export thread still writes: Close is disabled until it is done
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.job is not None and self.job.running:
            event.ignore()
            return
        super().closeEvent(event)


def export_model_interactive(parent: QWidget | None, trainer_provider: Callable[[], Any], fmt: str | None = None,
                             path: str | Path | None = None, *, stem: str | None = None, spec: Any = None,
                             settings: QSettings | None = None,
                             exporter: Exporter | None = None) -> ExportOutcome | None:
    """File > Export Model…. Without `path`: the modal dialog; returns the last export's outcome or None.

    With `path` (tests, scripts): no dialog at all; `fmt` defaults to what the suffix implies. The
    export still runs on a background thread while a local event loop keeps the GUI responsive.
    """
    if path is None:
        dialog = ExportDialog(trainer_provider, parent, fmt=fmt, stem=stem, spec=spec, settings=settings,
                              exporter=exporter)
        dialog.exec()
        dialog.wait()
        outcome = dialog.last_outcome
        dialog.deleteLater()
        return outcome
    path = Path(path)
    fmt = fmt or format_for_path(path)
    if fmt not in FORMATS:
        return ExportOutcome(False, f"Export failed: cannot tell the format from '{path.name}'; use "
                             f"{', '.join(f.suffix for f in FORMATS.values())} or pass fmt", str(fmt), path)
    try:
        source = prepare_source(trainer_provider(), fmt)
    except Exception as err:  # noqa: BLE001
        return ExportOutcome(False, f"Export failed: nothing to export yet ({err})", fmt, path)
    job = ExportJob(source, path, fmt, exporter)
    job.start()
    outcome = job.wait()
    job.deleteLater()
    return outcome
