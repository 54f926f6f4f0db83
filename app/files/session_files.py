"""What the window's File menu needs besides the dialogs: tell checkpoints from experiment files,
wait for the training thread without freezing, and ask about unsaved changes. Imports no torch
(the window must paint before torch loads); capturing a run lives in app.files.run_capture.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QMessageBox, QWidget

CHECKPOINT_SUFFIXES = (".ckpt", ".pt", ".pth")
OPEN_FILTER = ("LayerLab files (*.json *.ckpt *.pt);;Experiments (*.json);;Checkpoints (*.ckpt *.pt);;"
               "All files (*)")
CHECKPOINT_FILTER = "LayerLab checkpoints (*.ckpt);;All files (*)"
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format; an experiment file is JSON text

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def looks_like_checkpoint(path: str | Path) -> bool:
    """True for .ckpt/.pt/.pth names, or any file in torch.save's zip format."""
    path = Path(path)
    if path.suffix.lower() in CHECKPOINT_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == _ZIP_MAGIC
    except OSError:
        return False


def wait_for(future: Future, timeout_s: float = 60.0) -> Any:
    """The future's result; meanwhile the window keeps painting (user input waits). Raises
    TimeoutError if the run did not reach the end of its epoch in time, or the job's own error."""
    deadline = time.monotonic() + timeout_s
    while not future.done():
        if time.monotonic() > deadline:
            future.cancel()
            raise TimeoutError(f"the training thread did not finish its epoch within {timeout_s:g} s")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
        try:
            return future.result(timeout=0.01)
        except TimeoutError:
            continue
    return future.result()


def ask_unsaved_changes(parent: QWidget | None, name: str) -> str:
    """Save / Discard / Cancel for an experiment with unsaved changes; returns SAVE, DISCARD or CANCEL."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save the changes to {name}?")
    box.setInformativeText("Your changes to the data, network or settings are lost if you don't save them.")
    box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                           | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return DISCARD
    return CANCEL
