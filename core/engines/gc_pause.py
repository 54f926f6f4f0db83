"""Python's cyclic garbage collector paused while numba imports, compiles or loads kernels.

A collection on another thread meanwhile (the window's GUI thread) aborted the whole process: the test
that loads the kernels on the run thread while the window runs crashed 3 times out of 3 with the collector
on and never with it paused. The collector is process-wide, so uses from several threads and nested uses
are counted, and it comes back on (if it was on) when the last ends. `pause_while_numba_compiles()` also
covers compiles outside the warm-up (a new argument type on a later call): numba reports each hold of its
compiler lock, and the collector pauses for as long.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True
_listening = False


def pause() -> None:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1


def resume() -> None:
    global _depth
    with _lock:
        _depth = max(0, _depth - 1)
        if _depth == 0 and _was_enabled:
            gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off for the duration (counted: see the module docstring)."""
    pause()
    try:
        yield
    finally:
        resume()


def pause_while_numba_compiles() -> None:
    """From now on, pause the collector whenever numba holds its compiler lock (once per process)."""
    global _listening
    with _lock:
        if _listening:
            return
        _listening = True
    from numba.core import event

    class _Pause(event.Listener):
        def on_start(self, _event: object) -> None:
            pause()

        def on_end(self, _event: object) -> None:
            resume()

    event.register("numba:compiler_lock", _Pause())
