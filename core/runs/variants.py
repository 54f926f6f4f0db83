"""A sweep's variants: the experiment with one setting set to each value. Shared by
`layerlab sweep` (core/cli_sweep.py) and the window's sweep; a setting is a SWEEP_SETTINGS name
(learning_rate, width, depth, optimizer ...) or any dotted spec key (optimizer.lr, data.noise).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from core.echo import echo
from core.runs.settings import SWEEP_SETTINGS, set_key

MAX_VALUES = 64


def parse_value(text: str) -> Any:
    """A JSON value when the text is one (numbers, true/false, lists), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def with_value(raw: dict, setting: str, value: Any) -> dict:
    """The experiment dict `raw` with `setting` (a SWEEP_SETTINGS name or a dotted key) set to `value`."""
    record = SWEEP_SETTINGS.get(setting)
    return record.apply(raw, value) if record is not None else set_key(raw, setting, value)


def variant_specs(base: dict, setting: str, values: list[Any], folder: Path | None = None) -> list[Any]:
    """One Experiment per value, in order; SpecError naming `setting=value` for the first that is invalid.
    A CSV path relative to the experiment's `folder` is made absolute, so every variant finds it."""
    from core.spec import SpecError, parse_experiment

    specs = []
    for value in values:
        try:
            spec = parse_experiment(with_value(base, setting, value))
        except (SpecError, ValueError) as err:
            raise SpecError(f"{setting}={echo(value)}: {err}") from None
        if folder is not None and (data_path := spec.data.path) and not Path(data_path).is_absolute():
            spec = spec.replace(data={**spec.data.model_dump(mode="json"),
                                      "path": str((folder / data_path).resolve())})
        specs.append(spec)
    return specs


def folder_name(index: int, key: str, value: Any) -> str:
    """'02-optimizer.lr=0.01': the variant's folder (safe characters only)."""
    text = re.sub(r"[^A-Za-z0-9_.=+-]", "_", f"{key}={json.dumps(value) if not isinstance(value, str) else value}")
    return f"{index:02d}-{text[:80]}"


def value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
