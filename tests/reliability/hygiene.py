"""What the secret-hygiene, bad-input and worker-masking tests share.

- :func:`connection_env`: the ``openai_admin_default`` connection as an environment entry,
  pointing at the emulator (or deliberately misconfigured).
- :func:`make_context`: a minimal task context whose task instance records XCom pushes.
- :class:`SecretWatch`: every secret of the emulated organization (the admin key, every key
  the emulator ever minted, even of accounts deleted since), and the checks that none of
  them appears in a text (logs, XCom, return values, rendered fields, exception text, the
  request log) and that every secret the provider received is registered with Airflow's
  secrets masker. Each check counts as one run in the ledger; each hit is a leak.
"""

from __future__ import annotations

import json
import secrets
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pendulum
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

if TYPE_CHECKING:
    from tests.reliability.conftest import Ledger

CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"


def connection_env(
    emulator: EmulatorServer,
    *,
    host: str | None = None,
    password: str | None = None,
    extra: Mapping[str, Any] | None = None,
    omit: Iterable[str] = (),
) -> str:
    """The JSON of an ``openai_admin`` connection to the emulator; ``host``/``password``
    override its fields, ``omit`` leaves fields out (``"password"``: no admin key)."""
    conn: dict[str, Any] = {
        "conn_type": "openai_admin",
        "host": emulator.base_url if host is None else host,
        "password": emulator.admin_key if password is None else password,
    }
    if extra:
        conn["extra"] = dict(extra)
    for name in omit:
        conn.pop(name, None)
    return json.dumps(conn)


def fresh_admin_key() -> str:
    """A new random admin key, so that "the admin key is masked" proves this test registered it."""
    return "sk-admin-" + secrets.token_urlsafe(32)


# -- a minimal task context ----------------------------------------------------------------


@dataclass
class RecordingTaskInstance:
    """Records every XCom push (JSON-checked), so no pushed value escapes the checks."""

    xcom: dict[str, Any] = field(default_factory=dict)
    try_number: int = 1

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)
        self.xcom[key] = value


@dataclass
class RunOf:
    run_id: str
    run_after: pendulum.DateTime


def make_context(run_id: str = "manual__2026-11-26T08:00:00+00:00", run_after: str = "2026-11-26T08:00:00Z") -> Any:
    after = pendulum.parse(run_after)
    assert isinstance(after, pendulum.DateTime)
    return {"run_id": run_id, "dag_run": RunOf(run_id, after), "ti": RecordingTaskInstance(), "logical_date": after}


# -- secrets and where they must never be ----------------------------------------------------


def as_text(value: Any) -> str:
    """Everything a value could show: its JSON (when it has one), ``str`` and ``repr``."""
    if isinstance(value, BaseException):
        return "".join(traceback.format_exception(value)) + "\n" + repr(value)
    if isinstance(value, str):
        return value
    try:
        dumped = json.dumps(value, default=repr)
    except (TypeError, ValueError):
        dumped = ""
    return f"{dumped}\n{value!s}\n{value!r}"


