"""Field-by-field checks of a loaded checkpoint payload, so a damaged or edited file is refused on
load with one message naming the field, before anything in the app changes.

`check_payload` gets what torch.load(weights_only=True) returned and gives back the validated
fields; every problem is a CheckpointFieldError("field 'x' ...") the caller prefixes with the path.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from core.spec import Experiment, SpecError, loads_experiment

MAX_EPOCH = 10**9          # more epochs than any run could have done
MAX_STEP = 10**15
MAX_WIDTH = 10**7          # inputs or outputs of the network
MAX_HISTORY = 1_000_000    # saved histories are thinned to a few thousand points
DRY_STEP_MAX_WEIGHTS = 4_000_000
REQUIRED = ("checkpoint_version", "spec_json", "n_inputs", "n_outputs", "epoch", "step", "model_state",
            "optimizer_state", "scheduler_state", "history", "trainer_state")


class CheckpointFieldError(ValueError):
    """One field of a checkpoint is missing or wrong; the message names it."""


def short(value: Any, limit: int = 80) -> str:
    """repr(value) cut to about `limit` characters, so a huge value never floods a message."""
    text = repr(value) if not isinstance(value, torch.Tensor) else f"a tensor of shape {tuple(value.shape)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(field: str, problem: str) -> CheckpointFieldError:
    return CheckpointFieldError(f"field '{field}' {problem}")


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be a whole number, not {type(value).__name__} {short(value)}")
    if not low <= value <= high:
        raise _fail(field, f"is {short(value)}, outside {low}..{high:,}")
    return value


def _real(field: str, value: Any, low: float = -math.inf, high: float = math.inf, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(field, f"must be a number, not {type(value).__name__} {short(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise _fail(field, f"is {value}, not a finite number")
    if not low <= value <= high or (positive and value <= 0):
        raise _fail(field, f"is {value:g}, outside its range")
    return value


def _dict(field: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise _fail(field, f"must be a dictionary, not {type(value).__name__} {short(value)}")
    return value


def _finite_tensor(field: str, tensor: torch.Tensor) -> None:
    if tensor.layout != torch.strided:
        raise _fail(field, f"holds a {tensor.layout} tensor; only plain tensors are saved")
    if tensor.is_floating_point() and tensor.numel() and not bool(torch.isfinite(tensor).all()):
        raise _fail(field, "holds NaN or infinite values; the run had diverged or the file was edited")


def _expected_state(spec: Experiment, n_inputs: int, n_outputs: int) -> tuple[dict[str, torch.Tensor], list]:
    """The state-dict entries and parameters the spec's network has (built on the meta device:
    no memory, and the global RNG is left exactly as it was)."""
    from core.nn.build import build_model

    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        model = build_model(spec, n_inputs, n_outputs)
    return model.state_dict(), list(model.parameters())


def _check_model_state(value: Any, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    state = _dict("model_state", value)
    for key, tensor in state.items():
        if not isinstance(key, str) or not isinstance(tensor, torch.Tensor):
            raise _fail("model_state", f"entry {short(key)} is not a named tensor")
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        what = (f"lacks {', '.join(missing[:4])}" if missing else "") + \
               ("; " if missing and extra else "") + (f"has unknown {', '.join(extra[:4])}" if extra else "")
        raise _fail("model_state", f"does not fit the network its spec describes: it {short(what, 160)}")
    for key, want in expected.items():
        got = state[key]
        if tuple(got.shape) != tuple(want.shape):
            raise _fail("model_state", f"entry '{key}' has shape {tuple(got.shape)}, but the network its spec "
                        f"describes needs {tuple(want.shape)}")
        if got.is_floating_point() != want.is_floating_point():
            raise _fail("model_state", f"entry '{key}' has type {got.dtype}, expected {want.dtype}")
        _finite_tensor(f"model_state.{key}", got)
    return state


def _check_optimizer(value: Any, params: list, spec: Experiment) -> dict:
    state = _dict("optimizer_state", value)
    inner, groups = state.get("state"), state.get("param_groups")
    if not isinstance(inner, dict) or not isinstance(groups, list) or not all(
            isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups):
        raise _fail("optimizer_state", "is not an optimizer state (it needs 'state' and 'param_groups')")
    ids = [i for g in groups for i in g["params"]]
    if len(ids) != len(params) or len(set(ids)) != len(ids):
        raise _fail("optimizer_state", f"covers {len(ids)} weight tensors, but the network has {len(params)}")
    shape_of = {pid: tuple(p.shape) for pid, p in zip(ids, params)}
    for pid, entry in inner.items():
        if pid not in shape_of or not isinstance(entry, dict):
            raise _fail("optimizer_state", f"has state for an unknown weight tensor {short(pid)}")
        for name, item in entry.items():
            if isinstance(item, torch.Tensor):
                if item.dim() and tuple(item.shape) != shape_of[pid]:
                    raise _fail("optimizer_state", f"'{name}' has shape {tuple(item.shape)}, but its weight "
                                f"tensor has {shape_of[pid]}")
                _finite_tensor(f"optimizer_state.{name}", item)
    _dry_step(spec, state, params)
    return state


def _dry_step(spec: Experiment, state: dict, params: list) -> None:
    """One optimizer step on zero weights with the saved state: a state saved by another optimizer
    (an SGD state under an Adam spec) fails here instead of in the middle of training."""
    import copy

    from core.nn.optimizers import build_optimizer

    if sum(p.numel() for p in params) > DRY_STEP_MAX_WEIGHTS:
        return  # too large to copy cheaply; the shape checks above still ran
    weights = [torch.zeros(p.shape, requires_grad=True) for p in params]
    optimizer = build_optimizer(spec, weights)
    try:
        optimizer.load_state_dict(copy.deepcopy(state))
        for w in weights:
            w.grad = torch.zeros_like(w)
        optimizer.step()
    except (KeyError, RuntimeError, ValueError, TypeError, IndexError, AttributeError) as err:
        text = f"{type(err).__name__}: {err}" if isinstance(err, KeyError) else str(err)
        raise _fail("optimizer_state", f"does not fit the spec's optimizer ({spec.optimizer.name.value}): "
                    f"{short(text, 160)}") from None


def _check_schedule(value: Any, epoch: int) -> dict:
    state = _dict("scheduler_state", value)
    if "base_lr" not in state or "anchor_epoch" not in state:
        raise _fail("scheduler_state", "needs 'base_lr' and 'anchor_epoch'")
    _real("scheduler_state.base_lr", state["base_lr"], positive=True)
    _whole("scheduler_state.anchor_epoch", state["anchor_epoch"], 0, MAX_EPOCH)
    return state


def _check_history(value: Any, epoch: int) -> list[dict]:
    from core.training.snapshot import EpochRecord

    if not isinstance(value, list):
        raise _fail("history", f"must be a list of epochs, not {type(value).__name__}")
    if len(value) > MAX_HISTORY:
        raise _fail("history", f"has {len(value):,} entries, more than {MAX_HISTORY:,}; the file was edited")
    last = 0
    for i, entry in enumerate(value):
        where = f"history[{i}]"
        if not isinstance(entry, dict) or not all(isinstance(k, str) for k in entry):
            raise _fail(where, f"must be a dictionary of figures, not {short(entry)}")
        for key in ("epoch", "step", "train_loss", "test_loss"):
            if key not in entry:
                raise _fail(where, f"lacks '{key}'")
        try:
            record = EpochRecord(**{k: entry[k] for k in EpochRecord.__dataclass_fields__ if k in entry})
        except (TypeError, ValueError) as err:
            raise _fail(where, f"is not valid: {short(str(err), 120)}") from None
        if not last <= record.epoch <= epoch:
            raise _fail(where, f"has epoch {record.epoch}, out of order or after the saved epoch {epoch}")
        if not math.isfinite(record.train_loss) or math.isinf(record.test_loss):
            raise _fail(where, "holds an infinite or NaN loss")
        for acc in (record.train_accuracy, record.test_accuracy):
            if acc is not None and not 0.0 <= acc <= 1.0:
                raise _fail(where, f"holds an accuracy of {short(acc)}, outside 0..1")
        last = record.epoch
    return value


def _check_trainer_state(value: Any) -> dict:
    state = _dict("trainer_state", value)
    for key, item in state.items():
        if not isinstance(key, str):
            raise _fail("trainer_state", f"has a key {short(key)} that is not a name")
    if "batch_size" in state:
        _whole("trainer_state.batch_size", state["batch_size"], 1, 1_000_000)
    if "regularization_rate" in state:
        _real("trainer_state.regularization_rate", state["regularization_rate"], 0.0, 10.0)
    rng = state.get("torch_rng_state")
    if rng is not None:
        want = torch.get_rng_state()
        if not isinstance(rng, torch.Tensor) or rng.dtype != want.dtype or tuple(rng.shape) != tuple(want.shape):
            got = f"{rng.dtype} of shape {tuple(rng.shape)}" if isinstance(rng, torch.Tensor) else type(rng).__name__
            raise _fail("trainer_state.torch_rng_state", f"is {got}; this PyTorch needs {want.dtype} of shape "
                        f"{tuple(want.shape)}")
    scale = state.get("target_scale")
    if scale is not None:
        if not isinstance(scale, (list, tuple)) or len(scale) != 2:
            raise _fail("trainer_state.target_scale", f"must be [mean, std], not {short(scale)}")
        _real("trainer_state.target_scale", scale[0])
        _real("trainer_state.target_scale", scale[1], positive=True)
    return state


def check_payload(raw: dict, current_version: int) -> dict[str, Any]:
    """The validated fields of a LayerLab checkpoint payload (the 'format' header already checked)."""
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise _fail(missing[0], "is missing" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    version = raw["checkpoint_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail("checkpoint_version", f"is {short(version)}, not a valid version (1..{current_version})")
    if version > current_version:
        raise _fail("checkpoint_version", f"is {version}, newer than this LayerLab reads ({current_version}); "
                    "update LayerLab to open it")
    spec_json = raw["spec_json"]
    if not isinstance(spec_json, str):
        raise _fail("spec_json", f"must be the experiment as JSON text, not {type(spec_json).__name__}")
    try:
        spec = loads_experiment(spec_json)
    except (SpecError, TypeError, RecursionError) as err:
        raise _fail("spec_json", f"is not a valid experiment: {short(str(err), 300)}") from None
    n_inputs = _whole("n_inputs", raw["n_inputs"], 1, MAX_WIDTH)
    n_outputs = _whole("n_outputs", raw["n_outputs"], 1, MAX_WIDTH)
    epoch = _whole("epoch", raw["epoch"], 0, MAX_EPOCH)
    step = _whole("step", raw["step"], 0, MAX_STEP)
    expected, params = _expected_state(spec, n_inputs, n_outputs)
    version_text = raw.get("layerlab_version", "unknown")
    return {
        "spec": spec, "n_inputs": n_inputs, "n_outputs": n_outputs, "epoch": epoch, "step": step,
        "model_state": _check_model_state(raw["model_state"], expected),
        "optimizer_state": _check_optimizer(raw["optimizer_state"], params, spec),
        "scheduler_state": _check_schedule(raw["scheduler_state"], epoch),
        "history": _check_history(raw["history"], epoch),
        "trainer_state": _check_trainer_state(raw["trainer_state"]),
        "layerlab_version": version_text[:40] if isinstance(version_text, str) else "unknown",
    }
