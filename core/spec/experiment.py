"""The experiment spec: one typed, validated, JSON-serialisable description of a whole run.

The GUI edits it, the trainer consumes it, exports record it and the CLI loads it. Open choices
(activations, layer types, losses, optimizers, data sources) are registries; each layer names its
type, whose record says how it builds and what shape it gives.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from core.choices import Engine, Feature, RegularizationKind, ScheduleKind, Task
from core.data.sources import (BUNDLED_CLASSIFICATION, BUNDLED_REGRESSION, TOY_CLASSIFICATION, TOY_REGRESSION,
                                IMAGE_SOURCES, SEQUENCE_CLASSIFICATION, SEQUENCE_REGRESSION, TOY_SOURCES,
                                DataSource)
from core.echo import echo
from core.nn.layers import AnyLayer, LayerSpec
from core.nn.losses import AUTOENCODER_LOSSES, REGRESSION_LOSSES, Loss
from core.nn.optimizers import OptimizerName
from core.strict import Strict

SCHEMA_VERSION = 2


class DataSpec(Strict):
    source: DataSource = DataSource.circle
    samples: int = Field(500, ge=10, le=5_000_000, description="points to generate (toy sets only)")
    noise: float = Field(0.0, ge=0.0, le=1.0, description="TF Playground noise as a fraction (UI 0-50 %)")
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0, description="share of rows used for training")
    path: str | None = Field(None, description="CSV file (source 'csv') or image folder (source 'image_folder')")
    target: str | None = Field(None, description="CSV column to predict (source 'csv' only)")
    columns: list[str] | None = Field(None, description="CSV input columns; all but the target if omitted")
    image_size: int = Field(16, ge=4, le=128, description="image side in pixels ('shapes', 'image_folder')")
    color: Literal["grey", "rgb"] = Field("grey", description="channels of 'image_folder' images: grey (1) or rgb (3)")
    sequence_length: int | None = Field(None, ge=2, le=2000, description="time steps of each sequence (sequence "
                                        "sources); None: the source's default (sine 40, memory 80, patterns 40, "
                                        "csv_series 20)")

    @model_validator(mode="after")
    def _csv_needs_path_and_target(self) -> "DataSpec":
        if self.source == DataSource.csv:
            if not self.path:
                raise ValueError("data.path is required when data.source is 'csv'")
            if not self.target:
                raise ValueError("data.target is required when data.source is 'csv'")
        if self.source == DataSource.csv_series and not (self.path and self.target):
            raise ValueError("data.path (a CSV file) and data.target (its numeric column) are required when "
                             "data.source is 'csv_series'")
        if self.source == DataSource.image_folder and not self.path:
            raise ValueError("data.path (a folder with one sub-folder of images per class) is required "
                             "when data.source is 'image_folder'")
        return self

    @property
    def is_toy(self) -> bool:
        return self.source in TOY_SOURCES


class OptimizerSpec(Strict):
    name: OptimizerName = OptimizerName.sgd
    lr: float = Field(0.03, gt=0.0, le=100.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="sgd and rmsprop only")
    nesterov: bool = Field(False, description="sgd only; needs momentum > 0")

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> "OptimizerSpec":
        if self.nesterov and (self.name != OptimizerName.sgd or self.momentum <= 0):
            raise ValueError("optimizer.nesterov needs optimizer.name 'sgd' and optimizer.momentum > 0")
        return self


class RegularizationSpec(Strict):
    kind: RegularizationKind = RegularizationKind.none
    rate: float = Field(0.0, ge=0.0, le=10.0)


class ScheduleSpec(Strict):
    kind: ScheduleKind = ScheduleKind.none
    step_size: int = Field(50, ge=1, description="epochs between decays (step)")
    gamma: float = Field(0.5, gt=0.0, le=1.0, description="decay factor (step, exponential)")


class StopSpec(Strict):
    """When a run ends before `epochs` (all optional; see core/training/stopping.py).

    The figures are the test split's; with no test split, the training split's (the run says so).
    """

    target_test_accuracy: float | None = Field(None, gt=0.0, le=1.0,
                                               description="stop at the first epoch with test accuracy >= this")
    target_test_loss: float | None = Field(None, ge=0.0, description="stop at the first epoch with test loss <= this")
    patience: int | None = Field(None, ge=1, le=10_000_000,
                                 description="stop after this many epochs without a new lowest test loss")
    restore_best: bool = Field(False, description="end a run that stops by patience or reaches `epochs` on the "
                               "weights of its lowest-test-loss epoch")
    at_epochs: bool = Field(False, description="the window stops at `epochs` too (it trains until stopped "
                            "otherwise; layerlab train always stops there)")

    @property
    def active(self) -> bool:
        return (self.target_test_accuracy is not None or self.target_test_loss is not None
                or self.patience is not None or self.restore_best)


class Experiment(Strict):
    """A whole run: data, features, network, loss, optimizer and training length."""

    schema_version: int = SCHEMA_VERSION
    seed: int = Field(0, ge=0, le=2**31 - 1)
    data: DataSpec = Field(default_factory=DataSpec)
    features: list[Feature] | None = Field(
        None, description="inputs for 2-D sets; None means x1, x2. Tabular sets use data.columns")
    task: Task = Task.classification
    layers: list[AnyLayer] = Field(default_factory=lambda: [LayerSpec(units=4), LayerSpec(units=2)],
                                   max_length=256, description="hidden layers, input side first; each has a type")
    loss: Loss = Loss.bce
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    regularization: RegularizationSpec = Field(default_factory=RegularizationSpec)
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    batch_size: int = Field(10, ge=1, le=1_000_000)
    epochs: int = Field(100, ge=1, le=10_000_000)
    device: str = Field("auto", description="auto, cpu, cuda, cuda:N or mps")
    engine: Engine = Engine.auto
    stop: StopSpec = Field(default_factory=StopSpec, description="early stop and restore-best; older files have none")

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
        if self.task == Task.autoencoder:  # any source with numeric inputs; its labels only colour the views
            if self.loss not in AUTOENCODER_LOSSES:
                allowed = ", ".join(l.value for l in AUTOENCODER_LOSSES)
                raise ValueError(f"loss '{self.loss.value}' does not fit an autoencoder (it reconstructs its "
                                 f"inputs); allowed: {allowed}")
            if self.stop.target_test_accuracy is not None:
                raise ValueError("stop.target_test_accuracy needs a classification task; an autoencoder "
                                 "has no accuracy: use stop.target_test_loss")
            return self
        if (src in TOY_CLASSIFICATION + BUNDLED_CLASSIFICATION + IMAGE_SOURCES + SEQUENCE_CLASSIFICATION
                and self.task != Task.classification):
            raise ValueError(f"task must be 'classification' for data.source '{src.value}'")
        if src in TOY_REGRESSION + BUNDLED_REGRESSION + SEQUENCE_REGRESSION and self.task != Task.regression:
            raise ValueError(f"task must be 'regression' for data.source '{src.value}'")
        if self.task == Task.regression and self.loss not in REGRESSION_LOSSES:
            allowed = ", ".join(l.value for l in REGRESSION_LOSSES)
            raise ValueError(f"loss '{self.loss.value}' does not fit regression; allowed: {allowed}")
        if self.task == Task.regression and self.stop.target_test_accuracy is not None:
            raise ValueError("stop.target_test_accuracy needs a classification task; for regression use "
                             "stop.target_test_loss")
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
        from core.spec.files import parse_experiment

        return parse_experiment(data)
