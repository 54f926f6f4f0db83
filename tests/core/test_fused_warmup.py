"""The fused kernels load without torch, so the window can load them beside the torch import."""

import subprocess
import sys


def test_the_kernels_and_their_warm_up_import_no_torch():
    code = ("import sys, core.engines.fused_warmup, core.engines.fused_kernels; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_kernel_load_reports_when_a_slow_compile_ends_and_survives_a_failing_one(monkeypatch):
    import threading

    from core.engines import fused_warmup

    release = threading.Event()
    monkeypatch.setattr(fused_warmup, "warm_up", lambda: release.wait(20))
    load = fused_warmup.load_kernels()
    assert not load.join(0.1) and not load.ready()  # still compiling: the run asks again later
    release.set()
    assert load.join(20) and load.ready()

    def broken() -> None:
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(fused_warmup, "warm_up", broken)
    assert fused_warmup.load_kernels().join(20)  # over (the fused engine's own call reports the failure)


def test_a_load_after_the_kernels_are_in_ends_at_once():
    from core.engines import fused_warmup

    fused_warmup.warm_up()  # compiled (or cache-loaded) once per process
    assert fused_warmup.load_kernels().join(5.0)  # not the ~45 s of a compile
