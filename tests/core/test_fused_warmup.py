"""The fused kernels load without torch, so the window can load them beside the torch import."""

import subprocess
import sys


def test_the_kernels_and_their_warm_up_import_no_torch():
    code = ("import sys, core.engines.fused_warmup, core.engines.fused_kernels; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_start_runs_the_warm_up_once_and_a_later_call_is_cheap():
    from core.engines import fused_warmup

    fused_warmup.start()
    fused_warmup.start()  # a second start is a no-op
    assert fused_warmup._background.join(300)  # the thread ended
    assert fused_warmup.warm_up() < 1.0  # compiled (or cache-loaded) already
