"""Plan and apply with a cache at a location (a ``Path`` or an ``ObjectStoragePath``).

Shared by ``openai-org plan/apply --state`` and ``OrgPlanOperator(state_uri=...)``: load
the cache (a missing or unreadable one is a full read, said in one line), plan, save the
new cache (checked to hold no key), and render how the plan was read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.orgfile.incremental import attribution
from airflow_provider_openai_projects.orgfile.incremental.cache import (
    CacheUnusable,
    ReadCache,
    TextLocation,
    load,
    save,
)
from airflow_provider_openai_projects.orgfile.incremental.planner import (
    IncrementalPlan,
    incremental_plan,
    prepare,
    record_apply,
)
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from airflow_provider_openai_projects.orgfile.engine import ApplyResult
    from airflow_provider_openai_projects.sinks.base import KeySink


def _load(location: TextLocation) -> tuple[ReadCache | None, str]:
    try:
        return load(location), ""
    except CacheUnusable as error:
        return None, str(error)


def _secrets(client: Any) -> list[str]:
    key = attribution.connection_key(client)
    return [key] if key else []


def plan_with_state(
    client: Any,
    spec: OrgSpec,
    location: TextLocation,
    *,
    full: bool = False,
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
) -> IncrementalPlan:
    """The plan of ``spec`` through the cache at ``location``, which is then updated."""
    cache, unusable = _load(location)
    result = incremental_plan(
        client, spec, cache, unusable=unusable or "there is no cache yet", full=full, progress=progress, clock=clock
    )
    save(location, result.cache, _secrets(client))
    return result


def apply_with_state(
    client: Any,
    spec: OrgSpec,
    location: TextLocation,
    *,
    full: bool = False,
    progress: Progress = NO_PROGRESS,
    key_sinks: Mapping[str, KeySink] | None = None,
) -> tuple[IncrementalPlan, ApplyResult]:
    """Plan ``spec`` through the cache, apply that plan, record the apply in the cache
    (drift attribution starts again; the apply's own events make its reads stale next time)."""
    from airflow_provider_openai_projects.orgfile.engine import ApplyError, apply

    cache, unusable = _load(location)
    prepared = prepare(client, spec, cache, unusable=unusable or "there is no cache yet", full=full, progress=progress)
    try:
        result = apply(client, spec, progress=progress, key_sinks=key_sinks, reader=prepared.reader)
    except ApplyError as error:  # the reads are still true as of the position: keep them
        save(location, prepared.finish(error.result.plan).cache, _secrets(client))
        raise
    planned = prepared.finish(result.plan)
    save(location, record_apply(planned.cache), _secrets(client))
    return planned, result


def record_apply_at(location: TextLocation, client: Any) -> None:
    """After an apply of a saved plan: attribution starts again in the cache (if any)."""
    cache, _ = _load(location)
    if cache is not None:
        save(location, record_apply(cache), _secrets(client))


def reads_text(result: IncrementalPlan) -> str:
    """How the plan was read: one headline, then one line per family."""
    return "\n".join([result.headline(), *result.family_lines()])


def attribution_lines(result: IncrementalPlan) -> list[str]:
    """``changed: <change> [changed by ...]`` for each change whose object an event touched."""
    return [f"changed: {line}" for line, events in zip(result.drift_lines(), result.attribution, strict=True) if events]
