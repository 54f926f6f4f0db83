"""Time from process start to the first paint of the LayerLab window, median of 5 cold launches, and
to the first trained epoch, with where that time goes (imports, data, network, fast engine).

Each run launches `python -m app` with LAYERLAB_FIRST_PAINT_EXIT=1 (the app prints when its window
was first painted, then quits) under a fresh temporary HOME / XDG_CONFIG_HOME / LAYERLAB_DATA_DIR,
so the real settings, recent files and autosaves are never read or touched. The clock starts just
before the process is spawned, so interpreter start-up and every import count. Target <= 2 s.
The first-epoch runs use LAYERLAB_FIRST_EPOCH_EXIT=1 (Play at the first paint, quit at epoch 1;
the app prints when each start-up phase ended). Target <= 3 s with warm caches (numba's kernels and
Python's bytecode: the benchmark turns PYTHONDONTWRITEBYTECODE off for its launches). The first epochs
train before torch has loaded (core/training/prelude.py): the phases are the data, the fast engine's
kernels, the first picture and the first epoch sent to the window, and the first epoch on screen.

The bare reference, in the same run: a process that only shows an empty Qt window, then imports numba
(what the first epoch cannot do without), then torch (what it waited for before the prelude): no
LayerLab code. First epoch minus window + numba is what LayerLab itself adds (data, kernels, drawing).

With --cold it times a machine's first start instead: every launch gets an empty numba cache, so the
fast engine's kernels compile (about a minute) while the run trains on torch. Its bare reference is that
compile alone, in a process that does nothing else: what the first epoch used to wait for.

    python3 benchmarks/startup.py [--runs 5] [--cold]

Runs offscreen unless DISPLAY / QT_QPA_PLATFORM say otherwise (an X server or Xvfb also works).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0
FIRST_EPOCH_TARGET_S = 3.0


def launch_once(probe: str = "LAYERLAB_FIRST_PAINT_EXIT") -> tuple[float, float]:
    """(seconds from spawn to first paint, seconds the app itself counted from its own start)."""
    fields, start = _launch(probe)
    if "first_paint_epoch" not in fields:
        raise RuntimeError(f"python -m app did not report a first paint:\n{fields}")
    return float(fields["first_paint_epoch"]) - start, float(fields.get("first_paint_s", "nan"))


def first_epoch_once(cold: bool = False) -> dict[str, float]:
    """Seconds from spawn to the end of each start-up phase and to the first trained epoch (with `cold`,
    from an empty numba cache)."""
    fields, start = _launch("LAYERLAB_FIRST_EPOCH_EXIT", cold)
    if "first_epoch_epoch" not in fields:
        raise RuntimeError(f"python -m app did not report a first epoch:\n{fields}")
    spawn_to_main = float(fields["first_epoch_epoch"]) - start - float(fields["first_epoch"])
    phases = {k: float(v) + spawn_to_main for k, v in fields.items()
              if k not in ("engine", "first_epoch_epoch")}
    phases["python start"] = spawn_to_main
    return phases


COMPILE_SCRIPT = "from core.engines import fused_warmup; fused_warmup.warm_up(); import time; print(time.time())"


def compile_once() -> float:
    """Seconds from spawn until the fast engine's kernels have compiled into an empty numba cache."""
    with tempfile.TemporaryDirectory(prefix="layerlab-numba-") as cache:
        start = time.time()
        out = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                             env=dict(os.environ, NUMBA_CACHE_DIR=cache), timeout=600)
    if out.returncode:
        raise RuntimeError(f"the compile reference failed:\n{out.stderr}")
    return float(out.stdout.split()[-1]) - start


BARE_SCRIPT = """
import time
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget()
w.resize(640, 480)
w.show()
app.processEvents()
painted = time.time()
import numba
with_numba = time.time()
import torch
print(f"bare_paint_epoch={painted:.4f} bare_numba_epoch={with_numba:.4f} bare_done_epoch={time.time():.4f}")
"""


def _with_platform(env: dict[str, str]) -> dict[str, str]:
    """Offscreen unless a display or QT_QPA_PLATFORM says otherwise; Python's bytecode cache on (a
    PYTHONDONTWRITEBYTECODE=1 shell would compile every LayerLab module at each launch, ~0.4 s that
    a user's installed copy never pays: the untimed first launch writes the cache)."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "")
    if not env["QT_QPA_PLATFORM"]:
        del env["QT_QPA_PLATFORM"]
    return env


def bare_once() -> tuple[float, float, float]:
    """Seconds from spawn to an empty Qt window shown, to numba imported as well, and to torch too."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", BARE_SCRIPT], env=_with_platform(dict(os.environ)), capture_output=True, text=True, timeout=120)
    fields = dict(token.split("=", 1) for token in out.stdout.split() if "=" in token)
    if "bare_done_epoch" not in fields:
        raise RuntimeError(f"the bare reference printed nothing (exit {out.returncode}):\n{out.stderr}")
    return tuple(float(fields[f"bare_{name}_epoch"]) - start for name in ("paint", "numba", "done"))  # type: ignore[return-value]


