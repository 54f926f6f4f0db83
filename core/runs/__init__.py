"""Runs kept for comparison: a record per finished or reset run (record.py), what differs from the
current settings in words (differences.py), the list with its file and CSV forms (run_list.py), and
the sweep that trains variants of one setting in parallel processes (settings.py, variants.py,
process.py, pool.py). Pure Python + numpy; torch only inside the sweep's worker processes."""

from core.runs.differences import describe_differences
from core.runs.record import CURVE_POINTS, RunRecord, RunRecorder
from core.runs.run_list import RunList

__all__ = ["CURVE_POINTS", "RunList", "RunRecord", "RunRecorder", "describe_differences"]
