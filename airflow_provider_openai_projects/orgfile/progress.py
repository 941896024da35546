"""Progress reporting of plan/apply runs (the CLI draws it on a terminal; default: nothing)."""

from __future__ import annotations


class Progress:
    """Receives what a run is doing. The base class ignores everything."""

    def step(self, stage: str, done: int, total: int) -> None:
        """``done`` of ``total`` units of ``stage`` (``reading project users``...) are finished."""

    def waiting(self, seconds: float) -> None:
        """The client is about to wait ``seconds`` (pacing or a 429's Retry-After)."""

    def finish(self) -> None:
        """The run ended (clear any line drawn)."""


NO_PROGRESS = Progress()
