"""Experiment files: parse (migrating older versions), read and write, with errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.data.sources import DataSource
from core.echo import clip, echo
from core.files.textfile import NotText, decode_text, file_problem
from core.spec.experiment import Experiment
from core.spec.migrate import migrate
from core.strict import SpecError

# Parts of an experiment file around the spec: the window's kept runs (core.runs.run_list), optional.
FILE_EXTRAS = ("runs",)


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
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k not in FILE_EXTRAS}
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


def experiment_text(spec: Experiment, runs: list[dict] | None = None) -> str:
    """The file's text: the spec and, with `runs` (core.runs.RunList.to_json()), the kept runs after it."""
    text = spec.to_json()
    if runs:  # one line per run: its curves would take thousands of lines indented
        lines = ",\n".join("    " + json.dumps(run, allow_nan=False) for run in runs)
        text = f'{text[:-2]},\n  "runs": [\n{lines}\n  ]\n}}'
    return text + "\n"


def save_experiment(spec: Experiment, path: str | Path, runs: list[dict] | None = None) -> None:
    """Write the spec; with `runs` (core.runs.RunList.to_json()), the kept runs after it."""
    from core.files.atomic import atomic_write_text

    atomic_write_text(Path(path), experiment_text(spec, runs))
