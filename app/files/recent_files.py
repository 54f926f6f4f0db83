"""File > Open Recent: the last experiment files opened or saved, newest first, missing ones pruned.

Wiring in MainWindow (the lead):

    self.recent = RecentFiles(qsettings)        # the QSettings AppSettings wraps (None: in memory)
    file_menu.addMenu(self.recent.build_menu(self, self.open_experiment_file))   # open_experiment_file(path)
    after a successful Open / Save / Save As  -> self.recent.add(path)
    an Open from the menu that fails           -> self.recent.remove(path)   (the file is gone or broken)

The list lives under the key "experiment/recent" as a list of strings, the same key and format
app.settings.AppSettings.recent_files() reads, so both agree when given the same QSettings.
The menu is rebuilt each time it opens, so files deleted meanwhile never show.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu, QWidget

KEY = "experiment/recent"
MAX_RECENT = 8


def _normal(path: str | Path) -> str:
    return os.path.normcase(str(Path(path).expanduser().absolute()))


class RecentFiles:
    """Up to `max_items` experiment paths in QSettings (or in memory when settings is None)."""

    def __init__(self, settings: QSettings | None = None, key: str = KEY, max_items: int = MAX_RECENT) -> None:
        self._qs = settings
        self._key = key
        self.max_items = max_items
        self._memory: list[str] = []

    def _read(self) -> list[str]:
        if self._qs is None:
            return list(self._memory)
        value = self._qs.value(self._key, [])
        if value is None:
            return []
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in value if v]

    def _write(self, paths: list[str]) -> None:
        paths = paths[: self.max_items]
        if self._qs is None:
            self._memory = paths
        else:
            self._qs.setValue(self._key, paths)

    def paths(self) -> list[Path]:
        """Existing files, newest first; entries whose file is gone are dropped from the store."""
        stored = self._read()
        existing = [p for p in stored if Path(p).is_file()]
        if existing != stored:
            self._write(existing)
        return [Path(p) for p in existing[: self.max_items]]

    def add(self, path: str | Path) -> None:
        """Put `path` first (once), keeping at most max_items."""
        full = str(Path(path).expanduser().absolute())
        key = _normal(full)
        self._write([full, *(p for p in self._read() if _normal(p) != key)])

    def remove(self, path: str | Path) -> None:
        key = _normal(path)
        self._write([p for p in self._read() if _normal(p) != key])

    def clear(self) -> None:
        self._write([])

    def build_menu(self, parent: QWidget | None, open_file: Callable[[Path], None],
                   title: str = "Open &Recent") -> QMenu:
        """A QMenu listing the files (1–8 as mnemonics) and 'Clear Recent Files'; refreshed on open."""
        menu = QMenu(title, parent)
        menu.setObjectName("recentFilesMenu")
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(lambda: self.fill_menu(menu, open_file))
        self.fill_menu(menu, open_file)
        return menu

    def fill_menu(self, menu: QMenu, open_file: Callable[[Path], None]) -> None:
        menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths, start=1):
            label = path.name.replace("&", "&&")
            action = menu.addAction(f"&{i} {label}" if i < 10 else label)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.setData(str(path))
            action.triggered.connect(lambda _checked=False, p=path: open_file(p))
        if not paths:
            empty = menu.addAction("No Recent Files")
            empty.setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Recent Files")
        clear.setObjectName("clearRecentFilesAction")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.clear)
        menu.setEnabled(True)
