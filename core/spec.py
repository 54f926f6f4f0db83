"""The experiment spec: one typed, validated, JSON-serialisable description of a whole run.

The GUI edits it, the trainer consumes it, exports record it and the CLI loads it. Enums here
are the single source for every choice list (the GUI fills its combo boxes from them).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.echo import clip, echo, unencodable
from core.choices import Engine, Feature, Norm, RegularizationKind, ScheduleKind, Task
from core.data.sources import (BUNDLED_CLASSIFICATION, BUNDLED_REGRESSION, TOY_CLASSIFICATION, TOY_REGRESSION,
                                TOY_SOURCES, DataSource)
from core.nn.activations import Activation
from core.nn.losses import BINARY_ONLY_LOSSES, REGRESSION_LOSSES, Loss
from core.nn.optimizers import OPTIMIZERS, OptimizerName
from core.files.textfile import NotText, decode_text, file_problem

SCHEMA_VERSION = 1


class SpecError(ValueError):
    """A spec (or experiment file) that cannot be used; the message says which key and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True,
                              allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _text_is_text(cls, data: Any) -> Any:
        # pydantic itself raises a bare UnicodeEncodeError on a lone surrogate: name the key instead
        problem = find_bad_text(data)
        if problem:
            raise PydanticCustomError("bad_text", "{problem}", {"problem": problem})
        if isinstance(data, dict):  # pydantic would read true as 1: a careless "lr": true is not a rate
            for name, field in cls.model_fields.items():
                if field.annotation in (int, float) and isinstance(data.get(name), bool):
                    raise PydanticCustomError("bad_text", "{name}: got {value}; give a number",
                                              {"name": name, "value": str(data[name]).lower()})
        return data


_TEXT_DEPTH = 16  # deeper than any real spec; pydantic reports the wrong types beyond it


def find_bad_text(value: Any, where: str = "", depth: int = 0) -> str | None:
    """'key.path: why' for the first string (or key) in `value` that is not valid text, else None."""
    if isinstance(value, str):
        why = unencodable(value)
        return f"{where or 'value'}: {why}; retype it as plain text" if why else None
    if depth >= _TEXT_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{clip(key)}" if where else clip(key)
            if isinstance(key, str) and (why := unencodable(key)):
                return f"{here}: this key {why}"
            if problem := find_bad_text(item, here, depth + 1):
                return problem
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if problem := find_bad_text(item, f"{where}.{i}" if where else str(i), depth + 1):
                return problem
    return None


class DataSpec(_Strict):
    source: DataSource = DataSource.circle
    samples: int = Field(500, ge=10, le=5_000_000, description="points to generate (toy sets only)")
    noise: float = Field(0.0, ge=0.0, le=1.0, description="TF Playground noise as a fraction (UI 0-50 %)")
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0, description="share of rows used for training")
    path: str | None = Field(None, description="CSV file (source 'csv' only)")
    target: str | None = Field(None, description="CSV column to predict (source 'csv' only)")
    columns: list[str] | None = Field(None, description="CSV input columns; all but the target if omitted")

    @model_validator(mode="after")
    def _csv_needs_path_and_target(self) -> "DataSpec":
        if self.source == DataSource.csv:
            if not self.path:
                raise ValueError("data.path is required when data.source is 'csv'")
            if not self.target:
                raise ValueError("data.target is required when data.source is 'csv'")
        return self

    @property
    def is_toy(self) -> bool:
        return self.source in TOY_SOURCES


class LayerSpec(_Strict):
    units: int = Field(4, ge=1, le=4096)
    activation: Activation = Activation.tanh
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    norm: Norm = Norm.none


class OptimizerSpec(_Strict):
    name: OptimizerName = OptimizerName.sgd
    lr: float = Field(0.03, gt=0.0, le=100.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="sgd and rmsprop only")
    nesterov: bool = Field(False, description="sgd only; needs momentum > 0")

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> "OptimizerSpec":
        if self.nesterov and (self.name != OptimizerName.sgd or self.momentum <= 0):
            raise ValueError("optimizer.nesterov needs optimizer.name 'sgd' and optimizer.momentum > 0")
        return self


class RegularizationSpec(_Strict):
    kind: RegularizationKind = RegularizationKind.none
    rate: float = Field(0.0, ge=0.0, le=10.0)


