"""core.runs: differences in words, the run record's saved form and CSV, sweep settings' variants."""

from __future__ import annotations

import csv

import pytest

from core.runs import RunList, RunRecorder, describe_differences
from core.runs.settings import SWEEP_SETTINGS, race_values
from core.runs.variants import variant_specs
from core.spec import Experiment, SpecError
from core.training.snapshot import EpochRecord


def test_differences_name_what_changed_from_now_to_the_run():
    now = Experiment().to_dict()
    run = Experiment(optimizer={"name": "adam", "lr": 0.1}, layers=[{"units": 8}, {"units": 8}, {"units": 8}]).to_dict()
    assert describe_differences(run, now) == "adam, lr 0.03 -> 0.1, depth 2 -> 3, width 4,2 -> 8,8,8"
    assert describe_differences(now, now) == ""


def _record(epochs: int, name: str = ""):
    recorder = RunRecorder(Experiment().to_dict())
    recorder.add([EpochRecord(e, e * 10, 1.0 / e, 2.0 / e, 0.5, 0.25 + e / 100) for e in range(1, epochs + 1)],
                 best_epoch=epochs)
    return recorder.finish(name, "reset")


def test_a_long_run_keeps_a_thinned_curve_and_an_empty_run_is_not_kept():
    assert RunRecorder(Experiment().to_dict()).finish("", "reset") is None
    run = _record(5000)
    assert len(run.curves["epoch"]) <= 256 and run.curves["epoch"][-1] == 5000
    assert run.best_epoch == 5000 and run.best_test_loss == pytest.approx(2.0 / 5000)


def test_the_saved_form_round_trips_and_bad_entries_are_named_and_skipped():
    runs = RunList()
    runs.add(_record(3))
    runs.add(_record(4, "mine"))
    assert [r.name for r in runs] == ["Run 1", "mine"]
    back, problems = RunList.from_json([*runs.to_json(), {"name": 3}])
    assert problems == ["run 3: a run needs a 'name' (text) and a 'spec' (object)"]
    assert [r.to_dict() for r in back] == runs.to_json()
    rows = list(csv.DictReader(back.runs_csv(Experiment(seed=2).to_dict()).splitlines()))
    assert rows[1]["name"] == "mine" and rows[1]["differences"] == "seed 2 -> 0" and rows[1]["epochs"] == "4"
    assert len(back.curves_csv().splitlines()) == 1 + 3 + 4


def test_sweep_settings_make_valid_variants_and_name_a_bad_value():
    base = Experiment(layers=[{"units": 4}, {"units": 2}]).to_dict()
    assert [s.layers[0].units for s in variant_specs(base, "width", [2, 8])] == [2, 8]
    assert [len(s.layers) for s in variant_specs(base, "depth", [1, 3])] == [1, 3]
    momentum = variant_specs(base, "optimizer", ["momentum"])[0].optimizer
    assert (momentum.name.value, momentum.momentum) == ("sgd", 0.9)
    assert variant_specs(base, "regularization_rate", [0.01])[0].regularization.kind.value == "l2"
    assert {"sgd", "momentum", "adam", "rmsprop"} <= set(race_values())
    with pytest.raises(SpecError, match="learning_rate=-1"):
        variant_specs(base, "learning_rate", [0.1, -1])
    with pytest.raises(ValueError, match="whole number"):
        SWEEP_SETTINGS["batch_size"].parse("2.5")


def test_an_experiment_file_keeps_its_runs_and_reads_as_the_spec_alone(tmp_path):
    from core.runs.run_list import read_runs
    from core.spec import load_experiment, save_experiment

    spec = Experiment(seed=4)
    runs = RunList()
    runs.add(_record(3))
    path = tmp_path / "exp.json"
    save_experiment(spec, path, runs=[*runs.to_json(), {"spec": {}}])
    assert load_experiment(path) == spec   # what `layerlab train` and older code read
    back, problems = read_runs(path)
    assert [r.to_dict() for r in back] == runs.to_json() and problems == [
        "run 2: a run needs a 'name' (text) and a 'spec' (object)"]
    save_experiment(spec, path)
    empty, problems = read_runs(path)   # a file without runs (every older one)
    assert '"runs"' not in path.read_text() and len(empty) == 0 and problems == []


def test_an_autosave_keeps_the_runs_and_the_recovery_gives_them_back(tmp_path):
    import json
    import subprocess
    import sys

    from core.files.autosave import AutosaveStore
    from core.spec import load_experiment

    runs = RunList()
    runs.add(_record(3))
    runs.add(_record(5, "mine"))
    store = AutosaveStore(tmp_path)
    folder = store.save(Experiment(seed=9), runs=runs.to_json())
    assert load_experiment(folder / "experiment.json").seed == 9   # still a plain experiment file
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = json.loads((folder / "lock").read_text())
    (folder / "lock").write_text(json.dumps({**lock, "pid": dead.pid}))
    recovery = AutosaveStore.find_recoverable(tmp_path)
    back, problems = RunList.from_json(recovery.runs)
    assert [(r.name, r.epochs) for r in back] == [("Run 1", 3), ("mine", 5)] and problems == []
    assert [r.to_dict() for r in back] == runs.to_json()
    store.save(Experiment(seed=9))   # every run deleted since: nothing to bring back
    assert AutosaveStore.find_recoverable(tmp_path).runs is None
