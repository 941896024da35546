"""The key sinks a plan's service-account creates need: resolved and proven usable here,
before the first write.

A sink that cannot store where the apply runs fails only when the first key arrives:
after the projects before it were created (a project can never be deleted) and with a
new service account to delete again. So a plan is refused up front, at the file path of
the first account that names such a sink:

- ``variable`` (:class:`~...sinks.variable.VariableKeySink`) writes through the Task SDK:
  it works only inside a running Airflow task (``openai-org`` in a shell or CI job cannot
  use it; ``OrgApplyOperator`` can);
- ``aws_secrets_manager`` built without a client needs ``boto3`` installed;
- any other sink may define ``check_usable()``, raising when it cannot store.

:func:`resolve_usable_sinks` is :func:`~.handlers.service_accounts.resolve_key_sinks`
(names to objects; an unknown name is refused) followed by :func:`check_sinks_usable`.
Nothing here writes or reads a sink entry.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers.service_accounts import FAMILY, resolve_key_sinks

if TYPE_CHECKING:
    from airflow_provider_openai_projects.sinks.base import KeySink


def in_running_task() -> bool:
    """Whether this process runs an Airflow task (the Task SDK's supervisor is connected)."""
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def unusable_reason(sink: object) -> str | None:
    """Why ``sink`` cannot store a key in this process, or ``None`` if it can (as far as
    can be known without writing)."""
    from airflow_provider_openai_projects.sinks.variable import VariableKeySink

    if isinstance(sink, VariableKeySink):
        if not in_running_task():
            return (
                "an Airflow Variable can be written only inside a running Airflow task "
                "(apply this file with OrgApplyOperator, or name another key sink)"
            )
        return None
    if type(sink).__name__ == "AwsSecretsManagerKeySink" and getattr(sink, "_client", None) is None:
        if importlib.util.find_spec("boto3") is None:
            return "boto3 is not installed (pip install 'airflow-provider-openai-projects[aws]')"
        return None
    check = getattr(sink, "check_usable", None)
    if callable(check):
        try:
            check()
        except Exception as error:
            return f"{type(error).__name__}: {printable(str(error))[:200]}"
    return None


def _creates(changes: Iterable[Change]) -> Iterable[Change]:
    return (c for c in changes if c.family == FAMILY and c.action == "create")


def check_sinks_usable(changes: Iterable[Change], source: str, sinks: Mapping[str, Any]) -> None:
    """Refuse, at the file path of the first service account that needs it, a sink of
    ``sinks`` (by name) that cannot store a key here. Sends nothing, writes nothing."""
    verdicts: dict[str, str | None] = {}
    for change in _creates(changes):
        name = str((change.after or {}).get("sink"))
        if name not in verdicts:
            verdicts[name] = unusable_reason(sinks[name]) if name in sinks else None
        reason = verdicts[name]
        if reason is not None:
            raise OrgFileError(
                source,
                format_path(["projects", change.where, FAMILY, change.what, "sink"]),
                f"the key sink {name!r} cannot store this account's key here: {reason}. Nothing was written",
            )


def resolve_usable_sinks(changes: list[Change], source: str, given: Mapping[str, KeySink] | None) -> dict[str, KeySink]:
    """The sink objects the plan's creates need, by name (``given`` first, then the
    built-in ones), each proven usable here; :class:`OrgFileError` before any write."""
    sinks = resolve_key_sinks(changes, source, given)
    check_sinks_usable(changes, source, sinks)
    return sinks
