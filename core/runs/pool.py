"""Sweep: variants trained at once in worker processes (ProcessPoolExecutor, 'spawn' context: a
forked child of a process with torch/numba threads can hang), progress streamed back on a queue the
caller polls without blocking, and a stop that ends every process: `cancel()` asks them to stop
between epochs, `close()` waits a bounded time, then terminates what is left (no orphans), and
`close_async()` does that on a background thread for a caller that must not wait (the GUI thread).
"""

from __future__ import annotations

import os
import queue as queue_module
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from core.runs.process import init_worker, train_variant


CRASHED = ("its process ended unexpectedly (killed, or out of memory); "
           "try fewer variants at once or a smaller network")


# A killed process ends only once the kernel lets it (one blocked reading a busy disk, importing torch
# while the other variants do the same, waits for its read). A 5 s wait was once not enough in CI and the
# window closed on a live process; the window waits up to 30 s for the whole close.
KILL_WAIT_S = 20.0


def failure_text(err: BaseException) -> str:
    """One line saying why a variant's process gave no result."""
    if isinstance(err, BrokenProcessPool):
        return CRASHED
    return f"{type(err).__name__}: {err}"


def failures_line(failed: list[tuple[str, str]], shown: int = 3) -> str:
    """'lr=10: why; batch=1: why (and 2 more)' from (variant, reason) pairs: what the sweep window's status
    and `layerlab sweep`'s error say of the variants that failed."""
    more = f" (and {len(failed) - shown} more)" if len(failed) > shown else ""
    return "; ".join(f"{name}: {reason}" for name, reason in failed[:shown]) + more


def default_workers(n_variants: int) -> int:
    """One process per variant, at most one per core."""
    return max(1, min(n_variants, os.cpu_count() or 1))


class Sweep:
    """Trains `specs` (Experiments) in parallel processes; `poll()` returns the queued messages."""

    def __init__(self, specs: list[Any], workers: int | None = None, grid_resolution: int = 50,
                 snapshot_hz: float = 4.0) -> None:
        context = get_context("spawn")
        self.queue = context.Queue()
        self.stop_event = context.Event()
        self.workers = workers or default_workers(len(specs))
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=init_worker,
                                        initargs=(self.queue, self.stop_event))
        self.futures: list[Future] = [self.pool.submit(train_variant, i, spec.to_json(), grid_resolution, snapshot_hz)
                                      for i, spec in enumerate(specs)]
        self.processes = list(getattr(self.pool, "_processes", {}).values())  # spawned at the first submit
        self.closed = False

    @property
    def done(self) -> bool:
        return all(f.done() for f in self.futures)

    @property
    def cancelled(self) -> bool:
        return self.stop_event.is_set()

    def poll(self, limit: int = 500) -> list[tuple]:
        """Up to `limit` queued (kind, index, payload) messages, oldest first; never blocks."""
        messages = []
        for _ in range(limit):
            try:
                messages.append(self.queue.get_nowait())
            except (queue_module.Empty, OSError, ValueError):
                break
        return messages

    def cancel(self) -> None:
        """Ask every variant to stop at its next snapshot; those not started never start."""
        self.stop_event.set()
        for future in self.futures:
            future.cancel()

    def close(self, timeout_s: float = 10.0) -> list[tuple]:
        """Stop everything and wait for the processes (terminating any still alive after `timeout_s`);
        returns the messages that arrived meanwhile. Safe to call twice."""
        if self.closed:
            return []
        self.closed = True
        if not self.done:
            self.cancel()
        self.processes = self.processes or list(getattr(self.pool, "_processes", {}).values())
        messages: list[tuple] = []
        deadline = time.monotonic() + timeout_s
        shut = False
        # drain while waiting: a child exits only once its queued messages are read
        while any(p.is_alive() for p in self.processes) and time.monotonic() < deadline:
            if self.done and not shut:
                self.pool.shutdown(wait=False, cancel_futures=True)  # lets idle workers exit
                shut = True
            messages += self.poll()
            time.sleep(0.02)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(2.0)
            if process.is_alive():  # SIGTERM not taken yet (a busy disk mid-import): no orphan either way
                process.kill()
                process.join(KILL_WAIT_S)
        self.pool.shutdown(wait=True, cancel_futures=True)
        messages += self.poll()
        self.queue.close()
        self.queue.join_thread()
        return messages

    def close_async(self, timeout_s: float = 10.0) -> Future:
        """close() on a background thread; a Future of its messages (done once every process ended).
        Do not poll() meanwhile: the closing thread drains the queue."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(self.close(timeout_s))
            except BaseException as err:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(err)

        threading.Thread(target=run, name="layerlab-sweep-close", daemon=True).start()
        return future

    def results(self) -> list[dict | None]:
        """Each variant's final figures (None where it failed or was cancelled before it started)."""
        out = []
        for future in self.futures:
            try:
                out.append(future.result(timeout=0) if future.done() and not future.cancelled() else None)
            except Exception:  # noqa: BLE001 - its failure came through the queue as a message
                out.append(None)
        return out

    def errors(self) -> list[str | None]:
        """Why each variant gave no result, where its process raised or died (None elsewhere). A variant
        whose training raised also said so on the queue; a killed process says nothing there."""
        out: list[str | None] = []
        for future in self.futures:
            err = future.exception(timeout=0) if future.done() and not future.cancelled() else None
            out.append(None if err is None else failure_text(err))
        return out
