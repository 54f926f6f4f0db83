"""The run list (runList): runs kept on reset with their figures and differences, overlays on the
loss plot, saved with the experiment, exported as CSV, renamed and deleted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.spec import load_experiment
from window_checks import as_if_killed, quick_spec, recovering_window


def _train(qtbot, window, epochs: int) -> None:
    start = window.controller.epoch
    for _ in range(epochs):
        window.controller.step()
        qtbot.waitUntil(lambda n=start + 1: window.frames.latest is not None and window.frames.latest.epoch >= n,
                        timeout=30_000)
        start += 1


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_reset_keeps_the_run_with_its_figures_and_what_differs_now(qtbot, make_window, engine):
    if engine == "fused":
        pytest.importorskip("numba")
    window = make_window(quick_spec(optimizer={"name": "sgd", "lr": 0.03}, engine=engine))
    assert window.runs_dock.isHidden()   # no run yet: the views keep the room
    _train(qtbot, window, 3)
    last = window.frames.latest
    window.controller.reset()
    runs = window.run_keeper.runs
    assert len(runs) == 1 and not window.runs_dock.isHidden()
    run = runs[0]
    assert run.name == "Run 1" and run.ended == "reset" and run.epochs == 3
    assert run.test_loss == last.test_loss and run.curves["epoch"] == [1, 2, 3]
    assert run.best_epoch is not None and run.best_test_loss == min(run.curves["test_loss"])
    assert window.run_keeper.differences(run) == ""
    window.controller.set_learning_rate(0.1)   # the run was trained at 0.03
    window.controller.choose_optimizer(type(window.controller.spec.optimizer.name)("adam"))
    assert window.run_keeper.differences(run) == "sgd, lr 0.1 -> 0.03"
    table = window.findChild(type(window.run_list.table), "runList")
    assert table.rowCount() == 1 and table.item(0, 2).text() == "sgd, lr 0.1 -> 0.03"
    window.controller.reset()   # 0 epochs since the optimizer change: nothing to keep
    assert len(window.run_keeper.runs) == 1


def test_ticking_a_run_overlays_its_curve_with_a_legend_entry(qtbot, make_window):
    window = make_window(quick_spec())
    _train(qtbot, window, 4)
    window.controller.reset()
    plot, view = window.loss_plot, window.run_list
    assert plot.legend_labels == ["training", "test"]
    view.table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert plot.legend_labels == ["training", "test", "Run 1"]
    x, y = plot.run_overlays._items[0].getData()
    run = window.run_keeper.runs[0]
    assert list(x) == run.curves["epoch"] and np.allclose(y, run.curves["test_loss"])
    assert plot.shown_epochs()[1] >= 4   # the axis reaches the overlaid run's end though the live run is at 0
    view.table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    assert plot.legend_labels == ["training", "test"] and not plot.run_overlays._items


def test_runs_are_saved_with_the_experiment_renamed_deleted_and_exported(qtbot, make_window, tmp_path):
    window = make_window(quick_spec())
    _train(qtbot, window, 2)
    window.controller.reset()
    _train(qtbot, window, 3)
    window.controller.regenerate()
    keeper, view = window.run_keeper, window.run_list
    assert [r.epochs for r in keeper.runs] == [2, 3]
    view.table.item(0, 0).setText("three epochs")   # the newest is at the top
    assert keeper.runs[1].name == "three epochs"
    path = tmp_path / "exp.json"
    assert window.files.save_experiment_as(path)
    assert load_experiment(path) == window.controller.spec   # the spec reads as before (CLI too)
    saved = json.loads(path.read_text())["runs"]
    assert [r["name"] for r in saved] == ["Run 1", "three epochs"]
    window.files.new_experiment()
    assert len(keeper.runs) == 0 and view.table.rowCount() == 0
    assert window.files.open_experiment(path)
    assert [(r.name, r.epochs) for r in keeper.runs] == [("Run 1", 2), ("three epochs", 3)]
    from app.runs.install import export_runs

    out = export_runs(window, str(tmp_path / "runs.csv"))
    rows = list(csv.DictReader(Path(out).read_text().splitlines()))
    assert [r["name"] for r in rows] == ["Run 1", "three epochs"]
    assert rows[1]["epochs"] == "3" and float(rows[1]["test_loss"]) == keeper.runs[1].test_loss
    assert rows[1]["differences"] == "seed 1 -> 0" and rows[1]["ended"] == "reset"   # Regenerate: the next seed
    curves = list(csv.DictReader((tmp_path / "runs-curves.csv").read_text().splitlines()))
    assert [(r["run"], r["epoch"]) for r in curves][-3:] == [("three epochs", "1"), ("three epochs", "2"),
                                                            ("three epochs", "3")]
    view.table.selectRow(1)   # Run 1
    view.delete_button.click()
    assert [r.name for r in keeper.runs] == ["three epochs"] and view.table.rowCount() == 1


def test_a_stop_keeps_the_run_and_training_on_from_it_updates_that_run(qtbot, make_window):
    window = make_window(quick_spec(epochs=3, stop={"at_epochs": True}))
    window.controller.play()
    qtbot.waitUntil(lambda: len(window.run_keeper.runs) == 1, timeout=30_000)
    run = window.run_keeper.runs[0]
    assert (run.epochs, run.ended) == (3, "stopped early") and not window.controller.playing
    assert window.isWindowModified()   # a kept run is unsaved work
    window.controller.set_epochs(5)
    window.controller.play()   # goes on from epoch 3 with the same weights
    qtbot.waitUntil(lambda: run.epochs == 5, timeout=30_000)
    window.controller.reset()
    assert len(window.run_keeper.runs) == 1 and window.run_keeper.runs[0] is run
    assert run.curves["epoch"] == [1, 2, 3, 4, 5]


def test_keeping_renaming_or_deleting_a_run_is_unsaved_work_that_closing_asks_about(qtbot, make_window, tmp_path):
    window = make_window(quick_spec())
    asked, answer = [], {"value": "cancel"}
    window.files.ask_unsaved = lambda parent, name: asked.append(name) or answer["value"]
    path = tmp_path / "exp.json"
    assert window.files.save_experiment_as(path)
    _train(qtbot, window, 2)
    assert not window.isWindowModified()   # training alone changes nothing the file holds
    window.controller.add_layer()   # resets the weights: the 2-epoch run is kept
    window.controller.undo_stack.undo()   # back to the saved settings, but the run is new
    assert len(window.run_keeper.runs) == 1 and window.isWindowModified()
    assert not window.close() and asked == ["exp.json"] and window.isVisible()
    assert window.files.save_experiment() and not window.isWindowModified()
    assert [r["epochs"] for r in json.loads(path.read_text())["runs"]] == [2]
    window.run_list.table.item(0, 0).setText("renamed")
    assert window.isWindowModified()
    assert window.files.save_experiment()
    window.run_list.table.selectRow(0)
    window.run_list.delete_button.click()
    assert window.isWindowModified() and len(window.run_keeper.runs) == 0
    assert not window.close() and asked == ["exp.json", "exp.json"]
    answer["value"] = "discard"


def test_the_autosave_holds_the_kept_runs_and_recovering_it_brings_them_back(qtbot, make_window, tmp_path,
                                                                             monkeypatch):
    from app.window import MainWindow
    from core.files.autosave import EXPERIMENT, MANIFEST, AutosaveStore

    monkeypatch.setenv("LAYERLAB_AUTOSAVE_SECONDS", "0.2")
    crashed = MainWindow(settings=None, restore=False, spec=quick_spec(), autosave=AutosaveStore(tmp_path / "auto"))
    crashed.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(crashed)
    crashed.show()
    crashed.controller.ensure_started()
    qtbot.waitUntil(lambda: crashed.frames.latest is not None, timeout=60_000)
    try:
        assert crashed.files.save_experiment_as(tmp_path / "exp.json")   # saved: nothing to autosave
        _train(qtbot, crashed, 3)
        crashed.controller.reset()   # the run is kept: unsaved work the next autosave holds
        crashed.run_list.table.item(0, 0).setText("three epochs")
        session = Path(crashed.files.autosave.session_dir)
        qtbot.waitUntil(lambda: (session / MANIFEST).exists()
                        and json.loads((session / MANIFEST).read_text())["runs"] == 1, timeout=10_000)
        saved = json.loads((session / EXPERIMENT).read_text())["runs"]
        assert [(r["name"], r["epochs"]) for r in saved] == [("three epochs", 3)]
        as_if_killed(crashed)   # a crash: no clean exit, the files stay
    finally:
        crashed.close()

    window = recovering_window(qtbot, session, quick_spec(seed=5))
    try:
        assert window.files.offer_recovery(ask=lambda parent, recovery: True)
        runs = window.run_keeper.runs
        assert [(r.name, r.epochs, r.ended) for r in runs] == [("three epochs", 3, "reset")]
        assert runs[0].curves["epoch"] == [1, 2, 3] and window.run_list.table.rowCount() == 1
        assert window.isWindowModified() and not session.exists()
        # the recovered runs are this session's autosave now (a second crash keeps them too)
        mine = Path(window.files.autosave.session_dir)
        assert [r["name"] for r in json.loads((mine / EXPERIMENT).read_text())["runs"]] == ["three epochs"]
    finally:
        window.close()
