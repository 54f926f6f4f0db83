"""Checkpoints: the spec, weights, optimizer/schedule state, loss history and counters of a run.

Saved with torch.save to a temp file that is renamed into place (core.atomic), so a crash never
leaves half a file. Loaded with torch.load(weights_only=True): a file that holds pickled code or
objects is refused before anything in it can run. The model is rebuilt from the spec, then the
weights are loaded into it, so a checkpoint only ever carries data.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

import core
from core.atomic import WriteError, atomic_write_with
from core.spec import Experiment, SpecError, loads_experiment

FORMAT = "layerlab-checkpoint"
CHECKPOINT_VERSION = 1

_UNSAFE = ("contains code/objects that are not plain data; refusing to load it. Only open checkpoints "
           "from people you trust, and never with torch.load(weights_only=False)")


class CheckpointError(ValueError):
    """A checkpoint that cannot be written or used; the message names the file and what to do."""


@dataclass
class CheckpointData:
    """Everything a checkpoint holds, as plain data (tensors on the CPU)."""

    spec: Experiment
    model_state: dict[str, torch.Tensor]
    n_inputs: int
    n_outputs: int
    epoch: int = 0
    step: int = 0
    optimizer_state: dict | None = None
    scheduler_state: dict | None = None
    history: list[dict] = field(default_factory=list)
    trainer_state: dict = field(default_factory=dict)   # anything else the trainer needs to resume
    layerlab_version: str = core.__version__
    path: Path | None = None

    def build_model(self) -> nn.Sequential:
        """The network rebuilt from the spec with the saved weights loaded (on the CPU)."""
        from core.model import build_model

        model = build_model(self.spec, self.n_inputs, self.n_outputs)
        try:
            model.load_state_dict(self.model_state)
        except RuntimeError as err:
            where = f"{self.path}: " if self.path else ""
            first = str(err).strip().splitlines()[0]
            raise CheckpointError(f"{where}the saved weights do not fit the network its spec describes "
                                  f"({first}); the file was probably edited or is damaged") from None
        return model

    def loss_history(self):
        from core.history import LossHistory

        return LossHistory.from_records(self.history)

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "checkpoint_version": CHECKPOINT_VERSION,
            "layerlab_version": self.layerlab_version,
            "spec_json": self.spec.to_json(),
            "n_inputs": int(self.n_inputs),
            "n_outputs": int(self.n_outputs),
            "epoch": int(self.epoch),
            "step": int(self.step),
            "model_state": self.model_state,
            "optimizer_state": self.optimizer_state,
            "scheduler_state": self.scheduler_state,
            "history": list(self.history),
            "trainer_state": dict(self.trainer_state),
        }


def _cpu_copy(obj: Any) -> Any:
    """A deep copy with every tensor detached on the CPU (the run may keep training meanwhile)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpu_copy(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_cpu_copy(v) for v in obj)
    return copy.deepcopy(obj)


def capture_checkpoint(trainer: Any) -> CheckpointData:
    """A CPU copy of the trainer's state now. Call it between epochs (from the thread driving it).

    Uses `Trainer.state_dict()` (weights, optimizer, schedule, counters, live settings, history)
    and adds torch's RNG state (kept for anything drawing from it; dropout masks are a function of
    seed, epoch and position, core/dropout_mask.py) and the regression target scale (y_mean, y_std),
    so a restore can tell when the rebuilt data would scale differently.
    """
    state = dict(trainer.state_dict())
    model_state = state.pop("model")
    optimizer_state = state.pop("optimizer", None)
    schedule_state = state.pop("schedule", None)
    history = state.pop("history", [])
    epoch, step = int(state.pop("epoch", trainer.epoch)), int(state.pop("step", trainer.step))
    state["torch_rng_state"] = torch.get_rng_state()
    dataset = trainer.dataset
    if getattr(dataset, "y_mean", None) is not None:
        state["target_scale"] = [float(dataset.y_mean), float(dataset.y_std)]
    return CheckpointData(
        spec=trainer.spec,
        model_state=_cpu_copy(dict(model_state)),
        n_inputs=int(dataset.n_inputs),
        n_outputs=int(dataset.n_outputs),
        epoch=epoch,
        step=step,
        optimizer_state=_cpu_copy(optimizer_state),
        scheduler_state=_cpu_copy(schedule_state),
        history=list(history),
        trainer_state=_cpu_copy(state),
    )


def restore_trainer(data: CheckpointData, dataset: Any = None, device: Any = None) -> Any:
    """A Trainer that continues exactly where the checkpointed run stopped.

    Rebuilds the data (or uses `dataset`) and the model from the spec, then loads the weights,
    optimizer and schedule state, counters, live settings and history. The next `train_epoch()`
    gives the same result the original run would have. Raises CheckpointError if the data no
    longer fits the saved network (e.g. the CSV file changed).
    """
    from core.trainer import Trainer

    where = f"{data.path}: " if data.path else ""
    trainer = Trainer(data.spec, dataset=dataset, device=device)
    if (trainer.dataset.n_inputs, trainer.dataset.n_outputs) != (data.n_inputs, data.n_outputs):
        raise CheckpointError(
            f"{where}the data now gives {trainer.dataset.n_inputs} inputs and {trainer.dataset.n_outputs} "
            f"outputs, but the saved network has {data.n_inputs} and {data.n_outputs}; the data file "
            "has probably changed since the checkpoint was saved")
    extra = dict(data.trainer_state)
    rng = extra.pop("torch_rng_state", None)
    _check_target_scale(extra.pop("target_scale", None), trainer.dataset, where)
    state = {"model": data.model_state, "optimizer": data.optimizer_state, "schedule": data.scheduler_state,
             "epoch": data.epoch, "step": data.step, "history": data.history, **extra}
    try:
        trainer.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointError(f"{where}the saved state does not fit the network its spec describes "
                              f"({first}); the file was probably edited or is damaged") from None
    if isinstance(rng, torch.Tensor) and rng.dtype == torch.uint8:
        torch.set_rng_state(rng)
    return trainer


