"""Emulated resource families: one module each, holding its records, its state operations
(a :class:`~..state.core.StateCore` mixin) and its router with its request bodies.

The state package is imported first: ``EmulatorState`` takes the family mixins as bases,
so a family module imported on its own must find the state package already loading.
"""

from airflow_provider_openai_projects.emulator import state as _state  # noqa: F401
