"""The bridge between the window and core's training loop: `Trainer.run` on its own QThread.

The GUI thread never waits for training. It talks to the loop only through a `TrainingControl`
(pause, step, stop, live settings) and receives immutable `Snapshot`s by queued signals, at most
`snapshot_hz` a second however fast training runs. Each run carries a generation number so that
snapshots still queued from a stopped run are recognised and dropped.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.training.control import TrainingControl
from core.training.snapshot import RunState

log = logging.getLogger(__name__)

SNAPSHOT_HZ = 30.0  # snapshots reach the window at most this often, however fast training runs
GRID_HZ = 8.0       # boundary and neuron grids (the costly part of a snapshot) at most this often
# The boundary grid's side: 50 showed stairs along the edges (worst with Discretize); 100 costs
# 1.5 ms a grid for [4,2], 7 ms for 6x8, 26 ms for 10x32 (at GRID_HZ, 1-20 % of the run thread).
GRID_RESOLUTION = 100
# A fused-engine warm-up still running after this long is a first-time compile: say so.
WARM_UP_NOTICE_S = 0.8
# Kernels not in after this long are compiling (about a minute on a machine's first run; numba's disk cache
# loads them in ~1 s): the run trains on torch meanwhile (Trainer.hold_fused) and moves over when they are.
KERNEL_WAIT_S = 3.0
# A run started with `hold=True` waits for `release()` (the window has shown the new data) before it
# builds, so the two do not take turns on the interpreter lock in the turn the user is looking at;
# it builds anyway after this long (nothing may wait on the GUI thread for ever).
HOLD_LIMIT_S = 0.5
# Before torch has loaded, a run trains its first epochs without it (core/training/prelude.py) and begins
# importing torch this long after the first of them went to the window (see _RunThread._torch_ready).
TORCH_IMPORT_DELAY_S = 0.3
WARM_UP_NOTICE = ("Preparing the fast engine: the first run on this machine compiles it, in about a minute; "
                  "training starts on PyTorch meanwhile. Later runs start at once.")

# The last kernel load a run waited KERNEL_WAIT_S for in vain: while it is not over, the kernels are compiling.
_compile: Any = None

# Every run thread started and not yet seen finished, strongly referenced so that Qt never destroys
# one while it runs (even if its worker is dropped); the test suite fails if one is left behind.
_THREADS: list[QThread] = []


def live_threads() -> list[QThread]:
    """Run threads still running (for tests and clean shutdown); forgets the finished ones."""
    _THREADS[:] = [t for t in _THREADS if not t.isFinished()]
    return [t for t in _THREADS if t.isRunning()]


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Stop every run thread and wait for it, and for a torch import under way (at application exit);
    True if all ended."""
    from core.training import torch_loading

    deadline = time.monotonic() + timeout_ms / 1000
    for thread in live_threads():
        if isinstance(thread, _RunThread):
            thread.control.stop()
        left_ms = int((deadline - time.monotonic()) * 1000)
        if not thread.wait(max(1, left_ms)):
            return False
    return torch_loading.join(max(0.0, deadline - time.monotonic())) and not live_threads()


def trainer_loaded() -> bool:
    """Whether torch and the Trainer are imported (before that, runs begin with a prelude)."""
    return "core.training.trainer" in sys.modules


def _skip_dynamo_import() -> None:
    """Building a torch optimizer imports torch._dynamo (1.3-1.9 s, a third of the time to the first
    epoch) only to mark the optimizer's methods as not to be compiled. LayerLab never compiles, so
    mark them done; with another torch, where these hooks differ, this does nothing."""
    import torch

    if "torch._dynamo" in sys.modules:
        return
    for name in ("__init__", "state_dict", "load_state_dict", "zero_grad", "add_param_group"):
        fn = getattr(getattr(torch.optim.Optimizer, name, None), "__wrapped__", None)
        if fn is not None and not hasattr(fn, "__dynamo_disable"):
            try:
                fn.__dynamo_disable = fn  # what torch._compile caches after its first call
            except (AttributeError, TypeError):
                return


