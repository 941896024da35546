"""``OrgHygieneOperator``: report idle and foreign keys, spend near its limit, expiring
certificates; with ``act=True`` delete the idle user keys and idle service accounts.

Report first: the task log gets a readable table and XCom a JSON summary (ids, names,
reasons; never a key value). Deletion only with ``act=True``, and never of a service
account the key rotation recorded (its ``rotation_entries`` in ``key_sink`` name the
generations; a ``--N`` name alone does not), of a name in ``exclude_names``, of a foreign
key, or of a person's key unless ``delete_user_keys=True`` (see
:mod:`airflow_provider_openai_projects.domain.hygiene`). Idempotent: a second run with ``act``
finds nothing left to delete; "already gone" counts as done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.hygiene import HygienePolicy, act, rotation_account_ids, scan
from airflow_provider_openai_projects.domain.validation import require_bool
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.sinks.base import KeySink


class OrgHygieneOperator(OpenAIAdminBaseOperator):
    """Find what needs tidying in the organization, and optionally tidy it.

    :param act: delete the actionable findings (idle service accounts; idle user keys only
        with ``delete_user_keys``).
    :param delete_user_keys: the explicit rule that lets ``act`` delete a person's idle key.
    :param rotation_entries: the key rotation's current sink entries (its ``secret_variable``
        names); the service accounts they (and their pending entries) record are the
        rotation's generations, never deleted here.
    :param key_sink: where those entries live (default: Airflow Variables).
    :param idle_days: a key unused for this many days is idle.
    :param exclude_names: key and service-account names never deleted.
    :param automation_actor_ids: audit-log actor ids of the automation; default: the admin
        key of this connection (found among the organization's admin keys).
    :param spend_share: report projects at or above this share of their spend limit.
    :param certificate_days: report certificates expiring within this many days.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "act",
        "idle_days",
        "exclude_names",
        "automation_actor_ids",
        "delete_user_keys",
        "rotation_entries",
    )

    def __init__(
        self,
        *,
        act: bool = False,
        idle_days: int = 90,
        exclude_names: Sequence[str] = (),
        automation_actor_ids: Sequence[str] | None = None,
        spend_share: float = 0.8,
        certificate_days: int = 30,
        delete_user_keys: bool = False,
        rotation_entries: Sequence[str] = (),
        key_sink: KeySink | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.delete_user_keys = delete_user_keys
        self.rotation_entries = rotation_entries
        self.key_sink = key_sink
        self.act = act
        self.idle_days = idle_days
        self.exclude_names = exclude_names
        self.automation_actor_ids = automation_actor_ids
        self.spend_share = spend_share
        self.certificate_days = certificate_days

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.client.errors import InvalidInputError

        do_act = require_bool("act", self.act)
        if not isinstance(self.idle_days, int) or isinstance(self.idle_days, bool) or self.idle_days < 1:
            raise InvalidInputError("idle_days", f"must be a positive integer, got {self.idle_days!r}")
        policy = HygienePolicy(
            idle_days=self.idle_days,
            automation_actor_ids=tuple(self.automation_actor_ids or self._own_admin_key_ids()),
            exclude_names=tuple(self.exclude_names or ()),
            spend_share=float(self.spend_share),
            certificate_days=int(self.certificate_days),
            delete_user_keys=require_bool("delete_user_keys", self.delete_user_keys),
            rotation_account_ids=self._rotation_account_ids(),
        )
        report = scan(self.hook, policy, now=time.time())
        self.log.info("Hygiene report over %d project(s):\n%s", report.projects_scanned, report.table())
        summary = report.summary()
        if do_act:
            deleted = act(self.hook, report, self.log_change)
            summary["deleted"] = [finding.resource_id for finding in deleted]
        else:
            summary["deleted"] = []
        return summary

    def _rotation_account_ids(self) -> frozenset[str]:
        """The service accounts the rotation's entries (current and pending) record."""
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.domain.key_generations import pending_entry_name, require_entry_name
        from airflow_provider_openai_projects.domain.service_accounts import load_entry, resolve_sink

        given = self.rotation_entries or ()
        if isinstance(given, str) or not isinstance(given, Sequence):
            raise InvalidInputError("rotation_entries", "must be a list of sink entry names")
        # Each as the rotation names its entries: nothing else is looked up in the sink.
        entries = [require_entry_name("rotation_entries", entry) for entry in given]
        if not entries:
            return frozenset()
        sink = resolve_sink(self.key_sink)
        stored = [load_entry(sink, name) for entry in entries for name in (entry, pending_entry_name(entry))]
        return rotation_account_ids(found.metadata for found in stored if found is not None)

    def _own_admin_key_ids(self) -> list[str]:
        """The id of this connection's admin key: the one admin key whose redacted value matches.

        A redacted value shows only a prefix and a tail, so two admin keys can match: then
        the automation cannot be told apart and the task fails (``InvalidInputError`` naming
        ``automation_actor_ids``) before any report or deletion. No match: every key in the
        audit log is reported as foreign (a warning says why); foreign keys are never deleted.
        """
        from airflow_provider_openai_projects.client.errors import InvalidInputError

        key = (self.hook.get_connection(self.openai_admin_conn_id).password or "").strip()
        ids = []
        for admin_key in self.hook.list_admin_api_keys():
            # "sk-admin...cdef" (the spec's example) or "sk-admin****cdef": a prefix and a tail.
            head, _, tail = re.sub(r"\*+|\.{3,}", "\0", str(admin_key.get("redacted_value") or "")).partition("\0")
            if head and tail and key.startswith(head) and key.endswith(tail):
                ids.append(str(admin_key["id"]))
        if len(ids) > 1:
            raise InvalidInputError(
                "automation_actor_ids",
                f"this connection's admin key matches {len(ids)} admin keys by their redacted value "
                f"({', '.join(sorted(ids))}): name the automation's actor ids",
            )
        if not ids:
            self.log.warning(
                "This connection's admin key is not among the organization's admin keys: keys it made are "
                "reported as foreign; set automation_actor_ids to name the automation."
            )
        return ids