def _launch(probe: str, cold: bool = False) -> tuple[dict[str, str], float]:
    with tempfile.TemporaryDirectory(prefix="layerlab-startup-") as home:
        env = dict(os.environ, HOME=home, **{probe: "1"},
                   XDG_CONFIG_HOME=str(Path(home) / "config"), XDG_DATA_HOME=str(Path(home) / "data"),
                   XDG_CACHE_HOME=str(Path(home) / "cache"), LAYERLAB_DATA_DIR=str(Path(home) / "layerlab"))
        env = _with_platform(env)
        if cold:  # a machine's first start: nothing compiled yet
            env["NUMBA_CACHE_DIR"] = str(Path(home) / "numba")
        # numba keeps its compiled kernels next to the sources (core/engines/__pycache__), not under HOME,
        # so a fresh HOME does not make the (post-paint) kernel load slower than a user's.
        start = time.time()
        out = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    fields = dict(token.split("=", 1) for token in out.stdout.split() if "=" in token)
    if not fields:
        raise RuntimeError(f"python -m app printed nothing (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")
    return fields, start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches to take the median of")
    parser.add_argument("--cold", action="store_true", help="a machine's first start: empty numba caches")
    args = parser.parse_args()
    if args.cold:
        return cold_start(args.runs)

    launch_once()  # one untimed launch, so the first timed one does not pay for a cold disk cache
    runs = [launch_once() for _ in range(args.runs)]
    walls = [r[0] for r in runs]
    inner = [r[1] for r in runs]
    median = statistics.median(walls)
    print(f"LayerLab start-up: `python -m app` to first paint, {args.runs} launches, {os.cpu_count()} CPUs, "
          f"Qt platform {os.environ.get('QT_QPA_PLATFORM') or ('xcb' if os.environ.get('DISPLAY') else 'offscreen')}")
    rows = [
        ("process start -> first paint, median (s)", f"{median:.2f}", f"<= {TARGET_S:g}",
         "yes" if median <= TARGET_S else "NO"),
        ("  each launch (s)", " / ".join(f"{w:.2f}" for w in walls), "", ""),
        ("  of which after Python started app/__main__ (median, s)", f"{statistics.median(inner):.2f}", "", ""),
    ]
    epochs = [first_epoch_once() for _ in range(args.runs)]
    median_of = {name: statistics.median(run[name] for run in epochs) for name in epochs[0]}
    total = median_of["first_epoch"]
    rows.append(("process start -> first trained epoch, median (s)", f"{total:.2f}",
                 f"<= {FIRST_EPOCH_TARGET_S:g}", "yes" if total <= FIRST_EPOCH_TARGET_S else "NO"))
    previous = 0.0
    for name, at in sorted(median_of.items(), key=lambda item: item[1]):
        rows.append((f"  {name.replace('_', ' ')} done at (s), phase took", f"{at:.2f}", f"{at - previous:.2f}", ""))
        previous = at
    bare = [bare_once() for _ in range(args.runs)]
    bare_paint, with_numba, floor = (statistics.median(b[k] for b in bare) for k in range(3))
    rows += [
        ("bare reference: empty Qt window shown (s)", f"{bare_paint:.2f}", "", ""),
        ("bare reference: + import numba (s), the first epoch's floor", f"{with_numba:.2f}", "", ""),
        ("bare reference: + import torch (s), the floor without the prelude", f"{floor:.2f}", "", ""),
        ("first epoch / bare window + numba + torch", f"{total / floor:.2f}", "", ""),
        ("first epoch - bare window + numba: LayerLab's own (s)", f"{total - with_numba:.2f}", "", ""),
    ]
    print_table(rows)
    return 0


def cold_start(runs: int) -> int:
    """A machine's first start: the first epoch (on torch while the kernels compile) beside the compile."""
    launch_once()  # untimed: Python's bytecode and the disk cache warm, as for a user's second launch
    epochs = [first_epoch_once(cold=True) for _ in range(runs)]
    compiles = [compile_once() for _ in range(runs)]
    first, compiled = statistics.median(e["first_epoch"] for e in epochs), statistics.median(compiles)
    print(f"LayerLab's first start on a machine (empty numba cache): {runs} launches, {os.cpu_count()} CPUs")
    print_table([
        ("process start -> first trained epoch, median (s)", f"{first:.2f}", "", ""),
        ("  each launch (s)", " / ".join(f"{e['first_epoch']:.2f}" for e in epochs), "", ""),
        ("bare reference: compiling the kernels alone, median (s)", f"{compiled:.2f}", "", ""),
        ("  each compile (s)", " / ".join(f"{c:.2f}" for c in compiles), "", ""),
        ("first epoch / compile alone", f"{first / compiled:.2f}", "", ""),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
