"""Save, reopen and export from the window: experiment files, the unsaved mark, checkpoints that
resume training, safe loading, model/picture/CSV export, the clipboard, autosave and recovery
after the process is killed."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QImage

from core.files.autosave import EXPERIMENT, MANIFEST, AutosaveStore
from core.spec import Experiment, parse_experiment
from window_checks import as_if_killed, recovering_window

REPO = Path(__file__).resolve().parents[3]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
THREAD_STOP_MS = 30_000


def quick_spec(**changes) -> Experiment:
    """The conftest's fast experiment (gauss, 200 points, torch engine)."""
    base = Experiment().replace(data={"source": "gauss", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                                engine="torch", batch_size=10)
    return base.replace(**changes) if changes else base

# Every top-level field away from its default (CSV-only data fields stay None for a toy set).
RICH = {
    "schema_version": 1, "seed": 4242,
    "data": {"source": "xor", "samples": 240, "noise": 0.15, "train_fraction": 0.6},
    "features": ["x1", "x2", "x1*x2", "sin(x1)"],
    "task": "classification",
    "layers": [{"units": 5, "activation": "relu", "dropout": 0.1, "norm": "layer"},
               {"units": 3, "activation": "sigmoid", "dropout": 0.0, "norm": "none"}],
    "loss": "mse",
    "optimizer": {"name": "rmsprop", "lr": 0.007, "momentum": 0.5, "nesterov": False},
    "regularization": {"kind": "l2", "rate": 0.002},
    "schedule": {"kind": "step", "step_size": 20, "gamma": 0.7},
    "batch_size": 16, "epochs": 321, "device": "cpu", "engine": "torch",
    "stop": {"target_test_accuracy": 0.97, "target_test_loss": 0.04, "patience": 33, "restore_best": True,
             "at_epochs": True},
}


def train(qtbot, window, epochs: int) -> None:
    """Step `epochs` more epochs, one at a time, and wait until the window shows the last."""
    target = window.controller.epoch + epochs
    for _ in range(epochs):
        before = window.controller.epoch
        window.controller.step()
        qtbot.waitUntil(lambda: window.controller.epoch == before + 1, timeout=20_000)
    assert window.controller.epoch == target


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _live_predictions(window, raw: np.ndarray) -> np.ndarray:
    """What the window's current network predicts, through core's own path (a restored copy)."""
    from core.files.checkpoint import restore_trainer

    data = window.files.capture_run()
    return np.asarray(restore_trainer(data, dataset=window.controller.dataset).predict(raw)).reshape(len(raw), -1)


def _raw_inputs(n: int = 50) -> np.ndarray:
    return np.random.default_rng(0).uniform(-6, 6, size=(n, 2)).astype(np.float32)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- experiment files ------------------------------------------------------------------------------

def test_save_then_open_round_trips_every_field(qtbot, window, tmp_path):
    rich = parse_experiment(RICH)
    moved = set(Experiment.model_fields) - {"schema_version", "task"}  # a toy set's task follows its source
    assert [k for k in moved if getattr(rich, k) == getattr(Experiment(), k)] == [], \
        "the test spec must move every field away from its default"
    assert window.controller.load_spec(rich)
    path = tmp_path / "rich.json"
    assert window.files.save_experiment_as(str(path))
    assert window.windowTitle() == "rich.json[*] — LayerLab" and not window.isWindowModified()

    assert window.files.new_experiment()
    assert window.controller.spec == Experiment() and window.windowTitle().startswith("Untitled")
    assert window.files.open_experiment(str(path))
    assert window.controller.spec == rich
    assert json.loads(path.read_text()) == json.loads(rich.to_json())
    assert window.controls.optimizer_combo.currentData() in ("rmsprop", window.controller.spec.optimizer.name)
    assert window.controls.optimizer_combo.currentText().lower().startswith("rmsprop")
    assert [n for n in window.controller.dataset.input_names] == ["x1", "x2", "x1*x2", "sin(x1)"]
    assert window.windowTitle().startswith("rich.json") and not window.isWindowModified()
    assert str(path) in [str(p) for p in window.files.recent.paths()]


def test_version_0_file_is_migrated_and_bad_files_leave_the_experiment_untouched(qtbot, window, tmp_path):
    old = tmp_path / "prototype.json"
    old.write_text(json.dumps({"dataset": "gauss", "hidden": [3], "learning_rate": 0.1, "noise": 10,
                               "samples": 200, "engine": "torch"}))
    assert window.files.open_experiment(str(old))
    assert window.controller.spec.data.source.value == "gauss" and [layer.units for layer in window.controller.spec.layers] == [3]
    assert window.controller.spec.optimizer.lr == pytest.approx(0.1) and window.controller.spec.data.noise == pytest.approx(0.1)
    kept = window.controller.spec

    cases = {"broken.json": "{not json", "newer.json": json.dumps({"schema_version": 99}),
             "binary.json": "\x00\x01\x02 not text"}
    for name, text in cases.items():
        bad = tmp_path / name
        bad.write_text(text)
        assert not window.files.open_experiment(str(bad)), name
        assert window.controller.spec is kept, f"{name} changed the experiment"
        assert name in window.last_message and window.message_bar.level == "error"
    assert window.windowTitle().startswith("prototype.json")


def test_title_shows_unsaved_changes_and_save_clears_them(qtbot, window, tmp_path):
    assert window.windowTitle() == "Untitled[*] — LayerLab" and not window.isWindowModified()
    window.controller.add_layer()
    assert window.isWindowModified()
    assert window.files.save_experiment_as(str(tmp_path / "exp.json"))
    assert window.windowTitle() == "exp.json[*] — LayerLab" and not window.isWindowModified()
    window.controller.set_learning_rate(0.3)  # a live change, not on the undo stack, still unsaved
    assert window.isWindowModified()
    assert window.files.save_experiment()
    assert not window.isWindowModified()
    assert parse_experiment(json.loads((tmp_path / "exp.json").read_text())).optimizer.lr == pytest.approx(0.3)


def test_closing_or_new_with_unsaved_changes_asks_first(qtbot, window, tmp_path):
    asked: list[str] = []
    answer = {"value": "cancel"}
    window.files.ask_unsaved = lambda parent, name: asked.append(name) or answer["value"]

    window.close()  # unchanged: closes without asking
    assert asked == [] and not window.isVisible()
    window.show()
    window.controller.add_layer()
    changed = window.controller.spec
    assert not window.close()
    assert asked == ["Untitled"] and window.isVisible(), "Cancel must keep the window open"
    assert not window.files.new_experiment() and window.controller.spec == changed, "Cancel must keep the experiment"

    window.files.save_experiment_as(str(tmp_path / "exp.json"))
    window.controller.remove_layer()
    answer["value"] = "save"
    assert window.close() and not window.isVisible()
    assert asked[-1] == "exp.json"
    assert len(parse_experiment(json.loads((tmp_path / "exp.json").read_text())).layers) == len(changed.layers) - 1

    window.show()
    window.controller.add_layer()
    answer["value"] = "discard"
    assert window.files.new_experiment() and window.controller.spec == Experiment()


# --- checkpoints ------------------------------------------------------------------------------------

def test_checkpoint_resumes_at_the_same_epoch_with_the_same_weights_and_history(qtbot, make_window, tmp_path):
    first = make_window()
    train(qtbot, first, 3)
    path = tmp_path / "run.ckpt"
    assert first.files.save_checkpoint(str(path))
    saved = first.frames.latest
    curve = {name: first.loss_plot.series(name) for name in ("epoch", "train_loss", "test_loss")}
    assert list(curve["epoch"]) == [1, 2, 3]

    second = make_window(quick_spec(seed=99, layers=[{"units": 2}]))
    assert second.files.open_experiment(str(path))
    assert second.controller.spec == first.controller.spec and second.windowTitle().startswith("run.ckpt")
    assert not second.isWindowModified()
    qtbot.waitUntil(lambda: second.frames.latest is not None and second.frames.latest.epoch == 3, timeout=20_000)
    for a, b in zip(saved.weights, second.frames.latest.weights):
        np.testing.assert_array_equal(a, b)
    for name, values in curve.items():  # the loss plot shows the past
        np.testing.assert_allclose(second.loss_plot.series(name), values)

    # Training goes on from epoch 3 exactly as the original run does.
    train(qtbot, first, 1)
    train(qtbot, second, 1)
    assert second.controller.epoch == 4 and list(second.loss_plot.series("epoch")) == [1, 2, 3, 4]
    for a, b in zip(first.frames.latest.weights, second.frames.latest.weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    second.controller.play()
    qtbot.waitUntil(lambda: second.controller.epoch > 5, timeout=20_000)
    second.controller.pause()


class _SideEffect:
    """Unpickling this runs open(marker, 'w'): the file appears only if code in a pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_checkpoint_is_refused_and_runs_nothing(qtbot, window, tmp_path):
    marker = tmp_path / "pwned"
    evil_zip = tmp_path / "evil.ckpt"
    torch.save({"format": "layerlab-checkpoint", "checkpoint_version": 1, "payload": _SideEffect(marker)},
               str(evil_zip))
    evil_pickle = tmp_path / "evil.pt"
    evil_pickle.write_bytes(pickle.dumps({"format": "layerlab-checkpoint", "payload": _SideEffect(marker)}))
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_SideEffect(proof))).close()
    assert proof.exists(), "the payload must really have a side effect when unpickled unsafely"

    train(qtbot, window, 1)
    kept, epoch = window.controller.spec, window.controller.epoch
    for evil in (evil_zip, evil_pickle):
        assert not window.files.open_experiment(str(evil))
        assert not marker.exists(), f"{evil.name}: code inside the checkpoint ran"
        assert evil.name in window.last_message and "refusing" in window.last_message
        assert window.message_bar.level == "error"
        assert window.controller.spec is kept and window.controller.epoch == epoch and window.windowTitle().startswith("Untitled")


# --- model export ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["model.torchscript.pt", "model.py", "model.ckpt"])
def test_export_model_from_the_window(qtbot, window, tmp_path, name):
    train(qtbot, window, 2)
    path = tmp_path / name
    outcome = window.files.export_model(path=path)
    assert outcome.ok, outcome.message
    assert "max difference" in outcome.message and outcome.message in window.last_message
    assert path.is_file() and _no_temp_files(tmp_path)

    raw = _raw_inputs()
    expected = _live_predictions(window, raw)
    if name.endswith(".torchscript.pt"):
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates torch.jit.load
            got = torch.jit.load(str(path))(torch.as_tensor(raw)).numpy()
    elif name.endswith(".py"):
        got = np.asarray(_import(path).predict(torch.as_tensor(raw)))
    else:
        from core.files.checkpoint import load_checkpoint, restore_trainer

        data = load_checkpoint(path)
        assert data.epoch == 2 and len(data.history) == 2
        got = restore_trainer(data).predict(raw)
    np.testing.assert_allclose(np.asarray(got).reshape(expected.shape), expected, atol=1e-5)


def test_export_onnx_from_the_window(qtbot, window, tmp_path):
    import onnxruntime as ort

    train(qtbot, window, 2)
    path = tmp_path / "model.onnx"
    outcome = window.files.export_model(path=path)
    assert outcome.ok and "onnxruntime" in outcome.message, outcome.message
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    raw = _raw_inputs(7)
    (got,) = session.run(None, {session.get_inputs()[0].name: raw})
    np.testing.assert_allclose(got.reshape(7, -1), _live_predictions(window, raw), atol=1e-5)


def test_export_to_a_missing_or_unusable_folder_says_so_and_leaves_no_file(qtbot, window, tmp_path):
    train(qtbot, window, 1)
    not_a_folder = tmp_path / "plain_file"
    not_a_folder.write_text("x")
    for path in (tmp_path / "missing" / "m.torchscript.pt", not_a_folder / "m.ckpt"):
        outcome = window.files.export_model(path=path)
        assert not outcome.ok
        assert window.message_bar.level == "error" and window.last_message.startswith("Export failed")
        assert str(path.parent) in window.last_message
    assert window.files.export_picture("boundary", tmp_path / "missing" / "b.png") is None
    assert "Could not save the picture" in window.last_message and "missing" in window.last_message
    assert window.files.export_history(not_a_folder / "h.csv") is None
    assert "Could not save the history" in window.last_message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain_file"]


# --- pictures, numbers, clipboard ---------------------------------------------------------------------

@pytest.mark.parametrize("key", ["boundary", "loss", "network"])
def test_export_picture_as_png_and_svg(qtbot, window, tmp_path, key):
    train(qtbot, window, 2)
    png = window.files.export_picture(key, tmp_path / f"{key}.png")
    assert png is not None and png.read_bytes().startswith(PNG_MAGIC)
    image = QImage(str(png))
    target = window.files.picture_target(key)
    ratio = target.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(target.width() * ratio), round(target.height() * ratio))
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 2

    svg = window.files.export_picture(key, tmp_path / f"{key}.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 10


def test_history_csv_has_one_row_per_recorded_epoch(qtbot, window, tmp_path):
    train(qtbot, window, 4)
    path = window.files.export_history(tmp_path / "history.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    np.testing.assert_allclose([float(r["train_loss"]) for r in rows], window.loss_plot.series("train_loss"))
    assert all(0.0 <= float(r["test_accuracy"]) <= 1.0 for r in rows)


def test_copy_view_puts_the_boundary_on_the_clipboard(qtbot, window):
    train(qtbot, window, 1)
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    window.files.copy_view_action.trigger()
    image = clipboard.image()
    ratio = window.boundary_view.devicePixelRatioF()
    assert not image.isNull()
    assert image.width() == round(window.boundary_view.width() * ratio)


# --- the menus, with their file dialogs answered ----------------------------------------------------

def test_file_menu_actions_reach_their_files(qtbot, window, tmp_path, monkeypatch):
    """Each File menu entry, triggered as a user would, with the file dialog answered for them."""
    from app.files import actions, export_dialog

    answers: list[str] = []
    monkeypatch.setattr(actions.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (answers.pop(0), "")))
    monkeypatch.setattr(actions.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (answers.pop(0), "")))
    train(qtbot, window, 2)

    answers[:] = [str(tmp_path / "exp")]  # no suffix: .json is added
    window.files.save_as_action.trigger()
    answers[:] = [str(tmp_path / "run")]
    window.files.save_checkpoint_action.trigger()
    answers[:] = [str(tmp_path / "boundary.svg")]
    window.files.picture_actions["boundary"].trigger()
    answers[:] = [str(tmp_path / "curve.png")]
    window.files.picture_actions["loss"].trigger()
    answers[:] = [str(tmp_path / "history.csv")]
    window.files.export_history_action.trigger()

    def export_in_dialog(dialog):
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("python"))
        dialog.path_edit.setText(str(tmp_path / "net.py"))
        dialog.start_export()
        dialog.wait()
        return 0

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", export_in_dialog)
    window.files.export_action.trigger()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "boundary.svg", "curve.png", "exp.json", "history.csv", "net.py", "net_weights.pt", "run.ckpt"]
    assert "net.py" in window.last_message and "max difference" in window.last_message

    window.files.recent_menu.aboutToShow.emit()
    listed = [a.data() for a in window.files.recent_menu.actions() if a.data()]
    assert listed == [str(tmp_path / "run.ckpt"), str(tmp_path / "exp.json")]
    window.files.new_experiment()
    next(a for a in window.files.recent_menu.actions() if a.data() == str(tmp_path / "run.ckpt")).trigger()
    assert window.windowTitle().startswith("run.ckpt") and window.controller.epoch == 2
    answers[:] = [str(tmp_path / "exp.json")]
    window.files.open_action.trigger()
    assert window.windowTitle().startswith("exp.json") and window.controller.epoch == 0


# --- autosave and recovery ------------------------------------------------------------------------

@pytest.fixture
def autosave_window(qtbot, tmp_path, monkeypatch):
    """A started window that autosaves every 0.2 s into tmp_path/autosave; closed at the end."""
    from app.window import MainWindow
    from app.worker import live_threads

    monkeypatch.setenv("LAYERLAB_AUTOSAVE_SECONDS", "0.2")
    window = MainWindow(settings=None, restore=False, spec=quick_spec(),
                        autosave=AutosaveStore(tmp_path / "autosave"))
    qtbot.addWidget(window)
    window.show()
    window.controller.ensure_started()
    qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0, timeout=60_000)
    yield window
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)


def test_windows_in_tests_do_not_autosave_unless_asked(qtbot, window):
    assert window.files.autosave is None


def test_autosave_appears_after_a_change_and_a_clean_exit_leaves_nothing(qtbot, autosave_window, tmp_path):
    window = autosave_window
    root = tmp_path / "autosave"
    assert window.files.save_experiment_as(str(tmp_path / "exp.json"))  # saved: nothing to keep
    session = Path(window.files.autosave.session_dir)
    assert not (session / MANIFEST).exists()

    window.controller.add_layer()
    qtbot.waitUntil(lambda: (session / MANIFEST).exists(), timeout=10_000)
    assert len(json.loads((session / EXPERIMENT).read_text())["layers"]) == len(window.controller.spec.layers)
    manifest = json.loads((session / MANIFEST).read_text())
    assert manifest["source_path"] == str(tmp_path / "exp.json") and manifest.get("checkpoint") is None

    from core.files.checkpoint import CheckpointError, load_checkpoint

    def autosaved_epoch() -> int | None:
        name = json.loads((session / MANIFEST).read_text()).get("checkpoint")
        try:
            return load_checkpoint(session / name).epoch if name else None
        except CheckpointError:  # superseded by a newer autosave meanwhile
            return None

    train(qtbot, window, 2)  # trained: the autosave gains a checkpoint of the run
    qtbot.waitUntil(lambda: autosaved_epoch() == 2, timeout=10_000)
    data = load_checkpoint(session / json.loads((session / MANIFEST).read_text())["checkpoint"])
    assert data.spec == window.controller.spec and len(data.history) == 2

    window.close()
    assert not session.exists()
    assert AutosaveStore.find_recoverable(root) is None


def test_recovery_restores_the_trained_run_from_the_autosaved_checkpoint(qtbot, autosave_window):
    crashed = autosave_window
    train(qtbot, crashed, 3)
    session = Path(crashed.files.autosave.session_dir)
    assert crashed.files.autosave.save_now(wait=True)  # the last autosave before the "crash" saw epoch 3
    assert json.loads((session / MANIFEST).read_text())["checkpoint"]
    weights, spec = crashed.frames.latest.weights, crashed.controller.spec
    as_if_killed(crashed)  # a crash: no clean exit, the files stay

    window = recovering_window(qtbot, session, quick_spec(seed=5))
    try:
        assert window.files.offer_recovery(ask=lambda parent, recovery: recovery.checkpoint_path is not None)
        assert window.controller.spec == spec and window.isWindowModified() and not session.exists()
        qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.epoch == 3, timeout=20_000)
        for a, b in zip(weights, window.frames.latest.weights):
            np.testing.assert_array_equal(a, b)
        assert list(window.loss_plot.series("epoch")) == [1, 2, 3]
    finally:
        window.close()  # stops its run; the fixture waits for every thread


def _wait_for_file(pattern: str, folder: Path, proc: subprocess.Popen, log: Path, timeout_s: float = 90.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"LayerLab exited early with code {proc.returncode}; its output:\n{tail}")
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} under {folder} after {timeout_s:g} s")


def test_after_the_app_is_killed_the_next_start_offers_its_experiment(qtbot, tmp_path, monkeypatch):
    from app.window import MainWindow
    from app.worker import live_threads

    data_dir, home = tmp_path / "data", tmp_path / "home"
    home.mkdir()
    spec = quick_spec(seed=777, layers=[{"units": 3, "activation": "relu"}])
    # The killed session's experiment: the one it remembered from last time (never saved to a file).
    remembered = QSettings(str(home / ".config" / "LayerLab" / "LayerLab.ini"), QSettings.Format.IniFormat)
    remembered.setValue("experiment/last", spec.to_json())
    remembered.sync()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERLAB_DATA_DIR": str(data_dir),
           "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "LAYERLAB_AUTOSAVE_SECONDS": "0.3",
           "PYTHONPATH": str(REPO)}
    log_path = tmp_path / "app.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        manifest = _wait_for_file(f"autosave/session-{proc.pid}-*/{MANIFEST}", data_dir, proc, log_path)
        proc.kill()  # SIGKILL: no clean exit, the autosave stays behind
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        log.close()
    assert manifest.exists()

    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(data_dir))
    offered = []
    window = MainWindow(settings=None, restore=False, spec=quick_spec(), autosave=True)
    qtbot.addWidget(window)
    try:
        window.show()
        assert window.files.offer_recovery(ask=lambda parent, recovery: offered.append(recovery) or True)
        assert len(offered) == 1 and offered[0].spec == spec and offered[0].pid == proc.pid
        assert window.controller.spec == spec and window.isWindowModified()
        assert not manifest.parent.exists(), "the old session's files go once restored"
        qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0, timeout=60_000)
        assert [layer.units for layer in window.controller.spec.layers] == [3]
    finally:
        window.close()
        qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)
