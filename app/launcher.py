"""The `layerlab` console script: no arguments opens the window, anything else is core's CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _open_window() -> int:
    from app.__main__ import main as window_main

    return window_main([sys.argv[0]])


def main(argv: Sequence[str] | None = None, open_window: Callable[[], int] | None = None) -> int:
    from core.cli import main as cli_main

    return cli_main(argv, open_window=open_window or _open_window)


if __name__ == "__main__":
    sys.exit(main())
