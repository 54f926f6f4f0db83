"""How `layerlab train` talks while it runs: quiet-aware output, the progress line (updated in place
on a terminal, every tenth of the run otherwise), warnings on stderr, and Ctrl+C as a clean stop."""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from typing import TextIO


class Output:
    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream

    @property
    def out(self) -> TextIO:
        return self.stream or sys.stdout

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


class Progress:
    """One updating line on a terminal; otherwise a line every tenth of the run (or 10 s)."""

    def __init__(self, out: Output, total: int, start_epoch: int = 0) -> None:
        self.out = out
        self.total = total
        self.start_epoch = start_epoch
        self.tty = bool(getattr(out.out, "isatty", lambda: False)())
        self.every = max(1, total // 10)
        self.next_epoch = start_epoch + self.every
        self.started = time.perf_counter()
        self.last_print = -math.inf
        self.printed_epoch = start_epoch
        self.last_message = ""
        self.warned: set[str] = set()
        self.width = 0

    def emit(self, snap) -> None:
        if snap.message:
            self.last_message = snap.message
        warning = _warning_part(snap.message)
        if warning and snap.state.value in ("running", "finished") and warning not in self.warned:
            # a warning the run carries on with (the loss has risen): one line on stderr, even with --quiet
            self.warned.add(warning)
            self._warn(warning)
        if self.out.quiet:
            return
        now = time.perf_counter()
        if self.tty:
            if now - self.last_print >= 0.1 or snap.state.value != "running":
                self._write("\r" + self._text(snap, now).ljust(self.width))
                self.last_print = now
        elif snap.epoch > self.printed_epoch and (snap.epoch >= self.next_epoch or now - self.last_print >= 10.0
                                                   or snap.state.value != "running"):
            self._write(self._text(snap, now) + "\n")
            self.last_print, self.printed_epoch = now, snap.epoch
            while self.next_epoch <= snap.epoch:
                self.next_epoch += self.every

    def _text(self, snap, now: float) -> str:
        done = snap.epoch - self.start_epoch
        rate = done / (now - self.started) if now > self.started else 0.0
        text = (f"epoch {snap.epoch}/{self.total}  train loss {snap.train_loss:.4f}  "
                f"test loss {snap.test_loss:.4f}")
        if snap.test_accuracy is not None:
            text += f"  accuracy {100 * (snap.train_accuracy or 0):.1f}/{100 * snap.test_accuracy:.1f} %"
        text += f"  {rate:.1f} epochs/s"
        self.width = max(self.width, len(text))
        return text

    def _warn(self, text: str) -> None:
        if self.tty and self.last_print > -math.inf and not self.out.quiet:
            self._write("\n")  # off the progress line being updated in place
            self.last_print = -math.inf
        print(f"layerlab: warning: {text}", file=sys.stderr, flush=True)

    def _write(self, text: str) -> None:
        self.out.out.write(text)
        self.out.out.flush()

    def finish(self) -> None:
        if self.tty and not self.out.quiet and self.last_print > -math.inf:
            self._write("\n")


def _warning_part(message: str) -> str:
    """The message without the stop conditions' report (that is news, not a warning)."""
    from core.training.stopping import REPORT_PREFIXES

    return "; ".join(p for p in message.split("; ") if p and not p.startswith(REPORT_PREFIXES))


class stop_on_ctrl_c:
    """First Ctrl+C asks the loop to stop after the current epoch; a second one interrupts at once."""

    def __init__(self, control) -> None:
        self.control = control
        self.interrupted = threading.Event()
        self.previous = None

    def _handler(self, signum, frame) -> None:
        if self.interrupted.is_set():
            raise KeyboardInterrupt
        self.interrupted.set()
        self.control.stop()

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self.interrupted

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
