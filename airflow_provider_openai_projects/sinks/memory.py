"""An in-process key sink for tests and local experiments: keys vanish with the process.

Never use it in production: a key held only in memory is lost when the worker stops,
which is exactly what the sinks exist to prevent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from airflow_provider_openai_projects.sinks.base import StoredKey


class InMemoryKeySink:
    """A dict behind a lock. ``fail_next_store`` makes the next ``store`` raise (for tests)."""

    def __init__(self) -> None:
        self._entries: dict[str, StoredKey] = {}
        self._lock = threading.Lock()
        self.fail_next_store = False

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        with self._lock:
            if self.fail_next_store:
                self.fail_next_store = False
                raise OSError(f"key sink unavailable: could not store {name!r}")
            self._entries[name] = StoredKey(value=value, metadata=dict(metadata))

    def load(self, name: str) -> StoredKey | None:
        with self._lock:
            return self._entries.get(name)

    def delete(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    def __deepcopy__(self, memo: dict[int, Any]) -> InMemoryKeySink:
        """Shared, not copied: Airflow deep-copies operator arguments, and a copy would
        lose the keys stored through it."""
        return self

    def __repr__(self) -> str:
        return f"InMemoryKeySink(names={self.names()!r})"