class _RunThread(QThread):
    """Builds the Trainer (importing torch off the GUI thread) and runs its loop until stopped."""

    snapshot = Signal(int, object)        # generation, Snapshot
    started_info = Signal(int, object)    # generation, dict(device, engine, device_note)
    ended = Signal(int, object, str)      # generation, RunState, message (diverged / finished)
    failed = Signal(int, str)             # generation, message
    notice = Signal(int, str)             # generation, something the user should know (e.g. a slow warm-up)
    progress = Signal(int, str)           # generation, the start-up phase now under way (status bar)

    def __init__(self, generation: int, spec: Any, dataset: Any, control: TrainingControl,
                 snapshot_hz: float, grid_hz: float, trainer: Any = None) -> None:
        super().__init__()
        self.generation = generation
        self.spec = spec
        self.dataset = dataset
        self.control = control
        self.snapshot_hz = snapshot_hz
        self.grid_hz = grid_hz
        self._last_message = ""
        self._given_trainer = trainer  # e.g. restored from a checkpoint; this thread owns it from now on
        self._trainer: Any = None
        self._engine_shown = ""  # the engine the window was last told of
        self._jobs: list[tuple[Callable[[Any], Any], Future]] = []
        self._jobs_lock = threading.Lock()
        self._done = False
        self.go = threading.Event()  # set: build now (start(hold=False), release(), stop())
        # perf_counter() at the end of each start-up phase: where the time to the first epoch goes
        self.phases: dict[str, float] = {"thread started": time.perf_counter()}

    def submit(self, fn: Callable[[Any], Any], future: Future) -> None:
        """Run fn(trainer) between two epochs (in this thread); after the run ended, at once here."""
        with self._jobs_lock:
            if not self._done:
                self._jobs.append((fn, future))
                return
        self._call(fn, future)  # the loop has ended: nobody else touches the trainer any more

    def _call(self, fn: Callable[[Any], Any], future: Future) -> None:
        if not future.set_running_or_notify_cancel():
            return
        if self._trainer is None:
            future.set_exception(RuntimeError("the training run ended before its network was built"))
            return
        try:
            future.set_result(fn(self._trainer))
        except BaseException as err:  # noqa: BLE001 - the caller gets it from the future
            future.set_exception(err)

    def _run_jobs(self) -> None:
        with self._jobs_lock:
            jobs, self._jobs = self._jobs, []
        for fn, future in jobs:
            self._call(fn, future)

    def _emit(self, snap: Any) -> None:
        if "first snapshot sent" not in self.phases:
            self.phases["first snapshot sent"] = time.perf_counter()
        if snap.epoch and "first epoch sent" not in self.phases:
            self.phases["first epoch sent"] = time.perf_counter()
        if self._trainer is not None:  # before it (the prelude's epochs) jobs wait for the trainer
            self._run_jobs()  # emit is called between epochs: a safe point to read the trainer
            if self._trainer.engine != self._engine_shown:  # the kernels compiled, or the fast path failed
                self._started(self._trainer)
        self._last_message = snap.message
        self.snapshot.emit(self.generation, snap)

    def run(self) -> None:  # noqa: D401 - QThread API
        try:
            self._loop()
        finally:
            with self._jobs_lock:
                self._done = True
            self._run_jobs()

    def _loop(self) -> None:
        gen = self.generation
        self.go.wait(HOLD_LIMIT_S)
        try:
            kernels = self._load_kernels()
            prelude = self._prelude(kernels)
            if (prelude is not None and not self._run_prelude(prelude)) or self.control.stop_requested:
                return  # stopped before torch had loaded
            trainer = self._build()
            if trainer is None:
                return
            if prelude is not None:
                prelude.hand_over(trainer)
            self._trainer = trainer
            self._started(trainer)
            if kernels is not None and trainer.engine == "fused" and not self._await_kernels(kernels):
                trainer.hold_fused(kernels.ready)  # a first compile: train on torch meanwhile
                self._started(trainer)
            if self.control.stop_requested:
                return
            while not self.control.stop_requested:
                state = trainer.run(self.control, self._emit, snapshot_hz=self.snapshot_hz,
                                    grid_hz=self.grid_hz, until_stopped=True,
                                    grid_resolution=GRID_RESOLUTION)
                if self.control.stop_requested or state == RunState.stopped:
                    break
                if state == RunState.failed:
                    self.failed.emit(gen, self._last_message or "Training failed with an unexpected error.")
                    break
                # Diverged: pause and let the user lower the learning rate and press Play again
                # on the same (rolled-back) weights.
                self.control.pause()
                self.ended.emit(gen, state, self._last_message)
        except Exception as err:  # noqa: BLE001 - anything here must reach the user, not kill Qt
            detail = traceback.format_exception_only(type(err), err)[-1].strip()
            self.failed.emit(gen, f"Could not train this network: {detail}")

    def _started(self, trainer: Any) -> None:
        """Tell the window the run's device and engine, and again whenever the engine changes mid-run (the
        device note, a warning, only the first time)."""
        again, self._engine_shown = bool(self._engine_shown), trainer.engine
        self.started_info.emit(self.generation, {
            "device": str(trainer.device), "engine": trainer.engine,
            "device_note": "" if again else getattr(trainer, "device_note", ""),
            "engine_note": getattr(trainer, "engine_note", ""), "engine_notice": getattr(trainer, "engine_notice", ""),
            "dataset": trainer.dataset, "torch": True})

    def _load_kernels(self) -> Any:
        """The fast engine's kernels, loading from now on beside the data and torch (None: engine torch)."""
        if getattr(self.spec, "engine", "auto") == "torch":
            return None
        from core.engines import fused_warmup

        return fused_warmup.load_kernels()

    def _build(self) -> Any:
        """Data (if not given), model and optimizer; the first call also imports torch here, off the
        GUI thread. Returns None if stopped meanwhile."""
        if not trainer_loaded():
            self.progress.emit(self.generation, "Loading PyTorch…")
        from core.training.trainer import Trainer

        _skip_dynamo_import()
        self.phases["import torch"] = time.perf_counter()
        if self._given_trainer is not None:
            trainer, self._given_trainer = self._given_trainer, None
        else:
            trainer = Trainer(self.spec, dataset=self._dataset())
        self.phases["network"] = time.perf_counter()
        return None if self.control.stop_requested else trainer

    def _dataset(self) -> Any:
        """The run's data, loaded here (off the GUI thread) when the window gave none."""
        if self.dataset is None:
            self.progress.emit(self.generation, "Loading the data…")
            from core.data import load_dataset

            self.dataset = load_dataset(self.spec)
            self.phases["data"] = time.perf_counter()
        return self.dataset

    def _prelude(self, kernels: Any) -> Any:
        """A Prelude (core/training/prelude.py) when this run can train its first epochs before torch has
        loaded and the fast engine's kernels are in; None when torch is in already, the run needs it, or the
        kernels are compiling for the first time (the Trainer trains on torch meanwhile). Loads the data
        here, off the GUI thread."""
        if kernels is None or self._given_trainer is not None or trainer_loaded():
            return None
        from core.training import prelude

        if prelude.why_not(self.spec, self._dataset()):  # a bad file fails here as it would in _build
            return None
        # the window draws the data while the kernels load (mostly in LLVM, without the GIL)
        self.started_info.emit(self.generation, {"device": "cpu", "engine": "fused", "dataset": self.dataset,
                                                 "torch": False})
        if not self._await_kernels(kernels):
            return None
        try:
            return prelude.Prelude(self.spec, self.dataset)
        except Exception:  # noqa: BLE001 - never lose a run to the fast path: the Trainer starts it
            log.warning("could not begin the run before torch; the Trainer starts it", exc_info=True)
            return None

    def _run_prelude(self, prelude: Any) -> bool:
        """Train the prelude's epochs while torch loads beside them; False if the run was stopped."""
        return prelude.run(self.control, self._emit, self._torch_ready, snapshot_hz=self.snapshot_hz,
                           grid_hz=self.grid_hz, grid_resolution=GRID_RESOLUTION)

    def _torch_ready(self) -> bool:
        """Whether torch has loaded. The import begins TORCH_IMPORT_DELAY_S after the first trained epoch
        went to the window (or after the first picture, while paused): begun sooner, it would take turns on
        the GIL with drawing them, and the first epoch would show later."""
        from core.training import torch_loading

        if not torch_loading.started():
            shown = self.phases.get("first epoch sent") or (
                self.phases.get("first snapshot sent") if self.control.paused else None)
            if shown is None or time.perf_counter() - shown < TORCH_IMPORT_DELAY_S:
                return False
            torch_loading.start()
        return torch_loading.ready()

    def _await_kernels(self, kernels: Any) -> bool:
        """Wait up to KERNEL_WAIT_S for the fast engine's kernels (loaded from numba's disk cache in ~1 s);
        False if they are still compiling (a machine's first run) or the run was stopped. A wait past
        WARM_UP_NOTICE_S tells the user why nothing moves yet. Waits once per run (the prelude's or the
        Trainer's), and not at all while an earlier run found them compiling (a new net mid-compile
        starts on torch at once)."""
        global _compile
        if "fast engine" in self.phases:
            return kernels.ready()
        self.progress.emit(self.generation, "Loading the fast engine…")
        limit = 0.0 if _compile is not None and not _compile.ready() else KERNEL_WAIT_S
        noticed, t0 = False, time.perf_counter()
        while not kernels.join(0.05):
            waited = time.perf_counter() - t0
            if self.control.stop_requested or waited >= limit:
                break
            if not noticed and waited >= WARM_UP_NOTICE_S:
                self.notice.emit(self.generation, WARM_UP_NOTICE)
                noticed = True
        self.phases["fast engine"] = time.perf_counter()
        if not kernels.ready() and not self.control.stop_requested:
            _compile = kernels
        return kernels.ready() and not self.control.stop_requested


