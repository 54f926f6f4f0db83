"""The experiment spec (schema_version 2): models, migration of older files, file I/O and shape checks.

Every name `core.spec` always had is here; the choices themselves live with their records
(core.nn.activations, core.nn.losses, core.nn.optimizers, core.data.sources, core.choices).
Importing this never imports torch.
"""

from core.choices import Engine, Feature, Norm, RegularizationKind, ScheduleKind, Task
from core.data.sources import (BUNDLED_CLASSIFICATION, BUNDLED_REGRESSION, BUNDLED_SOURCES, IMAGE_SOURCES,
                                SEQUENCE_SOURCES, TOY_CLASSIFICATION,
                                TOY_REGRESSION, TOY_SOURCES, DataSource)
from core.nn.activations import Activation
from core.nn.layers import ActivationName, AnyLayer, LayerSpec, LayerSpecBase, ShapeError
from core.nn.losses import BINARY_ONLY_LOSSES, REGRESSION_LOSSES, Loss
from core.nn.optimizers import OptimizerName
from core.spec.experiment import (SCHEMA_VERSION, DataSpec, Experiment, OptimizerSpec, RegularizationSpec,
                                  ScheduleSpec, StopSpec)
from core.spec.files import load_experiment, loads_experiment, parse_experiment, save_experiment
from core.spec.migrate import migrate
from core.strict import SpecError, Strict, find_bad_text

__all__ = ["BINARY_ONLY_LOSSES", "BUNDLED_CLASSIFICATION", "BUNDLED_REGRESSION", "BUNDLED_SOURCES", "IMAGE_SOURCES",
           "REGRESSION_LOSSES", "SCHEMA_VERSION", "SEQUENCE_SOURCES", "TOY_CLASSIFICATION", "TOY_REGRESSION", "TOY_SOURCES",
           "Activation", "ActivationName", "AnyLayer", "DataSource", "DataSpec", "Engine", "Experiment", "Feature",
           "LayerSpec", "LayerSpecBase", "Loss", "Norm", "OptimizerName", "OptimizerSpec", "RegularizationKind",
           "RegularizationSpec", "ScheduleKind", "ScheduleSpec", "ShapeError", "SpecError", "StopSpec", "Strict", "Task",
           "find_bad_text", "load_experiment", "loads_experiment", "migrate", "parse_experiment",
           "save_experiment"]
