"""Run one trigger to its event in a fresh interpreter, as a triggerer's first trigger would,
and print (JSON) how long the event loop was held and what was imported on its thread.

``python tests/triggers/first_poll_probe.py <classpath> <kwargs as JSON>``; the connection
comes from the environment (``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``). Printed:
``{"status", "max_lag", "slow_callbacks", "imported_on_loop"}``:

- ``max_lag``: the longest delay, in seconds, of a watchdog coroutine that wakes every
  10 ms (what Airflow's triggerer measures with its own ``block_watchdog``, every 100 ms);
- ``slow_callbacks``: asyncio debug mode's reports of a step longer than 0.1 s;
- ``imported_on_loop``: modules first imported on the event loop's thread while the trigger
  ran (each one read from disk, and maybe compiled, while every other trigger waits).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

TICK = 0.01
SLOW_CALLBACK = 0.1


class ImportRecorder(MetaPathFinder):
    """Records the modules the loop's thread imports while armed; finds nothing itself."""

    def __init__(self) -> None:
        self.loop_thread = threading.get_ident()
        self.armed = False
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if self.armed and threading.get_ident() == self.loop_thread and fullname not in sys.modules:
            self.names.append(fullname)
        return None


class SlowCallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "took" in record.getMessage():
            self.messages.append(record.getMessage()[-240:])


async def run(classpath: str, kwargs: dict[str, Any], recorder: ImportRecorder) -> dict[str, Any]:
    asyncio.get_running_loop().slow_callback_duration = SLOW_CALLBACK
    module_name, _, class_name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module_name), class_name)(**kwargs)
    lags: list[float] = []
    done = asyncio.Event()

    async def watchdog() -> None:
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(TICK)
            lags.append(time.monotonic() - before - TICK)

    watching = asyncio.create_task(watchdog())
    await asyncio.sleep(TICK)  # the watchdog is ticking before the trigger starts
    recorder.armed = True
    events = [event async for event in trigger.run()]
    recorder.armed = False
    done.set()
    await watching
    return {"status": events[0].payload["status"], "max_lag": max(lags)}


def main(argv: list[str]) -> None:
    import airflow.triggers.base  # noqa: F401 (what every trigger module imports)

    recorder = ImportRecorder()
    sys.meta_path.insert(0, recorder)
    slow = SlowCallbacks()
    logging.getLogger("asyncio").addHandler(slow)
    result = asyncio.run(run(argv[0], json.loads(argv[1]), recorder), debug=True)
    print(json.dumps({**result, "slow_callbacks": slow.messages, "imported_on_loop": recorder.names}))


if __name__ == "__main__":
    main(sys.argv[1:])