class ScheduleSpec(_Strict):
    kind: ScheduleKind = ScheduleKind.none
    step_size: int = Field(50, ge=1, description="epochs between decays (step)")
    gamma: float = Field(0.5, gt=0.0, le=1.0, description="decay factor (step, exponential)")


class Experiment(_Strict):
    """A whole run: data, features, network, loss, optimizer and training length."""

    schema_version: int = SCHEMA_VERSION
    seed: int = Field(0, ge=0, le=2**31 - 1)
    data: DataSpec = Field(default_factory=DataSpec)
    features: list[Feature] | None = Field(
        None, description="inputs for 2-D sets; None means x1, x2. Tabular sets use data.columns")
    task: Task = Task.classification
    layers: list[LayerSpec] = Field(default_factory=lambda: [LayerSpec(units=4), LayerSpec(units=2)],
                                    max_length=256)
    loss: Loss = Loss.bce
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    regularization: RegularizationSpec = Field(default_factory=RegularizationSpec)
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    batch_size: int = Field(10, ge=1, le=1_000_000)
    epochs: int = Field(100, ge=1, le=10_000_000)
    device: str = Field("auto", description="auto, cpu, cuda, cuda:N or mps")
    engine: Engine = Engine.auto

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema_version {v} is not supported here (this LayerLab reads "
                             f"{SCHEMA_VERSION}; older files are migrated when loaded with load_experiment)")
        return v

    @field_validator("features")
    @classmethod
    def _unique_features(cls, v: list[Feature] | None) -> list[Feature] | None:
        if v is not None:
            if not v:
                raise ValueError("features must name at least one input")
            if len(set(v)) != len(v):
                raise ValueError("features must not repeat an input")
        return v

    @field_validator("device")
    @classmethod
    def _device_form(cls, v: str) -> str:
        v = v.strip().lower()
        base, _, index = v.partition(":")
        if base not in ("auto", "cpu", "cuda", "mps") or (index and not (base == "cuda" and index.isdigit())):
            raise ValueError(f"device {echo(v)} is not one of auto, cpu, cuda, cuda:N, mps")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Experiment":
        src = self.data.source
        if self.features is not None and not self.data.is_toy:
            raise ValueError(f"features apply to the 2-D sets only; for '{src.value}' choose inputs "
                             "with data.columns")
        if src in TOY_CLASSIFICATION + BUNDLED_CLASSIFICATION and self.task != Task.classification:
            raise ValueError(f"task must be 'classification' for data.source '{src.value}'")
        if src in TOY_REGRESSION + BUNDLED_REGRESSION and self.task != Task.regression:
            raise ValueError(f"task must be 'regression' for data.source '{src.value}'")
        if self.task == Task.regression and self.loss not in REGRESSION_LOSSES:
            allowed = ", ".join(l.value for l in REGRESSION_LOSSES)
            raise ValueError(f"loss '{self.loss.value}' does not fit regression; allowed: {allowed}")
        return self

    @property
    def input_features(self) -> list[Feature]:
        """The 2-D feature list in effect (x1, x2 when none was chosen)."""
        return list(self.features) if self.features else [Feature.x1, Feature.x2]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def replace(self, **changes: Any) -> "Experiment":
        """A validated copy with top-level fields replaced (nested models may be passed as dicts)."""
        data = self.to_dict()
        for key, value in changes.items():
            data[key] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return parse_experiment(data)


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an experiment dict from any older schema_version up to SCHEMA_VERSION.

    Version 0 (the prototype) had flat keys: dataset, noise, hidden=[4, 2], activation,
    learning_rate, optimizer as a string, regularization + regularization_rate.
    """
    if not isinstance(raw, dict):
        raise SpecError("an experiment must be a JSON object at the top level")
    version = raw.get("schema_version", _guess_version(raw))
    if not isinstance(version, int) or isinstance(version, bool):
        raise SpecError(f"schema_version must be an integer, got {echo(version)}")
    if version > SCHEMA_VERSION:
        raise SpecError(f"this file has schema_version {version}, newer than this LayerLab "
                        f"understands ({SCHEMA_VERSION}); update LayerLab to open it")
    if version < 0:
        raise SpecError(f"schema_version {version} is not valid")
    data = dict(raw)
    if version == 0:
        data = _migrate_0_to_1(data)
    return data


_V0_ONLY_KEYS = ("dataset", "hidden", "learning_rate", "activation", "regularization_rate")


def _guess_version(raw: dict[str, Any]) -> int:
    """Files without schema_version are the prototype's (0) only if they use its flat keys."""
    flat_optimizer = isinstance(raw.get("optimizer"), str)
    return 0 if flat_optimizer or any(k in raw for k in _V0_ONLY_KEYS) else SCHEMA_VERSION


