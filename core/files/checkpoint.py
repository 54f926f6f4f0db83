"""Checkpoints: the spec, weights, optimizer/schedule state, loss history and counters of a run.

Serialised with torch.save into memory, then written to a temp file that is renamed into place
(core.files.atomic), so a crash or a full disk never leaves half a file. Loaded with
torch.load(weights_only=True): a file that holds pickled code is refused before anything in it can
run, and every field is checked (core.files.checkpoint_fields) before anything uses it. The model is
rebuilt from the spec, then the weights are loaded into it, so a checkpoint only ever carries data.
"""

from __future__ import annotations

import copy
import io
import math
import pickle
import re
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import core
from core.files.atomic import WriteError, atomic_write_bytes, write_all
from core.files.checkpoint_fields import CheckpointFieldError, check_payload, short
from core.spec import Experiment

FORMAT = "layerlab-checkpoint"
CHECKPOINT_VERSION = 1

_UNSAFE = ("contains code/objects that are not plain data; refusing to load it{what}. Only open checkpoints "
           "from people you trust, and never with torch.load(weights_only=False)")
_INCOMPATIBLE = ("was written by an incompatible version or holds unexpected content ({what}); it was not "
                 "opened. Save it again with the LayerLab that wrote it, or start a new run")


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
        from core.nn.build import build_model

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
        from core.training.history import LossHistory

        return LossHistory.from_records(self.history)

    def to_payload(self) -> dict[str, Any]:
        """What torch.save writes: plain Python data and CPU tensors only (see _plain)."""
        return _plain({
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
        })


def _plain(obj: Any) -> Any:
    """`obj` with numpy scalars as Python numbers and numpy arrays as tensors: torch.load(weights_only=True)
    refuses numpy types, so one stray numpy float would make the whole checkpoint unreadable."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, dict):
        return {_plain(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_plain(v) for v in obj)
    return obj


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
    seed, epoch and position, core/engines/dropout_mask.py) and the regression target scale (y_mean, y_std),
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
    from core.training.trainer import Trainer

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


def checkpoint_bytes(source: Any) -> bytes:
    """The checkpoint file's content, serialised in memory (so a full disk cannot abort torch.save)."""
    data = source if isinstance(source, CheckpointData) else capture_checkpoint(source)
    buffer = io.BytesIO()
    try:
        torch.save(data.to_payload(), buffer)
    except (pickle.PicklingError, TypeError, AttributeError, RuntimeError) as err:
        raise CheckpointError(f"the run holds something a checkpoint cannot store ({short(str(err), 120)}); "
                              "nothing was written") from None
    return buffer.getvalue()


def write_checkpoint(source: Any, path: str | Path) -> None:
    """Write a checkpoint straight to `path` (for core.files.atomic / autosave writers that own the temp file).

    `source` is a Trainer or a CheckpointData (e.g. captured earlier on the training thread).
    """
    write_all(path, checkpoint_bytes(source))


def save_checkpoint(source: Any, path: str | Path) -> Path:
    """Save a Trainer's (or a CheckpointData's) state to `path` atomically; returns the path.

    Raises CheckpointError naming the file if it cannot be written (disk full, read-only, a folder
    of that name); nothing partial is left and a previous file at `path` is kept.
    """
    path = Path(path)
    content = checkpoint_bytes(source)
    try:
        atomic_write_bytes(path, content)
    except WriteError as err:
        raise CheckpointError(str(err)) from None
    return path


def _is_torchscript_archive(path: Path) -> bool:
    """torch.load hands TorchScript archives to torch.jit.load even with weights_only=True."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") or name == "constants.pkl"
                       for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


# Globals that only rebuild plain data (numbers, arrays, dates): a file naming one is not a threat,
# just not what this LayerLab writes. Any other global could run code when unpickled.
_DATA_GLOBALS = re.compile(
    r"^(numpy(\._core|\.core)?\.multiarray\.(scalar|_reconstruct)|numpy\.(dtype|ndarray)|numpy\.dtypes\.\w+"
    r"|set|frozenset|complex|bytearray|slice|range|decimal\.Decimal|fractions\.Fraction"
    r"|datetime\.(datetime|date|time|timedelta|timezone)|collections\.(deque|defaultdict|Counter)"
    r"|pathlib\.(Pure)?(Posix|Windows)?Path|uuid\.UUID)$")


def _data_global(name: str) -> bool:
    """True for a plain data type: numpy numbers, dates, LayerLab's own records and enums."""
    if _DATA_GLOBALS.match(name):
        return True
    if not name.startswith("core."):
        return False
    import importlib
    import inspect
    from dataclasses import is_dataclass
    from enum import Enum

    module_name, _, attr = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), attr)  # LayerLab's own modules: safe to import
    except (ImportError, AttributeError, ValueError):
        return False
    return inspect.isclass(obj) and (is_dataclass(obj) or issubclass(obj, Enum))


def _numpy_scalar_globals() -> list:
    """numpy number scalars (plain data, no code): LayerLab 0.x wrote some into fused-engine histories,
    so reading them keeps those checkpoints usable; _plain turns them into Python numbers."""
    kinds = ("Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType", "Int16DType",
             "Int8DType", "UInt64DType", "UInt32DType", "UInt16DType", "UInt8DType", "BoolDType")
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None) or np.core.multiarray
    return [multiarray.scalar, np.dtype] + [getattr(np.dtypes, k) for k in kinds if hasattr(np.dtypes, k)]


