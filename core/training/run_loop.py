"""Trainer.run: the loop the GUI worker and the CLI share (control, pacing, snapshots, failures)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.training.control import TrainingControl
from core.training.pace import BlockPace, SnapshotClock
from core.training.rollback import Diverged
from core.training.snapshot import EpochRecord, RunState, Snapshot
from core.training.stopping import StopRule

if TYPE_CHECKING:
    from core.training.trainer import Trainer

log = logging.getLogger("core.training.trainer")  # the run's failures are the trainer's log lines

def run(trainer: "Trainer", control: TrainingControl, emit: Callable[[Snapshot], None], max_epochs: int | None = None,
        snapshot_hz: float = 30.0, grid_hz: float = 10.0, *, until_stopped: bool = False,
        grid_resolution: int = 50) -> RunState:
    """Train until spec.epochs (or `max_epochs`) epochs are done in total, or until stopped.

    until_stopped=True (the GUI) ignores the epoch limit and runs until control.stop(), unless
    spec.stop.at_epochs says to stop there too. Between
    epochs it applies control's pending changes, honours pause/step/stop, and calls emit(Snapshot)
    at most snapshot_hz times a second (grids at most grid_hz; 0 or inf means after every epoch).
    `grid_resolution` is the boundary grid's side. A single requested step, a pause
    and weight edits emit at once with a grid. The final snapshot is always emitted. Divergence
    and unexpected errors end the run with RunState.diverged / failed and a message; never raises
    (the exception of a failure is kept in `last_error`). spec.stop ends the run early at the exact
    epoch on either engine (core/training/stopping.py); `trainer.last_stop` keeps its StopRule (the best
    epoch, why it stopped) and snapshots carry `best_epoch`.
    """
    limit = None if until_stopped else (trainer.spec.epochs if max_epochs is None else int(max_epochs))
    clock = time.monotonic
    pending_records: list[EpochRecord] = []
    timer = SnapshotClock(clock, snapshot_hz, grid_hz, trainer.epoch, trainer.step)
    pace = BlockPace(clock)
    note = ""
    stopper = trainer.last_stop = StopRule(trainer)  # keeps the previous run's best (the window runs again)

    def send(grid: bool, state: RunState, message: str = "") -> None:
        nonlocal note
        now, eps, sps = timer.rates(trainer.epoch, trainer.step)
        text = "; ".join(t for t in (message, note) if t)
        snap = trainer.snapshot(grid=grid, resolution=grid_resolution, state=state, message=text,
                             history=tuple(pending_records), epochs_per_second=eps, steps_per_second=sps,
                             best_epoch=stopper.best.epoch if stopper.best is not None else None)
        pending_records.clear()
        note = ""
        timer.sent(now, trainer.epoch, trainer.step, grid)
        emit(snap)

    state = RunState.running
    message = ""
    trainer.last_error = None
    try:
        paused_shown = control.paused
        send(True, RunState.paused if paused_shown else RunState.running)
        trainer.loss_watch.begin(trainer.evaluate()[0], trainer.epoch)  # cached by the snapshot just sent
        while True:
            settings, edits, grid_wanted = control.take_pending()
            problem = trainer.apply_pending(settings, edits)
            if problem:
                note = problem
            stopper.refresh()
            if until_stopped:
                limit = trainer.spec.epochs if trainer.spec.stop.at_epochs else None
            grid_wanted = grid_wanted or bool(edits) or bool(problem)
            if control.stop_requested:
                state = RunState.stopped
                break
            if not control.take_epoch_permit():
                if control.stop_requested:
                    continue
                if not paused_shown or grid_wanted or pending_records:
                    send(True, RunState.paused)
                    paused_shown = True
                control.wait(0.25)
                continue
            if limit is not None and trainer.epoch >= limit:  # checked once permitted: a paused run at its
                state = RunState.finished                      # limit waits for Play instead of ending again
                break
            single_step = control.paused  # permitted while paused: one requested epoch
            if grid_wanted:
                send(True, RunState.running)
            paused_shown = False
            # Blocks pay off on the fused engine only (a torch epoch is Python per batch anyway),
            # and there a stop or pause waits for the block (<= pace.MAX_BLOCK_SECONDS).
            blocks = trainer.engine == "fused" and not single_step
            count = pace.epochs_until(timer.next_due) if blocks else 1
            if limit is not None:
                count = min(count, limit - trainer.epoch)
            if not single_step:  # the user's speed limit (a requested step always runs)
                count, wait = control.grant_epochs(count)
                if count == 0:
                    control.wait(wait)
                    continue
            started = clock()
            try:
                records = stopper.train(count)
                pending_records.extend(records)
                if warning := trainer.loss_watch.update_many(records):
                    note = "; ".join(t for t in (note, warning) if t)
            except Diverged as err:
                pending_records.extend(err.records)
                state, message = RunState.diverged, str(err)
                break
            now = clock()
            pace.record(now - started, len(records))
            if stopper.reason:
                state = RunState.finished
                break
            if single_step:
                send(True, RunState.paused)
                paused_shown = True
            elif timer.due(now):
                send(timer.grid_due(now), RunState.running)
        if state == RunState.finished:
            lead = f"Stopped at epoch {trainer.epoch}: the epoch limit ('Stop at epochs')" if until_stopped else ""
            message = stopper.finish(finished=True, lead=lead)
        send(True, state, message)
    except Exception as err:  # a run must end with a state and a message, never a dead worker
        log.exception("training failed")
        trainer.last_error = err
        state = RunState.failed
        failure = f"Training failed at epoch {trainer.epoch + 1}: {type(err).__name__}: {err}"
        try:
            send(False, state, failure)
        except Exception:  # the snapshot itself fails: still tell the caller how the run ended
            log.exception("could not build the final snapshot")
            nan = float("nan")
            emit(Snapshot(epoch=trainer.epoch, step=trainer.step, train_loss=nan, test_loss=nan,
                          train_accuracy=None, test_accuracy=None, learning_rate=trainer.learning_rate,
                          batch_size=trainer.batch_size, state=state, message=failure,
                          history=tuple(pending_records), device=str(trainer.device), engine=trainer.engine))
    return state