class SecretWatch:
    """The organization's secrets, and checks that they stay out of everything observable.

    :meth:`install` makes the emulator record every key it mints (with the request that
    minted it), so keys of accounts deleted later (a failed verification, a reconciled lost
    response, a revoked generation) are still looked for. ``extra`` secrets (a wrong admin
    key a test configured on purpose) are looked for too.
    """

    def __init__(self, emulator: EmulatorServer, ledger: Ledger) -> None:
        self.emulator = emulator
        self.ledger = ledger
        self.minted: dict[str, int | None] = {}  # value -> seq of the request that minted it
        self.extra: dict[str, str] = {}
        self.admin_key_in_use: str | None = None  # the key the connection holds, if not the organization's
        self.leaks: list[str] = []
        self.checks = 0
        self._faults_recorded = 0
        self._leaks_recorded = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> SecretWatch:
        state = self.emulator.state
        mint = state._mint_key
        log = self.emulator.log

        def recording_mint(*args: Any, **kwargs: Any) -> Any:
            key = mint(*args, **kwargs)
            in_flight = [e.seq for e in log.entries() if not e.complete and e.method == "POST"]
            self.minted[key.value] = max(in_flight) if in_flight else None
            return key

        monkeypatch.setattr(state, "_mint_key", recording_mint)
        return self

    def add(self, label: str, value: str) -> None:
        self.extra[label] = value

    # -- what is secret ---------------------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        """``{label: value}``: the admin key, every minted key, every key in the state, extras."""
        found: dict[str, str] = {"admin key": self.emulator.state.admin_key}
        for project in self.emulator.state.projects:
            for key in project.api_keys:
                found[f"{key.owner_type} key {key.id}"] = key.value
        for number, value in enumerate(self.minted):
            if value not in found.values():
                found[f"minted key #{number} (since deleted)"] = value
        found.update(self.extra)
        return found

    def delivered(self) -> list[str]:
        """The minted keys whose creating response reached the client (status 200): those the
        provider held, so those it must have registered with the masker."""
        answered = {e.seq for e in self.emulator.log.entries() if e.status == 200 and e.fault is None}
        return [value for value, seq in self.minted.items() if seq is not None and seq in answered]

    # -- checks -----------------------------------------------------------------------------

    def check(self, where: str, *values: Any) -> None:
        """No secret appears in any of ``values`` (one run in the ledger)."""
        text = "\n".join(as_text(v) for v in values)
        self.checks += 1
        self.ledger.add("runs")
        for label, value in self.secrets().items():
            if value in text:
                self.leaks.append(f"{label} in {where}")

    def check_request_log(self, where: str = "the emulator's request log") -> None:
        """What the emulator recorded of each request (method, path, query, body)."""
        self.check(where, [e.to_dict() for e in self.emulator.log.entries()])

    def check_operator(self, where: str, op: Any, context: Any, result: Any = None) -> None:
        """The return value, every XCom push and every (rendered) template field."""
        self.check(f"{where}: return value", result)
        self.check(f"{where}: XCom", context["ti"].xcom)
        op.render_template_fields(context)
        self.check(f"{where}: rendered template fields", {f: getattr(op, f, None) for f in op.template_fields})

    def check_logs(self, where: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        """Everything written to stdout/stderr (Airflow's structlog output) and every log
        record, formatted and raw (message template and arguments, before any masking)."""
        out, err = capfd.readouterr()
        raw = [f"{r.msg!r} {r.args!r} {r.getMessage()}" for r in caplog.records]
        self.check(f"{where}: captured output and logs", out, err, caplog.text, "\n".join(raw))
        caplog.clear()

    def check_masked(self, where: str, *, admin_key: bool = True) -> None:
        """Every key the provider received is registered with the masker: the connection's
        admin key (unless ``admin_key=False``: the run failed before reading the connection)
        and every minted key whose creating response reached it."""
        from airflow.sdk._shared.secrets_masker import redact

        self.checks += 1
        self.ledger.add("runs")
        held = [(f"delivered key {value[:11]}...", value) for value in self.delivered()]
        if admin_key:
            held.insert(0, ("admin key", self.admin_key_in_use or self.emulator.state.admin_key))
        for label, value in held:
            if value in str(redact(f"Authorization: Bearer {value}")):
                self.leaks.append(f"{label} not registered with the secrets masker ({where})")

    def assert_clean(self) -> None:
        """Record in the ledger the faults the emulator injected and the leaks found since the
        last call; there must be no new leak."""
        stats = self.emulator.faults.stats()
        injected = stats["injected"] + stats["throttled"]
        self.ledger.add("faults_injected", injected - self._faults_recorded)
        self._faults_recorded = injected
        new = self.leaks[self._leaks_recorded :]
        self._leaks_recorded = len(self.leaks)
        self.ledger.add("leaks_found", len(new))
        assert new == [], "secrets leaked:\n" + "\n".join(new)
