"""Every field of a checkpoint is checked on load: a damaged or edited file gives one CheckpointError
naming the field, before anything uses it; and the refusal wording fits the file: strong words only
for pickled code, 'incompatible or unexpected content' for a data type LayerLab does not write."""

from __future__ import annotations

import datetime
import decimal
import math
import os
import pickle
from pathlib import Path

import pytest
import torch

from core.files.checkpoint import CheckpointError, load_checkpoint, restore_trainer, save_checkpoint
from core.files.checkpoint_fields import REQUIRED
from core.spec import Experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def good_payload(tmp_path_factory) -> dict:
    spec = Experiment(data={"source": "spiral", "samples": 120}, layers=[{"units": 4, "norm": "batch"}],
                      optimizer={"name": "adam", "lr": 0.01}, engine="torch", epochs=10)
    trainer = Trainer(spec)
    for _ in range(3):
        trainer.train_epoch()
    path = save_checkpoint(trainer, tmp_path_factory.mktemp("good") / "good.pt")
    return torch.load(path, weights_only=True)


def _write(tmp_path: Path, payload: dict, name: str = "edited.pt") -> Path:
    path = tmp_path / name
    torch.save(payload, path)
    return path


def _edit(payload: dict, dotted: str, value) -> dict:
    """A copy of `payload` with payload[a][b]... = value (value DELETE removes the key)."""
    import copy

    edited = copy.deepcopy(payload)
    *parents, last = dotted if isinstance(dotted, tuple) else dotted.split(".")
    target = edited
    for key in parents:
        target = target[int(key) if isinstance(target, list) else key]
    if isinstance(target, list):
        last = int(last)
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return edited


DELETE = object()
NAN_WEIGHT = torch.full((4, 2), math.nan)
BAD_FIELDS = {
    "negative epoch": ("epoch", -1, "epoch"),
    "huge epoch": ("epoch", 10**30, "epoch"),
    "epoch as text": ("epoch", "3", "epoch"),
    "epoch as a fraction": ("epoch", 2.5, "epoch"),
    "negative step": ("step", -7, "step"),
    "huge step": ("step", 10**40, "step"),
    "optimizer state as text": ("optimizer_state", "adam", "optimizer_state"),
    "optimizer state None": ("optimizer_state", None, "optimizer_state"),
    "optimizer state without groups": ("optimizer_state.param_groups", DELETE, "optimizer_state"),
    "optimizer buffer of the wrong shape": (("optimizer_state", "state", 0, "exp_avg"), torch.zeros(3), "optimizer_state"),
    "optimizer buffer with NaN": (("optimizer_state", "state", 0, "exp_avg_sq"), torch.full((4, 2), math.nan),
                                  "optimizer_state.exp_avg_sq"),
    "schedule None": ("scheduler_state", None, "scheduler_state"),
    "schedule with NaN rate": ("scheduler_state.base_lr", math.nan, "scheduler_state.base_lr"),
    "trainer state as a list": ("trainer_state", [1, 2], "trainer_state"),
    "RNG state of the wrong size": ("trainer_state.torch_rng_state", torch.zeros(10, dtype=torch.uint8),
                                    "trainer_state.torch_rng_state"),
    "RNG state of the wrong type": ("trainer_state.torch_rng_state", torch.zeros(5056), "trainer_state.torch_rng_state"),
    "batch size 0 in the trainer state": ("trainer_state.batch_size", 0, "trainer_state.batch_size"),
    "NaN weights": (("model_state", "dense1.weight"), NAN_WEIGHT, "model_state.dense1.weight"),
    "infinite bias": (("model_state", "output.bias"), torch.tensor([math.inf]), "model_state.output.bias"),
    "weights of the wrong shape": (("model_state", "dense1.weight"), torch.zeros(9, 9), "model_state"),
    "a weight missing": (("model_state", "output.bias"), DELETE, "model_state"),
    "weights as text": ("model_state", "weights", "model_state"),
    "integer weights": (("model_state", "dense1.weight"), torch.zeros(4, 2, dtype=torch.int64), "model_state"),
    "negative version": ("checkpoint_version", -1, "checkpoint_version"),
    "version 0": ("checkpoint_version", 0, "checkpoint_version"),
    "version as text": ("checkpoint_version", "1", "checkpoint_version"),
    "future version": ("checkpoint_version", 99, "checkpoint_version"),
    "no inputs": ("n_inputs", 0, "n_inputs"),
    "a billion outputs": ("n_outputs", 10**9, "n_outputs"),
    "history as a dict": ("history", {"epoch": 1}, "history"),
    "history entry with text": ("history.1.train_loss", "low", "history[1]"),
    "history entry after the saved epoch": ("history.2.epoch", 50, "history[2]"),
    "history entry with NaN train loss": ("history.0.train_loss", math.nan, "history[0]"),
    "history accuracy above 1": ("history.0.test_accuracy", 3.0, "history[0]"),
    "history entry without epoch": ("history.0.epoch", DELETE, "history[0]"),
    "spec that fails validation": ("spec_json", '{"schema_version": 1, "batch_size": 0}', "spec_json"),
    "spec that is not JSON": ("spec_json", "{not json", "spec_json"),
    "spec as a dict": ("spec_json", {"batch_size": 10}, "spec_json"),
    "target scale with zero std": ("trainer_state.target_scale", [0.0, 0.0], "trainer_state.target_scale"),
}


