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
