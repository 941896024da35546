"""The emulator's resource families, one module each: records, state operations, routes.

The state package is imported first: ``EmulatorState`` (in ``emulator.state``) takes the
families' operation mixins as bases, and each family builds on ``emulator.state.core``, so
whichever is imported first, ``emulator.state`` must finish loading before a family does.
"""

from airflow_provider_openai_projects.emulator import state as _state  # noqa: F401 (import order, see above)
