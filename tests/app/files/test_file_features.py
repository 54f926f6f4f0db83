"""Autosave in the window, model export dialog, pictures, CSV, clipboard and recent files."""

import json
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch

import app  # noqa: F401 - sets pyqtgraph's binding and options
import pyqtgraph as pg
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QWidget

from app.files.autosave import AutosaveController
from app.files.export_dialog import (ExportDialog, ExportOutcome, export_model_interactive, format_for_path,
                               suggested_name)
from app.files.picture_export import (ViewExportError, build_export_picture_menu, copy_to_clipboard,
                                export_history_csv, save_picture)
from app.files.recent_files import RecentFiles
from core.files.autosave import MANIFEST, AutosaveState, AutosaveStore
from core.training.history import LossHistory
from core.training.snapshot import EpochRecord
from core.spec import Experiment

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def trainer():
    from core.training.trainer import Trainer

    torch.set_num_threads(1)
    t = Trainer(Experiment().replace(data={"source": "gauss", "samples": 200}, epochs=5, engine="torch"))
    for _ in range(3):
        t.train_epoch()
    return t


def _kill_lock(folder: Path) -> None:
    """Make a session look like it belonged to a process that died."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    (folder / "lock").write_text(json.dumps({"pid": proc.pid}))


# --- autosave ------------------------------------------------------------------------------------

def test_autosave_writes_after_a_change_and_only_then(qtbot, tmp_path):
    spec = {"value": Experiment().replace(seed=11)}
    calls = []

    def get_state():
        calls.append(1)
        return spec["value"]

    ctl = AutosaveController(get_state, AutosaveStore(tmp_path / "auto"), interval_ms=20)
    ctl.start()
    qtbot.wait(100)
    assert calls == [], "nothing changed, so nothing should be saved"
    assert not (ctl.session_dir / MANIFEST).exists()

    spec["value"] = spec["value"].replace(seed=12)
    with qtbot.waitSignal(ctl.saved, timeout=5000):
        ctl.mark_dirty()
    manifest = json.loads((ctl.session_dir / MANIFEST).read_text())
    assert manifest["spec"]["seed"] == 12
    assert not ctl.dirty
    qtbot.wait(100)
    assert len(calls) == 1, "saved again although nothing changed"

    folder = ctl.session_dir
    ctl.stop()
    assert not folder.exists(), "a clean exit must leave nothing to recover"


def test_autosaved_checkpoint_restores_the_trained_weights(qtbot, tmp_path, trainer):
    from core.files.checkpoint import capture_checkpoint, load_checkpoint, write_checkpoint

    def get_state():
        data = capture_checkpoint(trainer)  # copied now, written on the save thread
        return AutosaveState(trainer.spec, lambda p: write_checkpoint(data, p), "/tmp/gauss.json")

    ctl = AutosaveController(get_state, AutosaveStore(tmp_path / "auto"), interval_ms=10_000)
    ctl.start()
    ctl.mark_dirty()
    assert ctl.save_now(wait=True)
    _kill_lock(ctl.session_dir)  # as if the window had crashed

    asked = []
    later = AutosaveController(lambda: None, AutosaveStore(tmp_path / "auto"))
    rec = later.offer_recovery(None, ask=lambda parent, r: asked.append(r.describe()) or True)
    assert asked and "with trained weights" in asked[0] and "gauss.json" in asked[0]
    restored = load_checkpoint(rec.checkpoint_path)
    assert restored.epoch == trainer.epoch
    for name, tensor in trainer.model.state_dict().items():
        assert torch.equal(restored.model_state[name], tensor.cpu())


def test_recovery_answers_restore_discard_and_later(qtbot, tmp_path):
    root = tmp_path / "auto"
    dead = AutosaveStore(root)
    _kill_lock(dead.save(Experiment().replace(seed=99)))

    spec = {"value": Experiment()}
    ctl = AutosaveController(lambda: spec["value"], AutosaveStore(root), threaded=False)
    assert ctl.offer_recovery(None, ask=lambda p, r: None) is None
    assert AutosaveStore.find_recoverable(root) is not None, "'decide next time' must keep the files"

    rec = ctl.offer_recovery(None, ask=lambda p, r: True)
    assert rec.spec.seed == 99
    spec["value"] = rec.spec  # the window now shows the restored experiment
    ctl.adopt_recovery(rec)
    assert not rec.folder.exists()
    assert json.loads((ctl.session_dir / MANIFEST).read_text())["spec"]["seed"] == 99

    _kill_lock(AutosaveStore(root).save(Experiment().replace(seed=5)))
    assert ctl.offer_recovery(None, ask=lambda p, r: False) is None
    assert AutosaveStore.find_recoverable(root) is None, "discard must delete the files"
    ctl.stop()


def test_autosave_failure_is_reported_once_with_advice(qtbot, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    ctl = AutosaveController(lambda: Experiment(), AutosaveStore(blocker / "auto"), threaded=False)
    messages = []
    ctl.failed.connect(messages.append)
    ctl.mark_dirty()
    assert not ctl.save_now()
    ctl.mark_dirty()
    assert not ctl.save_now()
    assert len(messages) == 1
    assert str(blocker) in messages[0] and "File > Save" in messages[0]
    assert ctl.dirty, "a failed save must be retried on the next tick"


def test_corrupt_autosave_is_announced_not_offered(qtbot, tmp_path):
    root = tmp_path / "auto"
    folder = AutosaveStore(root).save(Experiment())
    _kill_lock(folder)
    (folder / MANIFEST).write_text("{ truncated")
    ctl = AutosaveController(lambda: None, AutosaveStore(root))
    with qtbot.waitSignal(ctl.message) as blocker:
        assert ctl.offer_recovery(None, ask=lambda p, r: pytest.fail("a corrupt autosave was offered")) is None
    assert "moved to" in blocker.args[0]


# --- pictures ------------------------------------------------------------------------------------

class _Diagram(QWidget):
    """A plain painted widget, like the network diagram."""

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("white"))
        p.setPen(QColor("#f59322"))
        p.drawEllipse(10, 10, 40, 40)
        p.drawLine(50, 30, 150, 80)
        p.end()


def _views(qtbot):
    boundary = pg.PlotWidget()
    boundary.addItem(pg.ImageItem(np.random.default_rng(0).random((20, 20))))
    boundary.plot([0, 5, 10], [0, 10, 5], pen=None, symbol="o")
    loss = pg.GraphicsLayoutWidget()
    loss.addPlot(row=0, col=0).plot(np.arange(50), np.exp(-np.arange(50) / 10))
    loss.addPlot(row=1, col=0).plot(np.arange(50), np.linspace(0.5, 1, 50))
    diagram = _Diagram()
    views = {"boundary": boundary, "loss": loss, "network": diagram}
    for w in views.values():
        qtbot.addWidget(w)
        w.resize(320, 240)
        w.show()
    qtbot.waitExposed(diagram)
    return views


def test_views_export_as_png_and_svg(qtbot, tmp_path):
    for name, view in _views(qtbot).items():
        png = save_picture(view, tmp_path / f"{name}.png").read_bytes()
        assert png.startswith(PNG_MAGIC), name
        svg_path = save_picture(view, tmp_path / f"{name}.svg")
        root = ET.parse(svg_path).getroot()
        assert root.tag.endswith("svg"), name
        assert len(list(root.iter())) > 3, f"{name}: the SVG has nothing drawn in it"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}.{ext}" for n in ("boundary", "loss", "network") for ext in ("png", "svg")), "temp files left"


def test_network_svg_is_vector(qtbot, tmp_path):
    text = save_picture(_views(qtbot)["network"], tmp_path / "net.svg").read_text()
    assert "<svg" in text and ("<ellipse" in text or "<path" in text or "<circle" in text)


def test_copy_to_clipboard_puts_the_view_there(qtbot):
    view = _views(qtbot)["boundary"]
    QGuiApplication.clipboard().clear()
    copy_to_clipboard(view)
    pixmap = QGuiApplication.clipboard().pixmap()
    assert not pixmap.isNull()
    assert pixmap.size() == view.grab().size()


def test_unwritable_or_missing_folder_gives_a_clear_error_and_no_file(qtbot, tmp_path):
    view = _views(qtbot)["network"]
    missing = tmp_path / "nope" / "pic.png"
    with pytest.raises(ViewExportError, match=r"does not exist.*Choose another folder"):
        save_picture(view, missing)
    assert not missing.parent.exists()
    with pytest.raises(ViewExportError, match="png or .svg"):
        save_picture(view, tmp_path / "pic.gif")
    with pytest.raises(ViewExportError, match="does not exist"):
        export_history_csv([], tmp_path / "nope" / "h.csv")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_gives_a_clear_error_and_no_file(qtbot, tmp_path):
    view = _views(qtbot)["network"]
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ViewExportError, match="not writable"):
            save_picture(view, folder / "pic.svg")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_history_csv_round_trip(tmp_path):
    history = LossHistory()
    history.extend(EpochRecord(epoch=i, step=10 * i, train_loss=1.0 / i, test_loss=1.5 / i,
                               train_accuracy=0.5 + i / 100, test_accuracy=None) for i in range(1, 6))
    path = export_history_csv(history, tmp_path / "h.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("epoch,step,train_loss,test_loss,train_accuracy,test_accuracy")
    assert len(lines) == 6
    assert lines[2].split(",")[:4] == ["2", "20", "0.5", "0.75"]
    columns = {"epoch": np.array([1.0, 2.0]), "train_loss": np.array([0.25, np.nan])}
    assert export_history_csv(columns, tmp_path / "c.csv").read_text() == "epoch,train_loss\n1,0.25\n2,\n"


def test_export_picture_menu_lists_each_view(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = build_export_picture_menu(parent, {"Decision Boundary": parent, "Loss Plot": lambda: parent})
    assert [a.text() for a in menu.actions()] == ["Decision Boundary…", "Loss Plot…"]


# --- recent files --------------------------------------------------------------------------------

def test_recent_files_keep_eight_newest_prune_missing_and_clear(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    recent = RecentFiles(settings)
    files = []
    for i in range(10):
        f = tmp_path / f"exp{i}.json"
        f.write_text("{}")
        files.append(f)
        recent.add(f)
    recent.add(files[5])  # reopened: moves to the top, not duplicated
    assert recent.paths() == [files[5], files[9], files[8], files[7], files[6], files[4], files[3], files[2]]
    files[8].unlink()
    assert files[8] not in recent.paths()
    assert RecentFiles(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)).paths()[0] == files[5]

    opened = []
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = recent.build_menu(parent, opened.append)
    file_actions = [a for a in menu.actions() if a.data()]
    assert len(file_actions) == 7 and file_actions[0].text() == "&1 exp5.json"
    file_actions[1].trigger()
    assert opened == [files[9]]
    clear = menu.findChild(type(file_actions[0]), "clearRecentFilesAction")
    clear.trigger()
    assert recent.paths() == []
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions() if a.text()] == ["No Recent Files", "Clear Recent Files"]


# --- model export --------------------------------------------------------------------------------

def test_format_and_name_helpers():
    assert format_for_path("a/m.onnx") == "onnx"
    assert format_for_path("m.torchscript.pt") == "torchscript" and format_for_path("m.pt") == "torchscript"
    assert format_for_path("m.ckpt") == "checkpoint" and format_for_path("m.py") == "python"
    assert format_for_path("m.txt") is None
    assert suggested_name("onnx", spec=Experiment().replace(data={"source": "spiral"})) == "spiral_model.onnx"
    assert suggested_name("python", stem="my_run") == "my_run.py"


@pytest.mark.parametrize("fmt,name,checker", [
    ("onnx", "model.onnx", "onnxruntime"),
    ("torchscript", "model.torchscript.pt", "torch.jit.load"),
    ("python", "model.py", "generated code"),
    ("checkpoint", "model.ckpt", "safe loader"),
])
def test_export_without_dialog_writes_and_verifies(qtbot, tmp_path, trainer, fmt, name, checker):
    outcome = export_model_interactive(None, lambda: trainer, path=tmp_path / name)
    assert outcome.ok, outcome.message
    assert outcome.fmt == fmt
    assert outcome.message.startswith(f"Exported {name}")
    assert checker in outcome.message and "max difference" in outcome.message
    assert (tmp_path / name).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_checkpoint_export_reloads_and_resumes(qtbot, tmp_path, trainer):
    from core.files.checkpoint import load_checkpoint, restore_trainer

    assert export_model_interactive(None, lambda: trainer, path=tmp_path / "run.ckpt").ok
    resumed = restore_trainer(load_checkpoint(tmp_path / "run.ckpt"))
    assert resumed.epoch == trainer.epoch


def test_export_to_missing_folder_says_so_and_leaves_nothing(qtbot, tmp_path, trainer):
    for name in ("m.torchscript.pt", "m.ckpt"):
        outcome = export_model_interactive(None, lambda: trainer, path=tmp_path / "gone" / name)
        assert not outcome.ok
        assert outcome.message.startswith("Export failed:") and "does not exist" in outcome.message
    assert list(tmp_path.iterdir()) == []
    bad = export_model_interactive(None, lambda: trainer, path=tmp_path / "m.txt")
    assert not bad.ok and "cannot tell the format" in bad.message


def test_dialog_shows_busy_while_exporting_and_then_the_result(qtbot, tmp_path, trainer):
    release = threading.Event()

    def slow_exporter(source, path, fmt):
        assert isinstance(source, tuple) and source[2] is not trainer.model, "must export a private copy"
        release.wait(10)
        path.write_bytes(b"onnx")
        from core.export import ExportReport

        return ExportReport(path, "onnx", 3.1e-7, (path,), n_checked=1000)

    dialog = ExportDialog(lambda: trainer, None, fmt="onnx", spec=trainer.spec, exporter=slow_exporter)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.path_edit.text().endswith("gauss_model.onnx")
    dialog.format_combo.setCurrentIndex(list(dialog.format_combo.itemData(i)
                                             for i in range(dialog.format_combo.count())).index("python"))
    assert dialog.path_edit.text().endswith("gauss_model.py"), "switching format must change the suffix"
    dialog.format_combo.setCurrentIndex(1)
    dialog.path_edit.setText(str(tmp_path / "spiral.onnx"))
    dialog.export_button.click()
    assert dialog.busy.isVisible() and not dialog.export_button.isEnabled()
    qtbot.wait(50)  # the event loop keeps running while the export thread works
    dialog.reject()
    assert dialog.isVisible(), "closing mid-export must wait for the export"
    release.set()
    qtbot.waitUntil(lambda: dialog.last_outcome is not None, timeout=5000)
    assert not dialog.busy.isVisible() and dialog.export_button.isEnabled()
    assert dialog.result_label.text() == ("✓ Exported spiral.onnx — checked in onnxruntime on 1000 inputs, "
                                          "max difference 3.1e-07")


def test_dialog_shows_a_failed_export_clearly(qtbot, tmp_path, trainer):
    dialog = ExportDialog(lambda: trainer, None, fmt="torchscript")
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "missing" / "m.torchscript.pt"))
    with qtbot.waitSignal(dialog.exported, timeout=10_000) as blocker:
        dialog.export_button.click()
    outcome: ExportOutcome = blocker.args[0]
    assert not outcome.ok
    assert "does not exist" in dialog.result_label.text() and dialog.result_label.text().startswith("✗")
    assert list(tmp_path.iterdir()) == []
