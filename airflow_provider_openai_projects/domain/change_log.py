"""The one line logged per change made to the organization, and the logger shape it needs."""

from __future__ import annotations

from typing import Any, Protocol


class Log(Protocol):
    """The logging calls the helpers make (an operator's ``self.log`` has them)."""

    def info(self, msg: str, /, *args: Any) -> Any: ...
    def warning(self, msg: str, /, *args: Any) -> Any: ...
    def error(self, msg: str, /, *args: Any) -> Any: ...
    def exception(self, msg: str, /, *args: Any) -> Any: ...


def log_change(log: Log, message: str, *args: Any) -> None:
    """Log one line for one change made to the organization (never with a secret in it)."""
    log.info("CHANGE: " + message, *args)
