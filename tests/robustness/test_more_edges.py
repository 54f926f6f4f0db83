"""Edge cases the other robustness files leave out: 10k-class and NaN CSVs in core, and the bad
inputs of the issue seen from the window: a broken CSV keeps the previous data, lr=10 pauses on
the last good weights with advice, and an unavailable device says why and trains on the CPU.

(Checked elsewhere, not repeated: empty, header only, ragged, non-numeric, inf, one class,
non-UTF-8, huge field in test_csv_robustness.py; BOM and semicolon files in tests/core/test_data.py;
batch > data, 0 layers, 1 unit, 200 layers and devices in test_training_edges.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtWidgets import QComboBox
from window_checks import quick_spec

from core.data import DataError
from core.data.tabular import load_csv
from core.training.snapshot import RunState

pytestmark = pytest.mark.usefixtures("isolated_user_files")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ CSV cases not covered elsewhere


@pytest.mark.parametrize("label", ["c{}", "{}"])  # text labels and whole numbers
def test_ten_thousand_classes_is_refused_with_advice(tmp_path, label):
    body = "".join(f"{i % 97},{label.format(i % 10_000)}\n" for i in range(20_000))
    path = write(tmp_path, "many.csv", "a,y\n" + body)
    with pytest.raises(DataError) as info:
        load_csv(path, "y")
    message = str(info.value)
    assert str(path) in message and "10000 distinct values in 20000 rows" in message
    assert "at most 100" in message and "regression" in message


@pytest.mark.parametrize("cell", ["NaN", "nan", "NA"])
def test_nan_written_in_an_input_cell_names_column_and_row(tmp_path, cell):
    path = write(tmp_path, "gaps.csv", f"a,b,y\n1,2,x\n3,4,z\n5,{cell},x\n7,8,z\n")
    with pytest.raises(DataError, match=r"column 'b' has 1 missing value, first at row 3"):
        load_csv(path, "y")


# ------------------------------------------------------------------ the window keeps its data


def broken_csvs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a word the message must contain)."""
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("a,b,label\n1,2,caf\u00e9\n3,4,th\u00e9\n".encode("latin-1"))
    return {
        "missing file": (tmp_path / "gone.csv", "no such file"),
        "empty": (write(tmp_path, "empty.csv", ""), "empty"),
        "header only": (write(tmp_path, "header.csv", "a,b,label\n"), "no data rows"),
        "ragged row": (write(tmp_path, "ragged.csv", "a,b,label\n1,2,x\n3,4,y,9\n5,6,x\n"), "line 3 has 4 fields"),
        "not UTF-8": (latin, "not UTF-8"),
        "one class": (write(tmp_path, "one.csv", "a,b,label\n1,2,x\n3,4,x\n5,6,x\n"), "only one class"),
        "no such target": (write(tmp_path, "target.csv", "a,b,Label\n1,2,x\n3,4,y\n"), "did you mean 'Label'"),
        "inf": (write(tmp_path, "inf.csv", "a,b,label\n1,inf,x\n3,4,y\n5,6,x\n7,8,y\n"), "infinite"),
    }


def test_broken_csvs_leave_the_previous_csv_data_in_place(qtbot, window, tmp_path):
    good = write(tmp_path, "good.csv", "a,b,label\n" + "".join(
        f"{i % 7},{(i * 3) % 5},{'yes' if i % 7 > 3 else 'no'}\n" for i in range(60)))
    assert window.controller.load_csv(str(good), "label", ["a", "b"])
    spec_before, data_before = window.controller.spec, window.controller.dataset
    undo_before = window.controller.undo_stack.count()

    for kind, (path, expected) in broken_csvs(tmp_path).items():
        assert not window.controller.load_csv(str(path), "label", ["a", "b"]), kind
        assert window.controller.spec == spec_before and window.controller.dataset is data_before, kind
        assert expected in window.last_message and path.name in window.last_message, (kind, window.last_message)
        assert window.message_bar.level == "error", kind
        assert window.controller.undo_stack.count() == undo_before, kind
        assert window.network_view.drawn_units("input", 0) == 2, kind

    window.controller.play()  # the kept data still trains
    qtbot.waitUntil(lambda: window.controller.epoch >= 3, timeout=10_000)
    assert window.frames.latest.weights[0].shape == (window.controller.spec.layers[0].units, 2)
    window.controller.pause()


