"""A stateful, in-memory emulator of the OpenAI Admin API (projects, members, service
accounts, keys, rate limits, invites, users), for the demo and the tests.

- :class:`EmulatorState`: the organization and the API semantics, pure Python.
- :func:`create_app`: the state as a FastAPI app (``/v1`` plus the ``/_emulator`` control
  API described in :mod:`.routes_control`).
- :class:`EmulatorServer`: the app served by uvicorn on a loopback port in a thread.
- :class:`FaultRule` / :class:`FaultInjector`: injected errors, drops, latency, throttling.
- :class:`RequestLog`: what the API was asked, without secrets.

The console script ``openai-admin-emulator`` (:mod:`.cli`) runs it standalone. Nothing here
imports Airflow.
"""

from __future__ import annotations

from .app import create_app
from .errors import ApiError
from .faults import FaultInjector, FaultRule
from .model_catalog import DEFAULT_MODELS, ModelSpec, synthetic_catalog
from .organization_state import DEFAULT_ADMIN_KEY, EmulatorState
from .requestlog import LoggedRequest, RequestLog
from .server import EmulatorServer

__all__ = [
    "DEFAULT_ADMIN_KEY",
    "DEFAULT_MODELS",
    "ApiError",
    "EmulatorServer",
    "EmulatorState",
    "FaultInjector",
    "FaultRule",
    "LoggedRequest",
    "ModelSpec",
    "RequestLog",
    "create_app",
    "synthetic_catalog",
]
