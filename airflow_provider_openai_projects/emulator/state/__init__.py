"""The emulated organization's core state and its operations on users, projects and
credentials, one mixin a module; ``emulator/organization_state.py`` combines them with the
families' mixins into ``EmulatorState``. Importing this package imports nothing else."""
