"""``openai-org``: export, plan and apply an organization file from a shell or a CI job.

    openai-org export -o org.yaml
    openai-org plan -f org.yaml [--out plan.json] [--json]
    openai-org apply -f org.yaml --auto-approve
    openai-org apply --plan plan.json [--digest sha256:...]
    openai-org plan -f org.yaml --state .org-cache.json [--full]   (incremental: see below)

A saved plan carries its digest (the file's content, the live state it read, its changes)
and an HMAC of it keyed with a secret derived from the connection's admin key: ``apply
--plan`` refuses, with no write, a plan file that was edited, forged, made with another
key, or that is stale (the organization moved since it was read: the error names what
moved; an applied plan is stale too, so it cannot be replayed). ``--digest`` also requires
the plan to be the one a reviewer approved.

Exit codes: ``plan`` 0 = in sync, 2 = changes pending, 1 = error; ``apply`` and
``export`` 0 = done, 1 = refused or failed. A user error (bad file, stale plan, refused
plan, connection problem, API error) prints one line to stderr, no traceback. When
stderr is a terminal, progress (stage, n of N, time left, throttle waits) is drawn on it.
The connection comes from ``--conn-id`` (``AIRFLOW_CONN_<ID>`` works without Airflow).

``--state PATH`` keeps the last read and its audit-log position in PATH (never a key): the
next plan re-reads only what the audit log shows may have changed, says per family what
it read afresh or reused, and names who changed each drifted object
(:mod:`~airflow_provider_openai_projects.orgfile.incremental`); ``--full`` reads everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.client.errors import OpenAIAdminError
from airflow_provider_openai_projects.domain.display import printable

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


class TerminalProgress:
    """Draws one status line on a terminal: stage, n of N, time left at the current pace."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.stage = ""
        self.stage_started = self.started
        self.width = 0

    def _draw(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def step(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.stage_started = stage, now
        left = ""
        if 0 < done < total:
            pace = (now - self.stage_started) / done
            left = f", about {pace * (total - done):.0f}s left"
        self._draw(f"{stage}: {done} of {total}{left}")

    def waiting(self, seconds: float) -> None:
        if seconds >= 0.5:
            self._draw(f"{self.stage}: waiting {seconds:.1f}s for the API's rate limit (throttle)")

    def finish(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _progress(stream: TextIO) -> Any:
    from airflow_provider_openai_projects.orgfile.progress import NO_PROGRESS

    return TerminalProgress(stream) if stream.isatty() else NO_PROGRESS


def _client(conn_id: str, progress: Any) -> Any:
    from airflow_provider_openai_projects.cli.connection import build_client

    def sleep(seconds: float) -> None:
        progress.waiting(seconds)
        time.sleep(seconds)

    return build_client(conn_id, sleep)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openai-org", description="The OpenAI organization as code.")
    parser.add_argument("--conn-id", default=DEFAULT_CONN_ID, help="Airflow connection id (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the live organization as an org file")
    export.add_argument("-o", "--output", required=True, help="the org file to write ('-' for stdout)")
    plan = commands.add_parser("plan", help="show what apply would change (never writes)")
    plan.add_argument("-f", "--file", required=True, help="the org file")
    plan.add_argument("--out", help="also save the plan as JSON to this file (for apply --plan)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON instead of a table")
    _state_arguments(plan)
    apply = commands.add_parser("apply", help="make the organization match the file or a saved plan")
    source = apply.add_mutually_exclusive_group(required=True)
    source.add_argument("-f", "--file", help="the org file (needs --auto-approve)")
    source.add_argument("--plan", help="a plan saved by plan --out: applied only if unedited and still current")
    apply.add_argument("--digest", help="apply the saved plan only if its digest is this one (the approved plan)")
    apply.add_argument("--auto-approve", action="store_true", help="apply a file's plan without a saved plan")
    apply.add_argument("--json", action="store_true", help="print the result as JSON")
    _state_arguments(apply)
    return parser


def _state_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--state", help="the read cache: re-read only what the audit log shows changed")
    command.add_argument("--full", action="store_true", help="with --state: read everything afresh")


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from airflow_provider_openai_projects.orgfile.engine import export

    progress = _progress(err)
    try:
        document = export(_client(args.conn_id, progress), progress)
    finally:
        progress.finish()
    text = exported_yaml(document)
    if args.output == "-":
        out.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        err.write(f"wrote {args.output}: {len(document['projects'])} projects\n")
    return EXIT_OK


def exported_yaml(document: Any) -> str:
    """``document`` as YAML, readable (accented letters and other scripts as they are) unless
    a live name holds a character that must never be shown raw (a bidi override, a zero-width
    space: YAML calls them printable): then every non-ASCII character is written as an
    escape, so neither the terminal (``-o -``) nor the file shows it raw."""
    import yaml

    from airflow_provider_openai_projects.domain.display import is_hidden

    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if any(is_hidden(char) for char in text if char != "\n"):
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=False)
    return text


def _plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from airflow_provider_openai_projects.orgfile.engine import plan
    from airflow_provider_openai_projects.orgfile.loader import load_file
    from airflow_provider_openai_projects.orgfile.render import plan_table

    spec = load_file(args.file)  # before any request
    progress = _progress(err)
    incremental = None
    try:
        client = _client(args.conn_id, progress)
        if args.state:  # the incremental read (orgfile.incremental)
            from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state

            incremental = plan_with_state(client, spec, Path(args.state), full=args.full)
            result = incremental.plan
        else:
            result = plan(client, spec, progress)
    finally:
        progress.finish()
    if args.out:
        from airflow_provider_openai_projects.orgfile.digest import key_of, seal

        _check_cli_can_apply(result)  # a saved plan apply --plan could not finish is a plan error
        Path(args.out).write_text(json.dumps(seal(result, key_of(client)), indent=2), encoding="utf-8")
    if incremental is not None:
        _write_incremental(incremental, args.json, out)
    else:
        out.write((result.to_json() if args.json else plan_table(result)) + "\n")
    return EXIT_OK if result.in_sync else EXIT_CHANGES


def _check_cli_can_apply(the_plan: Any) -> None:
    """Refuse (:class:`OrgFileError` at the account's path) a plan whose service-account
    creates name a key sink this process cannot use: the CLI runs outside any Airflow task,
    so a ``variable`` sink would fail after the writes before it."""
    from airflow_provider_openai_projects.orgfile.sinks import resolve_usable_sinks

    resolve_usable_sinks(the_plan.changes, the_plan.source, None)


def _write_incremental(incremental: Any, as_json: bool, out: TextIO) -> None:
    from airflow_provider_openai_projects.orgfile.incremental.runner import attribution_lines, reads_text
    from airflow_provider_openai_projects.orgfile.render import plan_table

    if as_json:
        out.write(json.dumps({**incremental.plan.to_dict(), "incremental": incremental.to_dict()}, indent=2) + "\n")
        return
    lines = [plan_table(incremental.plan), *attribution_lines(incremental), reads_text(incremental)]
    out.write("\n".join(lines) + "\n")


def _apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from airflow_provider_openai_projects.orgfile.digest import key_of, open_sealed, parse
    from airflow_provider_openai_projects.orgfile.engine import ApplyError, apply
    from airflow_provider_openai_projects.orgfile.loader import load_file

    if args.file and not args.auto_approve:
        err.write(
            "openai-org: error: apply -f needs --auto-approve (or save a plan with plan --out and apply --plan)\n"
        )
        return EXIT_ERROR
    if args.digest and not args.plan:
        err.write("openai-org: error: --digest needs --plan\n")
        return EXIT_ERROR
    spec = load_file(args.file) if args.file else None
    progress = _progress(err)
    client = _client(args.conn_id, progress)
    saved = None
    if args.plan:
        where = printable(Path(args.plan).name)
        try:
            text = Path(args.plan).read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            err.write(f"openai-org: error: {where}: cannot read the plan ({error.__class__.__name__})\n")
            return EXIT_ERROR
        saved = open_sealed(parse(text, where), key_of(client), where)
        _check_cli_can_apply(saved)  # before any request
    try:
        if args.state and spec is not None:  # the incremental read (orgfile.incremental)
            from airflow_provider_openai_projects.orgfile.incremental import runner

            result = runner.apply_with_state(client, spec, Path(args.state), full=args.full, progress=progress)[1]
        else:
            result = apply(client, spec, saved=saved, approved_digest=args.digest, progress=progress)
            if args.state:
                from airflow_provider_openai_projects.orgfile.incremental import runner

                runner.record_apply_at(Path(args.state), client)
    except ApplyError as error:
        progress.finish()
        for change in error.result.done:
            out.write(f"done: {change.describe()}\n")
        raise
    finally:
        progress.finish()
    if args.json:
        out.write(json.dumps({**result.summary(), "done": [c.to_dict() for c in result.done]}, indent=2) + "\n")
    else:
        for change in result.done:
            out.write(f"done: {change.describe()}\n")
        name = printable(result.plan.source_name)
        out.write(f"{name}: applied {len(result.done)} changes with {result.writes} writes.\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    command = {"export": _export, "plan": _plan, "apply": _apply}[args.command]
    try:
        return command(args, out, err)
    except OpenAIAdminError as error:
        err.write(f"openai-org: error: {printable(error)}\n")
        return EXIT_ERROR
    except OSError as error:
        err.write(f"openai-org: error: {error.__class__.__name__}: {printable(error)}\n")
        return EXIT_ERROR


def console_script() -> None:  # pragma: no cover - the [project.scripts] entry point
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover - python -m airflow_provider_openai_projects.cli.org
    console_script()
