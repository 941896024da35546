"""A plan's digest, and saved plans authenticated with a key only the planning side holds.

- :func:`plan_digest`: ``sha256:<hex>`` over a canonical JSON (sorted keys, no spaces) of
  the file's content (the validated document), the fingerprint of the live state the plan
  read, its changes and what an approval shows beside them (pending items, warnings, the
  cap). Two plans with the same digest make the same writes from the same
  live state; an approval records it and apply refuses any other.
- :func:`signing_key`: a key derived from the connection's admin key (HMAC-SHA256 of the
  admin key with a fixed label): whoever holds the admin key can sign and check plans;
  whoever can only edit the saved file (a CI artifact store, an XCom) cannot. The admin
  key itself is never stored, printed or put in a plan; the derived key never leaves memory.
- :func:`seal` / :func:`open_sealed`: a saved plan is the plan's JSON plus its ``digest``
  and ``mac`` (HMAC-SHA256 of the digest under the derived key). Opening recomputes the
  digest from the content (an edited change, document or fingerprint no longer matches),
  then checks the MAC (a plan made with another key, or a forged digest, is refused).
  A plan made in a DAG run is sealed for that run (``run_id``, covered by the MAC): the
  run's approval and apply open it only for that run, so a validly signed plan of another
  run swapped into this run's XCom is refused. Every refusal is one line: :class:`PlanFileError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from airflow_provider_openai_projects.orgfile.changes import Plan, canonical, plan_digest
from airflow_provider_openai_projects.orgfile.errors import PlanRefusedError

LABEL = b"airflow-provider-openai-projects/org-plan-signing/v1"
MAX_DEPTH = 64
"""The deepest nesting a saved plan may have (a plan nests about 10 levels)."""


__all__ = ["PlanFileError", "canonical", "key_of", "open_sealed", "plan_digest", "seal", "signing_key"]


class PlanFileError(PlanRefusedError):
    """A saved plan is not usable: not a plan, edited, forged or signed with another key."""


def signing_key(admin_key: str) -> bytes:
    """The key that signs plans, derived from the connection's admin key (never stored)."""
    return hmac.new(admin_key.encode(), LABEL, hashlib.sha256).digest()


def mac(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def seal(plan: Plan, key: bytes, run_id: str | None = None) -> dict[str, Any]:
    """The plan as a saved plan (JSON-able): its content, its digest and the MAC; with
    ``run_id``, sealed for that DAG run only (:func:`open_sealed` with the same ``run_id``)."""
    data = plan.to_dict()
    if run_id is not None:
        data["run_id"] = run_id
    data["mac"] = mac(key, _signed(data["digest"], run_id))
    return data


def _signed(digest: str, run_id: str | None) -> str:
    """What the MAC covers: the digest, and the DAG run a plan was sealed for."""
    return digest if run_id is None else f"{digest}\nrun {run_id}"


def _depth(value: Any, limit: int) -> int:
    """The nesting depth of ``value``, stopping as soon as it passes ``limit``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def parse(text: str, where: str) -> Any:
    """The JSON of a saved plan's text; one-line :class:`PlanFileError` when it is not JSON
    or nested too deeply."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise PlanFileError(f"{where}: not a plan: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:
        raise PlanFileError(f"{where}: not a plan: not JSON ({str(error)[:80]})") from None
    return data


def open_sealed(data: Any, key: bytes, where: str, run_id: str | None = None) -> Plan:
    """The plan of a saved plan, after checking that it is one, unedited, signed with ``key``
    (and, with ``run_id``, sealed for that DAG run; without, not sealed for any run).

    :raises PlanFileError: not an object, too deep, malformed, edited, forged or of another
        run (one line).
    """
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise PlanFileError(f"{where}: not a plan: nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict):
        raise PlanFileError(f"{where}: not a plan: the top level is {type(data).__name__}, not an object")
    try:
        plan = Plan.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        problem = f"missing {error}" if isinstance(error, KeyError) else str(error)[:120]
        raise PlanFileError(f"{where}: not a plan: {problem}") from None
    claimed, signature = data.get("digest"), data.get("mac")
    if not isinstance(claimed, str) or not isinstance(signature, str):
        raise PlanFileError(f"{where}: the plan carries no digest and signature: save it with plan --out")
    if plan_digest(plan) != claimed:
        raise PlanFileError(
            f"{where}: the plan was edited after it was made (its content does not match its digest "
            f"{claimed[:19]}); nothing was written. Plan again."
        )
    sealed_for = data.get("run_id")
    if sealed_for != run_id:
        raise PlanFileError(
            f"{where}: the plan was made for {'another DAG run' if sealed_for is not None else 'no DAG run'}, "
            "not this one (substituted?); nothing was written. Plan again."
        )
    if not hmac.compare_digest(mac(key, _signed(claimed, run_id)), signature):
        raise PlanFileError(
            f"{where}: the plan's signature does not match this connection's key (forged, or made "
            "for another organization); nothing was written. Plan again."
        )
    return plan


def key_of(client: Any) -> bytes:
    """The signing key of a client or hook's connection (derived; the admin key stays in it)."""
    inner = getattr(client, "client", client)  # the hook holds the client
    return signing_key(str(inner.config.api_key))


def approval_record(key: bytes, run_id: str, digest: str, approved_by: str) -> dict[str, str]:
    """What an approval records: the digest it approved, by whom, for which run, and a MAC
    over the three (so an edited XCom cannot approve another plan)."""
    message = f"approval\n{run_id}\n{digest}\n{approved_by}"
    return {"digest": digest, "approved_by": approved_by, "run_id": run_id, "mac": mac(key, message)}


def asked_record(key: bytes, run_id: str, digest: str) -> dict[str, str]:
    """What an approval task keeps while it waits for the answer: the digest of the plan it
    asked about, with a MAC over it and the run (another domain than :func:`approval_record`'s,
    so it is never an approval), so an edited XCom cannot make the answer approve another plan."""
    return {"digest": digest, "mac": mac(key, f"asked\n{run_id}\n{digest}")}


def asked_digest(record: Any, key: bytes, run_id: str) -> str:
    """The digest an approval task of run ``run_id`` asked about, after checking its MAC.

    :raises PlanFileError: missing, edited, or kept by another run (one line).
    """
    digest = record.get("digest") if isinstance(record, dict) else None
    if not isinstance(digest, str) or not hmac.compare_digest(
        asked_record(key, run_id, digest)["mac"], str(record.get("mac"))
    ):
        raise PlanFileError(
            "the record of the plan this approval asked about is missing or does not match this run "
            "(edited?); nothing is approved"
        )
    return digest


def approved_digest(record: Any, key: bytes, run_id: str) -> str:
    """The digest an approval record of run ``run_id`` approved, after checking its MAC.

    :raises PlanFileError: not a record of this run, or edited (one line).
    """
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("digest", "approved_by")):
        raise PlanFileError("the approval record is missing or malformed; nothing was written")
    expected = approval_record(key, run_id, record["digest"], record["approved_by"])
    if record.get("run_id") != run_id or not hmac.compare_digest(expected["mac"], str(record.get("mac"))):
        raise PlanFileError(
            "the approval record does not match this run (edited, or copied from another run); nothing was written"
        )
    return str(record["digest"])
