"""The ``redis://`` / ``valkey://`` budget: many hosts, through the Redis or Valkey they share.

Decisions are pyrate-limiter's :class:`~pyrate_limiter.RedisStateStore` (GCRA as one Lua
script, atomic across clients); the cooldown is one more key, raised (never lowered) by a
small script and expiring by itself.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pyrate_limiter import GCRA, Rate, RedisStateStore

_GCRA = GCRA()
_RAISE_COOLDOWN = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""
_CLAMP = """
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat1') or '0')
if tat > tonumber(ARGV[1]) then
    redis.call('HSET', KEYS[1], 'tat1', ARGV[1])
end
local cooldown = tonumber(redis.call('GET', KEYS[2]) or '0')
if cooldown > tonumber(ARGV[2]) then
    redis.call('DEL', KEYS[2])
end
return 0
"""


class RedisBudgetStore:
    """Budgets in a Redis or Valkey server. Thread-safe (redis-py's client is)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._stores: dict[str, RedisStateStore] = {}
        self._lock = threading.Lock()
        self._raise_cooldown = client.register_script(_RAISE_COOLDOWN)
        self._clamp = client.register_script(_CLAMP)

    @classmethod
    def from_url(cls, url: str) -> RedisBudgetStore:
        """``redis://``, ``rediss://`` or their ``valkey`` spellings (same protocol)."""
        import redis

        parts = urlsplit(url)
        scheme = {"valkey": "redis", "valkeys": "rediss"}.get(parts.scheme.lower(), parts.scheme.lower())
        client = redis.Redis.from_url(
            urlunsplit((scheme, *parts[1:])), socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
        )
        return cls(client)

    def _store(self, key: str) -> RedisStateStore:
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                store = self._stores[key] = RedisStateStore(self.client, key)
            return store

    def admit(self, key: str, rate: Rate, at_ms: int, weight: int = 1) -> int | None:
        decision: Any = self._store(key).check(_GCRA, [rate], at_ms, weight)  # type: ignore[no-untyped-call]
        if decision.allowed:
            return None
        return max(int(decision.retry_after_ms or 1), 1)

    def cooldown_until(self, key: str) -> int:
        value = self.client.get(f"{key}:cooldown")
        return int(value) if value else 0

    def extend_cooldown(self, key: str, until_ms: int) -> None:
        ttl = max(until_ms - self.server_time_ms(), 0) + 1000
        self._raise_cooldown(keys=[f"{key}:cooldown"], args=[until_ms, ttl])

    def server_time_ms(self) -> int:
        """The server's clock (``TIME``), so every host shares one clock."""
        seconds, microseconds = self.client.time()
        return int(seconds) * 1000 + int(microseconds) // 1000

    def clamp(self, key: str, until_ms: int) -> None:
        self._clamp(keys=[key, f"{key}:cooldown"], args=[until_ms * 1000, until_ms])

    def __repr__(self) -> str:
        return "<RedisBudgetStore>"

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()
