"""The runs kept for comparison, in the order they ended: names, the saved form, CSV tables.

Saved with the experiment as the file's optional top-level "runs" list (core.spec.files reads the
spec around it, so older files, and `layerlab train` on newer ones, are unaffected).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from core.runs.differences import describe_differences
from core.runs.record import CURVES, RunRecord

MAX_RUNS = 200  # the oldest go first; each holds at most CURVE_POINTS points per curve
RUN_COLUMNS = ["name", "time", "differences", "ended", "epochs", "train_loss", "test_loss", "train_accuracy",
               "test_accuracy", "best_epoch", "best_test_loss", "epochs_per_second"]


class RunList:
    """Kept runs, oldest first; each new one named 'Run N' unless named already."""

    def __init__(self, runs: list[RunRecord] | None = None) -> None:
        self.runs: list[RunRecord] = list(runs or [])
        self._next = len(self.runs) + 1

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.runs)

    def __getitem__(self, index: int) -> RunRecord:
        return self.runs[index]

    def next_name(self) -> str:
        names = {r.name for r in self.runs}
        while f"Run {self._next}" in names:
            self._next += 1
        return f"Run {self._next}"

    def add(self, run: RunRecord) -> RunRecord:
        if not run.name:
            run.name = self.next_name()
        self._next += 1
        self.runs.append(run)
        del self.runs[:-MAX_RUNS]
        return run

    def remove(self, index: int) -> RunRecord:
        return self.runs.pop(index)

    def rename(self, index: int, name: str) -> None:
        """A new name; blank text keeps the old one (a run always has a name)."""
        name = " ".join(str(name).split())[:80]
        if name:
            self.runs[index].name = name

    def clear(self) -> None:
        self.runs.clear()
        self._next = 1

    # --- saved form -------------------------------------------------------------------------------
    def to_json(self) -> list[dict]:
        return [run.to_dict() for run in self.runs]

    @classmethod
    def from_json(cls, raw: Any) -> tuple["RunList", list[str]]:
        """The list from a file's "runs" value and a line per run that could not be read (skipped)."""
        if raw is None:
            return cls(), []
        if not isinstance(raw, list):
            return cls(), [f"'runs' should be a list, not {type(raw).__name__}; no runs were read"]
        runs, problems = [], []
        for i, item in enumerate(raw, 1):
            try:
                runs.append(RunRecord.from_dict(item))
            except (ValueError, TypeError) as err:
                problems.append(f"run {i}: {err}")
        return cls(runs[-MAX_RUNS:]), problems

    # --- CSV --------------------------------------------------------------------------------------
    def runs_csv(self, now: dict) -> str:
        """One row per run: name, time, what differs from `now` (a spec dict), how it ended, figures."""
        out = io.StringIO()
        writer = csv.DictWriter(out, RUN_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for run in self.runs:
            row = {k: getattr(run, k) for k in RUN_COLUMNS if k != "differences"}
            row["differences"] = describe_differences(run.spec, now)
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()

    def curves_csv(self) -> str:
        """The runs' curves in long form: one row per (run, epoch kept)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", *CURVES])
        for run in self.runs:
            columns = [run.curves.get(name) or [] for name in CURVES]
            for values in zip(*columns):
                writer.writerow([run.name, *("" if v is None else v for v in values)])
        return out.getvalue()


def read_runs(path: Any) -> tuple[RunList, list[str]]:
    """The runs saved in an experiment file (an empty list for files without any), and problems."""
    import json
    from pathlib import Path

    from core.files.textfile import NotText, decode_text

    try:
        text, _ = decode_text(Path(path).read_bytes())
        raw = json.loads(text)
    except (OSError, ValueError, NotText, RecursionError) as err:
        return RunList(), [f"the runs in {Path(path).name} could not be read ({err})"]
    return RunList.from_json(raw.get("runs") if isinstance(raw, dict) else None)
