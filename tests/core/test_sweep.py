"""`layerlab sweep`: one folder per variant and a table whose figures equal separate `layerlab train` runs."""

from __future__ import annotations

import csv
import json

from core.cli import main

FIGURES = ["epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "best_epoch", "best_test_loss"]


def test_a_sweep_of_learning_rates_matches_separate_train_runs(tmp_path, capsys):
    base = {"schema_version": 2, "seed": 3, "data": {"source": "xor", "samples": 80}, "epochs": 6,
            "optimizer": {"name": "adam", "lr": 0.01}, "stop": {"patience": 3}}
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps(base))
    rates = [0.003, 0.03, 0.3]
    out = tmp_path / "sweep"
    assert main(["sweep", str(exp), "--set", "optimizer.lr=" + ",".join(map(str, rates)), "--workers", "2",
                 "--out", str(out), "--quiet"]) == 0
    rows = list(csv.DictReader((out / "sweep.csv").read_text().splitlines()))
    assert [float(r["value"]) for r in rows] == rates and all(r["exit_code"] == "0" for r in rows)
    assert len({r["test_loss"] for r in rows}) == 3, "each variant trained with its own rate"
    for rate, row in zip(rates, rows):
        assert (out / row["folder"] / "history.csv").exists()
        alone = tmp_path / f"alone-{rate}.json"
        alone.write_text(json.dumps({**base, "optimizer": {"name": "adam", "lr": rate}}))
        assert main(["train", str(alone), "--out", str(tmp_path / f"run-{rate}"), "--quiet"]) == 0
        metrics = json.loads((tmp_path / f"run-{rate}" / "metrics.json").read_text())
        swept = json.loads((out / row["folder"] / "metrics.json").read_text())
        assert {k: swept[k] for k in FIGURES} == {k: metrics[k] for k in FIGURES}
        assert row["test_loss"] == str(metrics["test_loss"])


def test_a_bad_value_names_the_variant_before_anything_trains(tmp_path, capsys):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"data": {"source": "xor", "samples": 80}}))
    assert main(["sweep", str(exp), "--set", "optimizer.lr=0.1,-1", "--out", str(tmp_path / "s")]) == 2
    assert "optimizer.lr=-1" in capsys.readouterr().err and not (tmp_path / "s").exists()
    assert main(["sweep", str(exp), "--set", "lr", "--out", str(tmp_path / "s")]) == 2


def test_a_failed_variant_says_why_on_the_command_line(tmp_path, capsys):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"data": {"source": "csv", "path": "nothere.csv", "target": "label"}, "epochs": 2}))
    assert main(["sweep", str(exp), "--set", "seed=1", "--out", str(tmp_path / "s"), "--workers", "1"]) == 1
    captured = capsys.readouterr()
    assert "seed=1: failed" in captured.out
    assert "1 of 1 variants failed: seed=1:" in captured.err and "nothere.csv" in captured.err
    assert "no such file" in captured.err and "layerlab: error: layerlab" not in captured.err


def test_a_killed_variant_process_is_reported_not_lost():
    """A process killed mid-run (out of memory, say) sends no message: its reason comes from its future."""
    import time

    from core.runs.pool import CRASHED, Sweep
    from core.spec import parse_experiment

    sweep = Sweep([parse_experiment({"data": {"source": "xor", "samples": 60}, "epochs": 1_000_000})], workers=1)
    try:
        deadline = time.monotonic() + 60
        while not any(kind == "progress" for kind, *_ in sweep.poll()) and time.monotonic() < deadline:
            time.sleep(0.05)
        sweep.processes[0].kill()
        while not sweep.done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sweep.results() == [None] and sweep.errors() == [CRASHED]
    finally:
        sweep.close(timeout_s=5)
    assert not any(p.is_alive() for p in sweep.processes)