class TrainingWorker(QObject):
    """Starts, steers and stops one training run at a time; signals arrive on the GUI thread."""

    snapshotReady = Signal(object)       # Snapshot of the current run
    runStarted = Signal(object)          # dict(device, engine, device_note)
    runEnded = Signal(object)            # RunState (diverged or finished); the run is now paused
    runFailed = Signal(str)
    runNotice = Signal(str)              # information about the run (e.g. a first-time compile)
    runProgress = Signal(str)            # the start-up phase under way ("Loading PyTorch…")

    def __init__(self, parent: QObject | None = None, snapshot_hz: float = SNAPSHOT_HZ,
                 grid_hz: float = GRID_HZ) -> None:
        super().__init__(parent)
        self.snapshot_hz = snapshot_hz
        self.grid_hz = grid_hz
        self._generation = 0
        self._thread: _RunThread | None = None
        self.control: TrainingControl | None = None
        self.speed_limit: float | None = None  # epochs per second; kept across runs

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self, spec: Any, dataset: Any = None, playing: bool = False, trainer: Any = None,
              hold: bool = False) -> None:
        """Stop any current run, then train `spec` from fresh weights. With dataset None the run
        thread loads the data itself (and runStarted carries it as info['dataset']). A `trainer`
        (e.g. core.files.checkpoint.restore_trainer's) is run as it is, resuming at its epoch; the caller
        must not touch it afterwards. With `hold` the run builds only after `release()` (or
        HOLD_LIMIT_S), so the window shows what changed first."""
        self.stop()
        self._generation += 1
        self.control = TrainingControl(paused=not playing)
        self.control.set_speed_limit(self.speed_limit)
        thread = _RunThread(self._generation, spec, dataset, self.control, self.snapshot_hz,
                            self.grid_hz, trainer)
        thread.snapshot.connect(self._on_snapshot)
        thread.started_info.connect(self._on_started)
        thread.ended.connect(self._on_ended)
        thread.failed.connect(self._on_failed)
        thread.notice.connect(self._on_notice)
        thread.progress.connect(self._on_progress)
        if not hold:
            thread.go.set()
        self._thread = thread
        _THREADS.append(thread)
        thread.start()

    def release(self) -> None:
        """Let a run started with `hold=True` build now."""
        if self._thread is not None:
            self._thread.go.set()

    def stop(self, timeout_ms: int = 2000) -> bool:
        """Ask the run to stop and wait for it; True if it ended within `timeout_ms`.

        A run that cannot stop in time (a first-time numba compile, a huge epoch) is kept alive
        and referenced until it ends by itself; its late snapshots are ignored."""
        thread, self._thread = self._thread, None
        if self.control is not None:
            self.control.stop()
        if thread is None:
            return True
        thread.go.set()  # a held run wakes, sees the stop and ends
        self._generation += 1  # anything still queued from that run is now stale
        finished = bool(thread.wait(timeout_ms))
        live_threads()  # forget finished threads; a late one stays referenced until it ends
        return finished

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def call_between_epochs(self, fn: Callable[[Any], Any]) -> Future:
        """Run fn(trainer) on the run thread at the next safe point between epochs (e.g.
        core.files.checkpoint.capture_checkpoint, or copying the model for an export), so it never reads
        weights the optimizer is changing. Returns a Future holding fn's result; it fails with
        RuntimeError when there is no run or the run ended before its network was built."""
        future: Future = Future()
        if self._thread is None:
            future.set_exception(RuntimeError("nothing is training yet"))
            return future
        self._thread.submit(fn, future)
        if self.control is not None:
            self.control.request_grid()  # wakes a paused loop, which emits (and so runs fn) at once
        return future

    # --- steering (all non-blocking) -------------------------------------------------------------
    def play(self) -> None:
        if self.control:
            self.control.resume()

    def pause(self) -> None:
        if self.control:
            self.control.pause()

    def step(self, epochs: int = 1) -> None:
        if self.control:
            self.control.pause()
            self.control.request_epochs(epochs)

    def set_speed_limit(self, epochs_per_second: float | None) -> None:
        """At most this many epochs a second (None: as fast as possible), for this and later runs."""
        self.speed_limit = epochs_per_second or None
        if self.control:
            self.control.set_speed_limit(self.speed_limit)

    def set_live(self, name: str, value: Any) -> None:
        """Hand live setting `name` (a core.training.live.LIVE record) to the running trainer."""
        if self.control:
            self.control.set_live(name, value)

    def set_weight(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        if self.control:
            self.control.set_weight(layer, out_index, in_index, value)
            self.control.request_grid()

    def request_grid(self) -> None:
        if self.control:
            self.control.request_grid()

    # --- queued arrivals from the run thread -----------------------------------------------------
    def _current(self, generation: int) -> bool:
        return self._thread is not None and generation == self._generation

    def _on_snapshot(self, generation: int, snap: Any) -> None:
        if self._current(generation):
            self.snapshotReady.emit(snap)

    def _on_started(self, generation: int, info: Any) -> None:
        if self._current(generation):
            self.runStarted.emit(info)

    def _on_ended(self, generation: int, state: Any, _message: str) -> None:
        if self._current(generation):
            self.runEnded.emit(state)

    def _on_failed(self, generation: int, message: str) -> None:
        if self._current(generation):
            self.runFailed.emit(message)

    @property
    def phases(self) -> dict[str, float]:
        """perf_counter() at the end of each start-up phase of the current run (benchmarks read it)."""
        return dict(self._thread.phases) if self._thread is not None else {}

    def _on_progress(self, generation: int, message: str) -> None:
        if self._current(generation):
            self.runProgress.emit(message)

    def _on_notice(self, generation: int, message: str) -> None:
        if self._current(generation):
            self.runNotice.emit(message)