# ------------------------------------------------------------------ divergence in the window


def regression_spec(lr: float):
    return quick_spec(data={"source": "plane", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                      task="regression", loss="mse", batch_size=5, optimizer={"name": "sgd", "lr": lr},
                      layers=[{"units": 6, "activation": "relu"}, {"units": 4, "activation": "relu"}])


def paused_snapshot(qtbot, window):
    with qtbot.waitSignal(window.snapshotShown, timeout=10_000,
                          check_params_cb=lambda s: s.state == RunState.paused) as blocker:
        window.controller.worker.request_grid()
    return blocker.args[0]


def test_lr_ten_pauses_on_the_last_good_weights_and_can_go_on(qtbot, make_window):
    window = make_window(regression_spec(0.01))
    for n in (1, 2, 3):
        window.controller.step()
        qtbot.waitUntil(lambda n=n: window.controller.epoch == n, timeout=10_000)
    good = paused_snapshot(qtbot, window)
    assert good.epoch == 3

    combo: QComboBox = window.findChild(QComboBox, "learningRateCombo")
    combo.setCurrentIndex(combo.findData(10.0))
    window.controller.play()
    qtbot.waitUntil(lambda: "diverged" in window.last_message, timeout=30_000)
    assert not window.controller.playing and not window.controls.playing
    assert window.message_bar.level == "error" and "Lower the learning rate" in window.last_message

    kept = paused_snapshot(qtbot, window)  # what the trainer holds now
    assert kept.epoch == 3 and window.controller.epoch == 3
    for before, after in zip(good.weights + good.biases, kept.weights + kept.biases):
        assert np.array_equal(before, after)  # rolled back to the last finite weights exactly
    assert np.isfinite(window.loss_plot.series("train_loss")).all()

    combo.setCurrentIndex(combo.findData(0.01))  # take the advice and go on, no reset
    window.controller.play()
    qtbot.waitUntil(lambda: window.controller.epoch >= 6, timeout=10_000)
    window.controller.pause()
    after = paused_snapshot(qtbot, window)
    assert after.state == RunState.paused and np.isfinite(after.train_loss)
    assert np.array_equal(window.loss_plot.series("epoch"), np.arange(1, after.epoch + 1))


# ------------------------------------------------------------------ devices in the window


@pytest.fixture
def no_gpu(monkeypatch):
    """Whatever this machine has, CUDA looks absent (the run thread sees the same patch)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_choosing_an_unavailable_device_says_why_and_trains_on_the_cpu(qtbot, window, no_gpu):
    assert window.controller.request_change("Change device", {"device": "cuda"})
    qtbot.waitUntil(lambda: "CUDA was asked for" in window.last_message, timeout=10_000)
    assert "torch.cuda.is_available() is False" in window.last_message and "using cpu" in window.last_message
    assert window.message_bar.level == "warning"
    assert window.device_status.text().startswith("Device: cpu")
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch == 1, timeout=10_000)
    assert window.frames.latest.device == "cpu"


def test_an_experiment_asking_for_a_missing_gpu_opens_and_says_why(qtbot, make_window, no_gpu):
    window = make_window(quick_spec(device="cuda:1"))
    qtbot.waitUntil(lambda: "CUDA was asked for" in window.last_message, timeout=10_000)
    assert window.controller.spec.device == "cuda:1"  # kept as asked, so the file still means the same elsewhere
    assert window.device_status.text().startswith("Device: cpu")