def _torch_global(name: str) -> bool:
    """A global torch's weights-only reader itself allows (tensor rebuilders, dtypes, OrderedDict)."""
    try:
        from torch._weights_only_unpickler import _get_allowed_globals

        allowed = _get_allowed_globals()
    except (ImportError, AttributeError):
        return name.startswith("torch.")
    return name in allowed or f"builtins.{name}" in allowed


def _refusal(path: Path, err: BaseException) -> CheckpointError:
    """Strong words for pickled code; 'incompatible or unexpected' for a data type it does not read."""
    text = str(err)
    found = re.search(r"GLOBAL (\S+) (?:was not an allowed global|whose module)", text)
    if found:
        name = found.group(1)
        if "whose module" not in text and _data_global(name):
            return CheckpointError(f"{path}: " + _INCOMPATIBLE.format(what=f"a {short(name, 80)} value"))
        return CheckpointError(f"{path}: " + _UNSAFE.format(what=f" (it would call {short(name, 80)})"))
    if "unrecognized function" in text or "Can only create new object" in text or "Can only build" in text:
        return CheckpointError(f"{path}: " + _UNSAFE.format(what=""))
    names, complete = _pickled_globals(path)  # a plain pickle the weights-only reader stopped on early
    if names or complete:
        unknown = [n for n in names if not _torch_global(n)]
        code = [n for n in unknown if not _data_global(n)]
        if code:
            return CheckpointError(f"{path}: " + _UNSAFE.format(what=f" (it would call {short(code[0], 80)})"))
        what = f"a {short(unknown[0], 80)} value" if unknown else "a plain pickle, not a checkpoint LayerLab wrote"
        return CheckpointError(f"{path}: " + _INCOMPATIBLE.format(what=what))
    return CheckpointError(f"{path}: not a LayerLab checkpoint (the file is damaged, truncated or of another "
                           "kind)")


def _pickled_globals(path: Path, limit: int = 64 << 20) -> tuple[list[str], bool]:
    """The globals (module.name) a plain pickle file would import, read without running anything,
    and whether the whole file is a well-formed pickle."""
    import pickletools

    try:
        with open(path, "rb") as fh:
            content = fh.read(limit)
    except OSError:
        return [], False
    names: list[str] = []
    complete = False
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(content):
            if op.name in ("GLOBAL", "INST"):
                names.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL":
                names.append(".".join(strings[-2:]) if len(strings) >= 2 else "an unnamed global")
            elif isinstance(arg, str) and "UNICODE" in op.name:
                strings.append(arg)
            elif op.name == "STOP":
                complete = True
    except Exception:  # noqa: BLE001 - damaged or truncated: what was read so far still counts
        pass
    return [n[len("builtins."):] if n.startswith("builtins.") else n for n in names], complete


def _read_payload(path: Path) -> Any:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except PermissionError:
        raise CheckpointError(f"{path}: cannot read it (permission denied)") from None
    except (OSError, ValueError) as err:  # a symlink loop, a NUL byte or an unencodable name
        raise CheckpointError(f"{short(str(path))}: cannot open it ({short(getattr(err, 'strerror', None) or str(err))})") \
            from None
    if stat.S_ISDIR(info.st_mode):
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{path}: is a device or pipe, not a checkpoint file")
    if info.st_size == 0:
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (the file is empty)")
    if _is_torchscript_archive(path):
        raise CheckpointError(f"{path}: is a TorchScript model export, not a checkpoint; open it with "
                              "torch.jit.load, or open a LayerLab checkpoint (.pt saved by LayerLab)")
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(_numpy_scalar_globals()):
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol 4" on hand-made files
            return _plain(torch.load(str(path), map_location="cpu", weights_only=True))
    except pickle.UnpicklingError as err:
        raise _refusal(path, err) from None
    except PermissionError:
        raise CheckpointError(f"{path}: cannot read it (permission denied)") from None
    except RecursionError:
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (its data is nested far too deeply)") from None
    except MemoryError:
        raise CheckpointError(f"{path}: too large to read into memory; it is not a checkpoint LayerLab wrote") \
            from None
    except Exception:  # noqa: BLE001 - torch.load raises many types for damaged files
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (the file is damaged, truncated or "
                              "of another kind)") from None


def load_checkpoint(path: str | Path) -> CheckpointData:
    """Read a checkpoint safely (plain data only) and check every field; CheckpointError names the
    file and the field that is wrong. Nothing outside the returned object changes."""
    path = Path(path)
    raw = _read_payload(path)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a LayerLab checkpoint (it holds no LayerLab header); "
                              "weights saved by other programs cannot be opened here")
    try:
        with torch.random.fork_rng(devices=[]):  # checking builds networks: the caller's random state stays
            fields = check_payload(raw, CHECKPOINT_VERSION)
    except CheckpointFieldError as err:
        hint = "" if "newer than this LayerLab" in str(err) else "; the file is damaged or was edited"
        raise CheckpointError(f"{path}: {err}{hint}") from None
    return CheckpointData(**fields, path=path)