def _check_target_scale(saved: Any, dataset: Any, where: str) -> None:
    """The weights predict standardised targets: the rebuilt data must un-standardise them the same way."""
    if saved is None:  # older checkpoints, and sets whose targets are not standardised
        return
    try:
        saved_mean, saved_std = (float(v) for v in saved)
    except (TypeError, ValueError):
        raise CheckpointError(f"{where}the checkpoint's target scale is damaged") from None
    mean, std = getattr(dataset, "y_mean", None), getattr(dataset, "y_std", None)
    if mean is None or std is None or not (
            math.isclose(mean, saved_mean, rel_tol=1e-6, abs_tol=1e-9)
            and math.isclose(std, saved_std, rel_tol=1e-6, abs_tol=1e-9)):
        now = "none" if mean is None else f"mean {mean:g}, std {std:g}"
        raise CheckpointError(
            f"{where}the run's targets were scaled with mean {saved_mean:g}, std {saved_std:g}, but the data "
            f"now gives {now}; the data file has probably changed since the checkpoint was saved, so its "
            "predictions would be off. Restore the original data file or start a new run")


def write_checkpoint(source: Any, path: str | Path) -> None:
    """torch.save a checkpoint straight to `path` (for core.atomic / autosave writers that own the temp file).

    `source` is a Trainer or a CheckpointData (e.g. captured earlier on the training thread).
    """
    data = source if isinstance(source, CheckpointData) else capture_checkpoint(source)
    torch.save(data.to_payload(), str(path))


def save_checkpoint(source: Any, path: str | Path) -> Path:
    """Save a Trainer's (or a CheckpointData's) state to `path` atomically; returns the path.

    Raises CheckpointError naming the file if it cannot be written; nothing partial is left.
    """
    path = Path(path)
    data = source if isinstance(source, CheckpointData) else capture_checkpoint(source)
    try:
        atomic_write_with(path, lambda tmp: write_checkpoint(data, tmp))
    except WriteError as err:
        raise CheckpointError(str(err)) from None
    return path


def _is_torchscript_archive(path: Path) -> bool:
    """torch.load hands TorchScript archives to torch.jit.load even with weights_only=True."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") or name == "constants.pkl"
                       for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _read_payload(path: Path) -> Any:
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if _is_torchscript_archive(path):
        raise CheckpointError(f"{path}: is a TorchScript model export, not a checkpoint; open it with "
                              "torch.jit.load, or open a LayerLab checkpoint (.pt saved by LayerLab)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol 4" on hand-made files
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "weights only load failed" in str(err).lower() or "unsupported global" in str(err).lower():
            raise CheckpointError(f"{path}: {_UNSAFE}") from None
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (the file is damaged or of another kind)") from None
    except PermissionError:
        raise CheckpointError(f"{path}: cannot read it (permission denied)") from None
    except Exception:  # noqa: BLE001 - torch.load raises many types for damaged files
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (the file is damaged, truncated or "
                              "of another kind)") from None


def load_checkpoint(path: str | Path) -> CheckpointData:
    """Read a checkpoint safely (plain data only) and check it is complete and consistent."""
    path = Path(path)
    raw = _read_payload(path)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (it holds no LayerLab header); "
                              "weights saved by other programs cannot be opened here")
    version = raw.get("checkpoint_version")
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint version {version!r} is newer than this LayerLab "
                              f"reads ({CHECKPOINT_VERSION}); update LayerLab to open it")
    try:
        spec = loads_experiment(raw["spec_json"])
    except KeyError:
        raise CheckpointError(f"{path}: the checkpoint has no experiment spec; the file is damaged") from None
    except (SpecError, TypeError) as err:
        raise CheckpointError(f"{path}: its experiment spec is not valid: {err}") from None
    model_state = raw.get("model_state")
    if not isinstance(model_state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model_state.items()):
        raise CheckpointError(f"{path}: the checkpoint's weights are missing or damaged")
    try:
        n_inputs, n_outputs = int(raw["n_inputs"]), int(raw["n_outputs"])
        epoch, step = int(raw.get("epoch", 0)), int(raw.get("step", 0))
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: the checkpoint's shape or counters are missing or damaged") from None
    history = raw.get("history") or []
    if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        raise CheckpointError(f"{path}: the checkpoint's loss history is damaged")
    return CheckpointData(
        spec=spec, model_state=model_state, n_inputs=n_inputs, n_outputs=n_outputs, epoch=epoch, step=step,
        optimizer_state=raw.get("optimizer_state"), scheduler_state=raw.get("scheduler_state"),
        history=history, trainer_state=raw.get("trainer_state") or {},
        layerlab_version=str(raw.get("layerlab_version", "unknown")), path=path)
