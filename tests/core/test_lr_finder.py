"""The learning-rate finder (fastai's lr_find) suggests a rate where the loss falls, and never touches the run."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from core.cli import main
from core.spec import parse_experiment
from core.training.lr_finder import find_lr
from core.training.trainer import Trainer


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _circle(**changes) -> dict:
    spec = {"data": {"source": "circle", "samples": 500}, "layers": [{"units": 8}, {"units": 8}],
            "optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 10, "engine": "torch"}
    spec.update(changes)
    return spec


def test_on_circle_the_suggestion_lies_where_the_loss_falls_and_trains_better_than_a_tiny_rate():
    finding = find_lr(Trainer(parse_experiment(_circle())))
    assert finding.falls and len(finding.lrs) > 50
    assert np.all(np.diff(np.log(finding.lrs)) > 0) and finding.lrs[0] == pytest.approx(1e-7)
    low = int(np.argmin(finding.smoothed))
    i = int(np.searchsorted(finding.lrs, finding.suggestion))
    assert finding.suggestion == pytest.approx(finding.lrs[low] / 10) and finding.steepest < finding.lrs[low]
    assert 5 < i < low, "the suggestion comes before the minimum of the smoothed loss"
    start = np.median(finding.smoothed[5:25])
    assert finding.smoothed[i] < start and finding.smoothed[i + 3] < finding.smoothed[i - 3], \
        "the loss is already falling at the suggestion"
    assert finding.smoothed[low] < 0.95 * start

    def final_loss(lr: float) -> float:
        trainer = Trainer(parse_experiment(_circle(optimizer={"name": "adam", "lr": lr})))
        for _ in range(15):
            trainer.train_epoch()
        return trainer.evaluate()[0]

    assert final_loss(finding.suggestion) < 0.5 * final_loss(1e-5)


def test_the_live_model_optimizer_and_random_state_are_untouched():
    trainer = Trainer(parse_experiment(_circle(layers=[{"units": 8, "dropout": 0.2}])))
    for _ in range(3):
        trainer.train_epoch()
    before = trainer.state_dict()
    rng = torch.get_rng_state()
    finding = find_lr(trainer, steps=60)
    assert len(finding.lrs) > 10
    after = trainer.state_dict()
    for key, value in before["model"].items():
        assert torch.equal(value, after["model"][key]), key
    for index, slots in before["optimizer"]["state"].items():
        for name, value in slots.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(after["optimizer"]["state"][index][name]))
    assert trainer.learning_rate == 0.01 and trainer.epoch == 3 and len(trainer.history) == 3
    assert torch.equal(rng, torch.get_rng_state())


def test_cli_prints_the_suggestion_and_writes_the_curve(tmp_path, capsys):
    exp = tmp_path / "circle.json"
    exp.write_text(json.dumps(_circle()))
    out = tmp_path / "curve.csv"
    assert main(["lr-find", str(exp), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert list(rows[0]) == ["lr", "loss", "smoothed_loss"] and len(rows) > 50
    suggestion = float(text.split("suggested learning rate: ")[1].split()[0])
    lowest = min(rows, key=lambda row: float(row["smoothed_loss"]))
    assert suggestion == pytest.approx(float(lowest["lr"]) / 10, rel=1e-2)
    assert float(rows[5]["lr"]) < suggestion < float(rows[-1]["lr"])
    assert main(["lr-find", str(exp), "--out", str(out), "--quiet"]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(suggestion, rel=1e-2)


def test_cli_says_when_the_loss_did_not_fall(tmp_path, capsys):
    exp = tmp_path / "slow.json"
    exp.write_text(json.dumps(_circle(layers=[{"units": 4}, {"units": 2}], optimizer={"name": "sgd", "lr": 0.03})))
    assert main(["lr-find", str(exp), "--out", str(tmp_path / "c.csv"), "--steps", "40"]) == 1
    err = capsys.readouterr().err
    assert "did not fall" in err and "--steps 160" in err and (tmp_path / "c.csv").exists()
    assert main(["lr-find", str(exp), "--start", "1", "--end", "0.1"]) == 2
