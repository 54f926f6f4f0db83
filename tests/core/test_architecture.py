"""core/ must stay usable without Qt: an import-linter contract, checked on every test run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_qt_or_app():
    # lint-imports is installed beside this interpreter by the test extras.
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint) if lint.exists() else "lint-imports", "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core never imports Qt or the app KEPT" in result.stdout
    assert "records sit below the spec, the trainer and the engines KEPT" in result.stdout


def test_core_imports_without_qt_loaded():
    code = ("import sys, core.spec, core.data, core.training.snapshot, core.training.control;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','shiboken6','pyqtgraph','superqt')];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_console_script_loads_no_qt_for_train():
    # `layerlab train` enters through app.launcher; it must not pay for (or need) Qt.
    code = ("import sys, app.launcher;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','shiboken6','pyqtgraph','superqt')];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
