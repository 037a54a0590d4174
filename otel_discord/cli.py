"""The ``otel-discord`` command: check, preview, demo, gateway. Thin: the library does the work."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Final

from otel_discord.errors import ConfigError
from otel_discord.version import __version__


def _check(args: argparse.Namespace) -> int:
    from otel_discord.check import format_table, run_check
    from otel_discord.config import DiscordConfig

    config = DiscordConfig.resolve()
    if not config.routes:
        print(
            "otel-discord: no channel is configured; set OTEL_EXPORTER_DISCORD_WEBHOOK_URL "
            "or per-channel variables (see --help)",
            file=sys.stderr,
        )
        return 2
    results = run_check(config, time_ns=time.time_ns())
    print(format_table(results))
    return 1 if any(r.failed for r in results) else 0


def _preview(args: argparse.Namespace) -> int:
    from otel_discord.preview import run_preview

    return run_preview(host=args.host, port=args.port, duration_s=args.duration)


_EXTRAS: Final = {
    "gateway": ("aiohttp", "google", "opentelemetry.proto"),
    "discord": ("discord",),
}
"""What each extra installs, by the import names a missing one shows up as."""


class _MissingExtraError(Exception):
    """A command's optional dependencies are not installed: one line names the extra."""

    def __init__(self, command: str, extra: str, package: str) -> None:
        super().__init__(
            f"{command} needs {package}, which is not installed: "
            f'pip install "otel-discord[{extra}]"'
        )


def _missing(command: str, extra: str, exc: ImportError) -> Exception:
    """The one-line error when ``exc`` is one of ``extra``'s packages, else ``exc`` itself
    (an import error of our own is a bug and keeps its traceback)."""
    name = exc.name or ""
    for root in _EXTRAS[extra]:
        if name == root or name.startswith(root + "."):
            return _MissingExtraError(command, extra, root)
    return exc


def _demo(args: argparse.Namespace) -> int:
    try:  # checked before the page starts: the simulated bot is a real discord.py bot
        import discord.ext.commands  # noqa: F401
    except ImportError as exc:
        raise _missing("demo", "discord", exc) from None
    from otel_discord.demo import run_demo

    return run_demo(host=args.host, port=args.port, duration_s=args.duration, open_page=False)


def _gateway(args: argparse.Namespace) -> int:
    try:
        from otel_discord.gateway import GatewaySettings, run_gateway
    except ImportError as exc:
        raise _missing("gateway", "gateway", exc) from None

    settings = GatewaySettings.resolve(
        host=args.host, port=args.port, token=args.token, merge_interval_s=args.merge_interval
    )
    return run_gateway(settings)


def _add_gateway(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "receive OTLP/HTTP from many processes and post one merged view to Discord"
    sub = commands.add_parser(
        "gateway",
        help=text,
        description=text[0].upper() + text[1:] + ". Destinations come from the usual "
        "OTEL_EXPORTER_DISCORD_* variables. Prints 'listening on URL' once bound.",
    )
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sub.add_argument("--port", type=int, default=4318, help="port (default 4318; 0 = any)")
    sub.add_argument(
        "--token",
        default=None,
        help="bearer token senders must present (default: $OTEL_DISCORD_GATEWAY_TOKEN); "
        "required unless bound to loopback",
    )
    sub.add_argument(
        "--merge-interval",
        type=float,
        default=15.0,
        help="seconds between merges of the fleet's metrics (default 15)",
    )
    sub.set_defaults(run=_gateway)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otel-discord",
        description="OpenTelemetry telemetry streamed as readable embeds into Discord channels.",
        epilog="Settings come from OTEL_EXPORTER_DISCORD_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"otel-discord {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="validate settings and send one test embed to each configured channel",
        description="Validate the OTEL_EXPORTER_DISCORD_* settings, post one test embed to "
        "each configured channel and print a result per channel. Exit code 1 if any failed, "
        "2 if a setting is malformed or no channel is configured. A channel's destination: "
        "OTEL_EXPORTER_DISCORD_<CHANNEL>_WEBHOOK_URL, else OTEL_EXPORTER_DISCORD_<CHANNEL>_"
        "CHANNEL_ID (with OTEL_EXPORTER_DISCORD_BOT_TOKEN), else OTEL_EXPORTER_DISCORD_"
        "WEBHOOK_URL; <CHANNEL> is ANALYTICS, DIAGNOSTICS, LOGS or PERFORMANCE.",
    )
    check.set_defaults(run=_check)
    for name, run, text in (
        ("preview", _preview, "run a strict local Discord with a live web page of the channels"),
        ("demo", _demo, "run a simulated bot against the local preview (no Discord account)"),
    ):
        sub = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        sub.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 = any)")
        sub.add_argument(
            "--duration",
            type=float,
            default=None if name == "preview" else 120.0,
            help="seconds to run, then exit (default: until Ctrl-C)"
            if name == "preview"
            else "seconds to run (default 120)",
        )
        sub.set_defaults(run=run)
    _add_gateway(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; errors are one clear line and a non-zero exit."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (ConfigError, _MissingExtraError) as exc:
        print(f"otel-discord: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