@pytest.mark.parametrize("dotted, value, field", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_a_bad_field_is_refused_with_its_name(tmp_path, good_payload, dotted, value, field):
    path = _write(tmp_path, _edit(good_payload, dotted, value))
    rng = torch.get_rng_state()
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert message.startswith(f"{path}: field '{field}'"), message
    assert "refusing" not in message and len(message) < 600 and "\n" not in message
    assert torch.equal(torch.get_rng_state(), rng)  # loading changes nothing, not even the random state


@pytest.mark.parametrize("key", REQUIRED)
def test_a_missing_field_is_named(tmp_path, good_payload, key):
    path = _write(tmp_path, _edit(good_payload, key, DELETE))
    with pytest.raises(CheckpointError, match=rf"field '{key}' is missing; the file is damaged or was edited"):
        load_checkpoint(path)


def test_the_unedited_payload_loads_and_resumes(tmp_path, good_payload):
    data = load_checkpoint(_write(tmp_path, good_payload, "good.pt"))
    trainer = restore_trainer(data)
    assert trainer.epoch == 3 and len(trainer.history) == 3


def test_a_future_version_asks_for_an_update_only(tmp_path, good_payload):
    path = _write(tmp_path, _edit(good_payload, "checkpoint_version", 2))
    with pytest.raises(CheckpointError, match=r"is 2, newer than this LayerLab reads \(1\); update LayerLab to "
                                              r"open it$"):
        load_checkpoint(path)


def test_a_huge_value_is_echoed_short(tmp_path, good_payload):
    path = _write(tmp_path, _edit(good_payload, "epoch", "9" * 5_000_000))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert "field 'epoch'" in str(info.value) and len(str(info.value)) < 400


# --- refusal wording --------------------------------------------------------------------------------

class _RunsCode:
    """Unpickling this would run os.system: real pickled code."""

    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
@pytest.mark.parametrize("value, kind", [
    (_RunsCode(), "code"),
    (frozenset({1, 2, 3}), "data"),
    (decimal.Decimal("1.5"), "data"),
    (datetime.date(2026, 1, 1), "data"),
], ids=["os.system", "frozenset", "Decimal", "date"])
def test_wording_is_strong_only_for_code(tmp_path, good_payload, writer, value, kind):
    payload = {**good_payload, "extra": value}
    path = tmp_path / "crafted.pt"
    if writer == "torch.save":
        torch.save(payload, path)
    else:  # tensors pickled this way would rebuild through full unpickling: leave them out
        path.write_bytes(pickle.dumps({"format": "layerlab-checkpoint", "epoch": 3, "extra": value}, protocol=4))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    if kind == "code":
        assert "contains code/objects that are not plain data; refusing to load it (it would call" in message
        assert "system" in message
    else:
        assert "was written by an incompatible version or holds unexpected content (" in message
        assert "refusing" not in message and "code" not in message
