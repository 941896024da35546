"""``openai-admin-emulator``: run the Admin API emulator until Ctrl-C (or SIGTERM).

    openai-admin-emulator --port 8089 --throttle-rpm 10

Prints the base URL, the admin key and the control API's token on start. Binding to a
non-loopback ``--host`` (such as ``0.0.0.0``) needs ``--allow-remote`` and an ``--admin-key``
of your own (the default one is published); requests must then name this machine in their
``Host`` header: a loopback name, ``--host`` itself, or an ``--allowed-host``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .gateway import CONTROL_TOKEN_HEADER
from .organization_state import DEFAULT_ADMIN_KEY
from .server import EmulatorServer, is_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-admin-emulator", description="Run the OpenAI Admin API emulator until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--admin-key", default=DEFAULT_ADMIN_KEY, help="the admin API key to accept")
    parser.add_argument("--throttle-rpm", type=float, help="throttle to this many requests per minute")
    parser.add_argument("--throttle-burst", type=int, help="throttle bucket size (default: the rpm)")
    parser.add_argument(
        "--throttle-scope", choices=("endpoint", "global"), default="endpoint", help="one bucket per endpoint or one"
    )
    parser.add_argument(
        "--throttle-retry-after",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send Retry-After on throttled requests (default: yes)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (needs --admin-key; the emulator is for tests only)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests with this Host name (repeatable; loopback names always)",
    )
    parser.add_argument("--control-token", help="the control API's token (default: a random one, printed)")
    parser.add_argument("--seed-users", type=int, default=0, metavar="N", help="add N readers user<i>@example.com")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not is_loopback(args.host):
        if not args.allow_remote:
            parser.error(f"--host {args.host} is not loopback: add --allow-remote (and an --admin-key of your own)")
        if args.admin_key == DEFAULT_ADMIN_KEY:
            parser.error("--allow-remote needs an --admin-key of your own: the default one is published")
        print(f"WARNING: serving the emulator on {args.host}, reachable beyond this machine.", file=sys.stderr)
    server = EmulatorServer(
        host=args.host,
        port=args.port,
        admin_key=args.admin_key,
        allow_remote=args.allow_remote,
        control_token=args.control_token,
        allowed_hosts=args.allowed_host,
    )
    if args.throttle_rpm is not None:
        server.faults.throttle(args.throttle_rpm, args.throttle_burst, args.throttle_scope, args.throttle_retry_after)
    for i in range(args.seed_users):
        server.add_org_user(f"user{i}@example.com")
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with server:
        print(f"OpenAI Admin API emulator: {server.base_url}", flush=True)
        print(f"  admin key: {server.admin_key}", flush=True)
        print(f"  control:   {server.url}/_emulator", flush=True)
        print(f"  control token: {server.control_token} (header {CONTROL_TOKEN_HEADER})", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
