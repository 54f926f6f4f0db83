"""Loads data sets off the GUI thread, and remembers the last few it built.

Choosing a bundled scikit-learn set first imports scikit-learn (about a second, five on a busy
machine): done on the GUI thread, that froze the window. `DataLoader.load(spec, tag)` builds the
data on a short-lived thread and emits `loaded(tag, spec, dataset, error)` on the GUI thread; the
owner drops results whose tag is no longer the latest. `cached(spec)` answers undo/redo at once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, Signal

from core.spec import BUNDLED_CLASSIFICATION, BUNDLED_REGRESSION, DataSource, Experiment

BACKGROUND_SOURCES = frozenset(BUNDLED_CLASSIFICATION + BUNDLED_REGRESSION)
CACHE_SIZE = 6
_DATA_KEYS = ("data", "features", "seed", "task")


def data_key(spec: Experiment) -> str:
    """What decides the data set built from a spec (two specs with one key share one Dataset)."""
    dumped = spec.model_dump(mode="json")
    return json.dumps({k: dumped.get(k) for k in _DATA_KEYS}, sort_keys=True)


class DataLoader(QObject):
    """Background loads for the window; see the module docstring."""

    loaded = Signal(int, object, object, object)  # tag, spec, Dataset or None, Exception or None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._threads: list[threading.Thread] = []
        self._closed = False

    @staticmethod
    def wants_background(spec: Experiment) -> bool:
        return spec.data.source in BACKGROUND_SOURCES

    def cached(self, spec: Experiment) -> Any:
        dataset = self._cache.get(data_key(spec))
        if dataset is not None:
            self._cache.move_to_end(data_key(spec))
        return dataset

    def remember(self, spec: Experiment, dataset: Any) -> None:
        if spec.data.source == DataSource.csv:  # the file may change on disk: always read it afresh
            return
        self._cache[data_key(spec)] = dataset
        self._cache.move_to_end(data_key(spec))
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def load_now(self, spec: Experiment) -> Any:
        """The data set of `spec`, built here (or from the cache); raises what load_dataset raises."""
        dataset = self.cached(spec)
        if dataset is None:
            from core.data import load_dataset

            dataset = load_dataset(spec)
            self.remember(spec, dataset)
        return dataset

    def load(self, spec: Experiment, tag: int) -> None:
        """Build the data of `spec` on another thread; `loaded` brings it (or the error) back."""
        dataset = self.cached(spec)
        if dataset is not None:
            self.loaded.emit(tag, spec, dataset, None)
            return
        thread = threading.Thread(target=self._work, args=(spec, tag), name="layerlab-data", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _work(self, spec: Experiment, tag: int) -> None:
        dataset, error = None, None
        try:
            from core.data import load_dataset

            dataset = load_dataset(spec)
        except Exception as err:  # noqa: BLE001 - any failure is reported to the user
            error = err
        if self._closed:
            return
        try:
            self.loaded.emit(tag, spec, dataset, error)  # queued to the GUI thread
        except RuntimeError:  # the window was deleted meanwhile: nobody is waiting
            pass

    @property
    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop delivering results and wait for loads in flight (at window close)."""
        self._closed = True
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads = []
