"""Small, Qt-free edits of an Experiment by dotted key ("optimizer.name"), so undo can store just
what changed, plus the follow-on changes that keep a spec consistent (task and loss fit the data)."""

from __future__ import annotations

from typing import Any

from core.data.sources import SOURCES
from core.nn.losses import AUTOENCODER_LOSSES
from core.spec import REGRESSION_LOSSES, DataSource, Experiment, Loss, Task, parse_experiment

# Other changes rebuild the network and start again at epoch 0 (TF Playground semantics); the
# live settings (core.training.live.LIVE: learning rate, batch size, regularisation rate) do not.


def value_at(spec: Experiment, key: str) -> Any:
    """The JSON value of a dotted key, e.g. value_at(spec, 'data.noise') -> 0.1."""
    node: Any = spec.to_dict()
    for part in key.split("."):
        node = node[part]
    return node


def patched(spec: Experiment, changes: dict[str, Any]) -> Experiment:
    """A validated copy of `spec` with dotted keys replaced; raises core.spec.SpecError if invalid."""
    data = spec.to_dict()
    for key, value in changes.items():
        node = data
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = _jsonable(value)
    return parse_experiment(data)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value"), (str, int)):
        return value.value  # an Enum
    return value


def task_of_source(source: DataSource) -> Task | None:
    """The task a source dictates (its record's task), or None for CSV (the user decides)."""
    return SOURCES[source].task


def default_loss(task: Task, n_classes: int = 2) -> Loss:
    if task in (Task.regression, Task.autoencoder):
        return Loss.mse
    return Loss.cross_entropy if n_classes > 2 else Loss.bce


def with_consequences(spec: Experiment, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` plus what must change with them: the task a new data source implies, a loss that
    fits the task, and no 2-D features for tabular sets. The result is what undo restores."""
    out = dict(changes)
    source = DataSource(_jsonable(out.get("data.source", spec.data.source)))
    task = out.get("task")
    if task is None:
        # an autoencoder takes any source: a new one keeps the task
        task = spec.task if spec.task == Task.autoencoder else task_of_source(source) or spec.task
        if task != spec.task:
            out["task"] = Task(task).value
    task = Task(_jsonable(task))
    loss = Loss(_jsonable(out.get("loss", spec.loss)))
    if task == Task.regression and loss not in REGRESSION_LOSSES:
        out["loss"] = Loss.mse.value
    elif task == Task.autoencoder and (loss not in AUTOENCODER_LOSSES or task != spec.task and "loss" not in changes):
        out["loss"] = Loss.mse.value  # standardised units: 1.0 = predicting the mean row
    elif task == Task.classification and task != spec.task and "loss" not in changes:
        out["loss"] = Loss.bce.value
    if SOURCES[source].family != "toy" and spec.features is not None:
        out["features"] = None
    if source != DataSource.csv and "data.source" in changes:
        out.setdefault("data.path", None)
        out.setdefault("data.target", None)
        out.setdefault("data.columns", None)
    return {k: v for k, v in out.items() if k in changes or _differs(spec, k, v)}


def loss_for_classes(spec: Experiment, n_classes: int) -> Loss | None:
    """The loss to switch to once the data shows more than two classes (None: keep the current one)."""
    if spec.task == Task.classification and n_classes > 2 and spec.loss != Loss.cross_entropy:
        return Loss.cross_entropy
    return None


def _differs(spec: Experiment, key: str, value: Any) -> bool:
    try:
        return value_at(spec, key) != _jsonable(value)
    except (KeyError, TypeError):
        return True
