"""The emulated API by resource family: each module holds its records, its state
operations mixin and its router (with the request bodies it accepts).

The state package combines the families' mixins into ``EmulatorState``, and the family
modules build on ``state.core``: importing the state package first (below) lets a family
module be imported first from anywhere without a circular-import error.
"""

from airflow_provider_openai_projects.emulator import state as _state  # noqa: F401 (import order, see above)
