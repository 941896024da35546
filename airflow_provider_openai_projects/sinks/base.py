"""Where minted keys go: the ``KeySink`` protocol.

A service-account key is shown once, on creation. Operators hand it to a sink the moment
it arrives and return only ids and a redacted form, so the value never reaches XCom, a
log line, an exception or a return value. A sink is any object with these three methods;
plug in another store (HashiCorp Vault, a cloud secret manager) by writing one.

Contract:
- ``store(name, value, metadata)`` writes atomically (readers see the old entry or the new
  one, never half of one) and raises if it could not store: the caller then deletes the
  service account it just created rather than leave an unrecoverable key behind.
- ``load(name)`` returns what ``store`` wrote last, or ``None`` if nothing is stored.
- ``delete(name)`` removes an entry; deleting a missing entry is not an error.
- Metadata is JSON-able and never contains the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class StoredKey:
    """A key as a sink holds it. ``repr`` hides the value."""

    value: str = field(repr=False)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class KeySink(Protocol):
    """Stores minted keys under a name (see the module docstring for the contract)."""

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None: ...

    def load(self, name: str) -> StoredKey | None: ...

    def delete(self, name: str) -> None: ...
