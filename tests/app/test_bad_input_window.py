"""The window meets files and values that are not what they claim (lone surrogates, NUL bytes, NaN,
link loops, device files, pipes, UTF-16): a message naming the key, and the experiment unchanged."""

from __future__ import annotations

import codecs
import json
import os

import pytest


def _write(path, raw: dict) -> str:
    path.write_text(json.dumps(raw))  # json writes the lone surrogate as \ud800, as an editor would
    return str(path)


def test_bad_strings_and_numbers_in_a_file_leave_the_experiment_untouched(qtbot, window, tmp_path):
    kept = window.controller.spec
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    csv = {"source": "csv", "target": "y"}
    cases = {
        "device.json": ({"device": "\ud800"}, "device: contains a lone surrogate"),
        "path.json": ({"data": {**csv, "path": "\ud800.csv"}}, "data.path: contains a lone surrogate"),
        "nul.json": ({"data": {**csv, "path": "x\x00.csv"}}, "data.path: contains a NUL character"),
        "nan.json": ({"optimizer": {"lr": float("nan")}}, "optimizer.lr: got nan; NaN and infinity"),
        "loop.json": ({"data": {**csv, "path": "a.csv"}}, "link loop"),
        "zero.json": ({"data": {**csv, "path": "/dev/zero"}}, "is a device file"),
        "pipe.json": ({"data": {**csv, "path": "pipe.csv"}}, "is a pipe (FIFO)"),
        "huge.json": ({"device": "d" * 5_000_000}, "is not one of auto"),
    }
    for name, (raw, words) in cases.items():
        path = _write(tmp_path / name, {"schema_version": 1, **raw})
        assert not window.files.open_experiment(path), name
        assert window.controller.spec is kept, f"{name} changed the experiment"
        assert words in window.last_message and window.message_bar.level == "error", window.last_message[:300]
        assert len(window.last_message) < 500
    assert not window.isWindowModified()


def test_a_utf16_experiment_file_opens(qtbot, window, tmp_path):
    path = tmp_path / "notepad.json"
    text = json.dumps({"schema_version": 1, "seed": 3, "data": {"source": "xor", "samples": 100},
                       "engine": "torch"})
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert window.files.open_experiment(str(path))
    assert window.controller.spec.seed == 3 and window.controller.spec.data.source.value == "xor"


@pytest.mark.parametrize("target", ["/dev/null", "loop"])
def test_a_bad_csv_path_chosen_in_the_window_keeps_the_data(qtbot, window, tmp_path, target):
    if target == "loop":
        os.symlink(tmp_path / "loop.csv", tmp_path / "loop.csv")
        target = str(tmp_path / "loop.csv")
    kept = window.controller.spec
    assert not window.controller.load_csv(target, "y")
    assert window.controller.spec == kept and window.message_bar.level == "error"
    assert "no such file" not in window.last_message and "folder" not in window.last_message


def test_a_learning_rate_that_makes_the_loss_swing_is_warned_about_once(qtbot, make_window, spec_factory):
    window = make_window(spec_factory(data={"source": "circle", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                                      optimizer={"name": "sgd", "lr": 10.0}))
    window.play_action.trigger()
    qtbot.waitUntil(lambda: "may be too high" in window.message_bar.text, timeout=30_000)
    assert window.message_bar.level == "warning" and "The loss has risen for" in window.message_bar.text
    assert "may be too high" in window.statusBar().currentMessage()
    reached = window.controller.epoch
    qtbot.waitUntil(lambda: window.controller.epoch > reached + 100, timeout=30_000)
    window.play_action.trigger()
    assert sum("may be too high" in text for _, text in window.messages) == 1


def test_the_csv_dialog_previews_utf16_and_refuses_pipes_and_devices_at_once(qtbot, tmp_path):
    from app.files.csv_dialog import CsvDialog

    dialog = CsvDialog()
    qtbot.addWidget(dialog)
    wide = tmp_path / "notepad.csv"
    wide.write_bytes(codecs.BOM_UTF16_LE + "a,b,kind\n1,2,x\n3,4,y\n".encode("utf-16-le"))
    assert dialog.load_preview(str(wide))
    assert dialog.preview.columnCount() == 3 and dialog.target_combo.currentText() == "kind"
    os.mkfifo(tmp_path / "pipe.csv")  # opening it for reading would wait for a writer forever
    os.symlink(tmp_path / "loop.csv", tmp_path / "loop.csv")
    for path, words in ((tmp_path / "pipe.csv", "pipe (FIFO)"), ("/dev/zero", "device file"),
                        (tmp_path / "loop.csv", "link loop")):
        assert not dialog.load_preview(str(path))
        assert words in dialog.error_label.text()
