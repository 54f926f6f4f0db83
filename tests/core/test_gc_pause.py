"""The garbage collector pauses while numba compiles or loads kernels (core/engines/gc_pause.py): a
collection on the window's thread meanwhile aborted the process."""

from __future__ import annotations

import gc
import threading

from core.engines import fused_parts
from core.engines.gc_pause import gc_paused


def test_pauses_nest_and_overlap_across_threads_and_the_collector_comes_back():
    assert gc.isenabled()
    inner_started, outer_may_end = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inner_started.set()
            outer_may_end.wait(10)

    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        thread = threading.Thread(target=other)
        thread.start()
        inner_started.wait(10)
    assert not gc.isenabled()  # the other thread still loads
    outer_may_end.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_program_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_every_numba_compile_runs_with_the_collector_paused():
    from numba import njit
    from numba.core import event

    fused_parts.compile_all()  # starts listening to numba's compiler lock
    seen = []

    class Record(event.Listener):
        def on_start(self, _event):
            seen.append(gc.isenabled())

        def on_end(self, _event):
            pass

    with event.install_listener("numba:compile", Record()):
        assert njit(lambda x: x + 1)(3) == 4  # a new function: compiled now, outside any warm-up
    assert seen and not any(seen)
    assert gc.isenabled()
