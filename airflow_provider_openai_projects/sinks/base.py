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

Callers store through :func:`store_key`: whatever a sink raises is replaced by a
:class:`KeySinkError` naming the entry and the sink, never carrying the value (a sink's own
message may quote it: a validation error, a botocore parameter dump).
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


class KeySinkError(OSError):
    """Storing a key failed. Names the entry, the sink and the original exception's type and
    text with the value (and anything shaped like a key) redacted; the original exception
    is not chained (its text, args or attributes may hold the value)."""

    def __init__(self, entry: str, sink: object, error: BaseException, value: str) -> None:
        from airflow_provider_openai_projects.client.errors import redact_keys

        self.entry = entry
        self.error_type = type(error).__name__
        detail = redact_keys(str(error), (value,))[:500]
        super().__init__(f"storing the key at {entry!r} in {type(sink).__name__} failed ({self.error_type}): {detail}")


def store_key(sink: KeySink, entry: str, value: str, metadata: Mapping[str, Any]) -> None:
    """``sink.store(entry, value, metadata)``; any failure raises :class:`KeySinkError`."""
    try:
        sink.store(entry, value, metadata)
    except Exception as error:
        raise KeySinkError(entry, sink, error, value) from None


@runtime_checkable
class KeySink(Protocol):
    """Stores minted keys under a name (see the module docstring for the contract)."""

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None: ...

    def load(self, name: str) -> StoredKey | None: ...

    def delete(self, name: str) -> None: ...
