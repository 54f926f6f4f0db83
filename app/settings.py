"""Window preferences (geometry, panel sizes, last experiment, recent files) kept in QSettings.

`AppSettings(None)` keeps everything in memory, so tests never touch the user's real settings.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from core.spec import Experiment, SpecError, loads_experiment

MAX_RECENT = 8


class AppSettings:
    """Typed access to the few things LayerLab remembers between runs."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._qs = settings
        self._memory: dict[str, Any] = {}

    @classmethod
    def user(cls) -> "AppSettings":
        """The real per-user store (only `python -m app` / `layerlab` use this)."""
        return cls(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LayerLab", "LayerLab"))

    @property
    def qsettings(self) -> QSettings | None:
        """The QSettings behind this store (None: in memory), for helpers keeping their own keys there."""
        return self._qs

    @property
    def persistent(self) -> bool:
        """True for the user's real settings (the app), False for the in-memory store (tests)."""
        return self._qs is not None

    def _get(self, key: str, default: Any = None) -> Any:
        if self._qs is None:
            return self._memory.get(key, default)
        value = self._qs.value(key, default)
        return default if value is None else value

    def _set(self, key: str, value: Any) -> None:
        if self._qs is None:
            self._memory[key] = value
        else:
            self._qs.setValue(key, value)

    # --- window state ----------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._get("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._set("window/geometry", value)

    def splitter_sizes(self, name: str) -> list[int] | None:
        value = self._get(f"window/splitter/{name}")
        if isinstance(value, (list, tuple)):
            try:
                sizes = [int(v) for v in value]
            except (TypeError, ValueError):
                return None
            return sizes if sizes and all(s >= 0 for s in sizes) else None
        return None

    def set_splitter_sizes(self, name: str, sizes: list[int]) -> None:
        self._set(f"window/splitter/{name}", [int(s) for s in sizes])

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(f"view/{name}", default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def set_flag(self, name: str, value: bool) -> None:
        self._set(f"view/{name}", bool(value))

    def text(self, name: str, default: str) -> str:
        value = self._get(f"view/{name}", default)
        return value if isinstance(value, str) else default

    def set_text(self, name: str, value: str) -> None:
        self._set(f"view/{name}", str(value))

    # --- experiment ------------------------------------------------------------------------------
    def last_experiment(self) -> Experiment | None:
        """The experiment open when LayerLab last closed; None if absent or no longer valid."""
        text = self._get("experiment/last")
        if not isinstance(text, str) or not text:
            return None
        try:
            return loads_experiment(text)
        except SpecError:
            return None

    def set_last_experiment(self, spec: Experiment) -> None:
        self._set("experiment/last", spec.to_json())

    def recent_files(self) -> list[str]:
        value = self._get("experiment/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []][:MAX_RECENT]

    def add_recent_file(self, path: str) -> None:
        files = [p for p in self.recent_files() if p != path]
        self._set("experiment/recent", [path, *files][:MAX_RECENT])

    def sync(self) -> None:
        if self._qs is not None:
            self._qs.sync()