def _migrate_0_to_1(old: dict[str, Any]) -> dict[str, Any]:
    new: dict[str, Any] = {"schema_version": 1}
    data = {k: old.pop(k) for k in ("samples", "noise", "train_fraction") if k in old}
    if "dataset" in old:
        data["source"] = old.pop("dataset")
    if isinstance(data.get("noise"), (int, float)) and data["noise"] > 1:
        data["noise"] = data["noise"] / 100.0  # the prototype stored noise in percent
    new["data"] = data
    activation = old.pop("activation", "tanh")
    if "hidden" in old:
        hidden = old.pop("hidden")
        if isinstance(hidden, list):
            new["layers"] = [{"units": u, "activation": activation} for u in hidden]
        else:
            new["layers"] = hidden
    optimizer = {"name": old.pop("optimizer", "sgd")}
    if "learning_rate" in old:
        optimizer["lr"] = old.pop("learning_rate")
    new["optimizer"] = optimizer
    if "regularization" in old and not isinstance(old["regularization"], dict):
        new["regularization"] = {"kind": old.pop("regularization"),
                                 "rate": old.pop("regularization_rate", 0.0)}
    old.pop("schema_version", None)
    new.update(old)  # anything else keeps its name and is validated as usual
    return new


def _describe(err: ValidationError) -> str:
    """One readable line per problem, naming the key path and the allowed values."""
    lines = []
    for e in err.errors():
        where = ".".join(clip(p) for p in e["loc"]) or "experiment"
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "enum":
            expected = e.get("ctx", {}).get("expected", "")
            msg = f"got {echo(e.get('input'))}; allowed: {expected}"
        elif e["type"] == "extra_forbidden":
            msg = "is not a known key"
        elif e["type"] == "finite_number":
            msg = f"got {echo(e.get('input'))}; NaN and infinity are not numbers it accepts: give a finite number"
        elif e["type"] == "bad_text":  # names its own key path, which may lie deeper than loc
            lines.append(msg if not e["loc"] else f"{where}.{msg}")
            continue
        lines.append(f"{where}: {msg}")
    return "; ".join(lines)


def parse_experiment(raw: Any) -> Experiment:
    """Validate a dict (migrating older versions) into an Experiment, or raise SpecError."""
    data = migrate(raw)
    try:
        return Experiment.model_validate(data)
    except ValidationError as err:
        raise SpecError(f"invalid experiment: {_describe(err)}") from None


def loads_experiment(text: str) -> Experiment:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        raise SpecError("not valid JSON: nested too deeply (an experiment is a few levels deep)") from None
    except (TypeError, ValueError) as err:
        raise SpecError(f"not valid JSON: {clip(err)}") from None
    return parse_experiment(raw)


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment file; every failure is a SpecError that names the file."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        where = clip(path)
        if problem.startswith("is a folder"):
            raise SpecError(f"{where}: is a folder, not an experiment file") from None
        raise SpecError(f"{where}: {problem}") from None
    try:
        raw_bytes = path.read_bytes()
    except OSError as err:
        raise SpecError(f"{clip(path)}: cannot read ({err.strerror})") from None
    try:
        text, _ = decode_text(raw_bytes)
    except NotText as err:
        raise SpecError(f"{clip(path)}: not a text file: it {err}") from None
    try:
        spec = loads_experiment(text)
    except SpecError as err:
        raise SpecError(f"{clip(path)}: {err}") from None
    if spec.data.source == DataSource.csv and spec.data.path and not Path(spec.data.path).is_absolute():
        # CSV paths in a file are relative to that file, so experiments travel with their data.
        joined = path.parent / spec.data.path
        try:
            resolved = joined.resolve()
        except (OSError, RuntimeError):  # a symlink loop: the CSV reader names it when it opens the file
            resolved = joined.absolute()
        spec = spec.replace(data={**spec.data.model_dump(mode="json"), "path": str(resolved)})
    return spec


def save_experiment(spec: Experiment, path: str | Path) -> None:
    from core.files.atomic import atomic_write_text

    atomic_write_text(Path(path), spec.to_json() + "\n")
