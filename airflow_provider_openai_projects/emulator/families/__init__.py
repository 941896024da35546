"""The emulated API by resource family: each module holds its records, its state
operations mixin and its router (with the request bodies it accepts).

``emulator/organization_state.py`` combines the families' mixins into ``EmulatorState``;
the family modules build on ``state.core``.
"""
