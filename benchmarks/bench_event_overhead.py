"""Benchmark 1: added cost per gateway event and per prefix command on a real discord.py bot.

A real ``commands.Bot`` is fed raw gateway payloads the way its websocket would
(``socket_event_type``, then discord.py's own parser; no network): plain messages
(parse, dispatch, ``on_message``, ``process_commands``) and ``!ping`` commands
(the above plus ``Bot.invoke`` and a REST call answered in-process). Each
contender runs in a fresh subprocess, set up the way its documentation says;
the contenders alternate over several rounds and the median is printed, with the
ratio to the uninstrumented bot.

Contenders: uninstrumented; otel-discord's ``DiscordInstrumentor`` on SDK providers
with exporters that drop everything; otel-discord's whole stack from
``otel_discord.configure()`` posting to a strict local Discord (in the parent
process); opentelemetry-instrumentation-discordpy (global SDK providers, exporters
that drop everything); argus-dpy (``Argus(bot)``); discord-ext-prometheus
(``PrometheusCog``). A peer that is not installed is listed as skipped.

Usage::

    python benchmarks/bench_event_overhead.py            # about 2 minutes
    python benchmarks/bench_event_overhead.py --quick    # about 1 minute
    python benchmarks/bench_event_overhead.py --events 100000 --commands 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import _common as c

SCRIPT = __file__


@dataclass(frozen=True)
class Contender:
    """One way of monitoring the bot, and the distribution it needs."""

    mode: str
    label: str
    needs: str | None


CONTENDERS = (
    Contender("none", "uninstrumented", None),
    Contender("ours-noop", "otel-discord instrumentor, no-op exporters", None),
    Contender("ours-full", "otel-discord configure() -> local Discord", None),
    Contender(
        "otel-discordpy",
        "opentelemetry-instrumentation-discordpy",
        "opentelemetry-instrumentation-discordpy",
    ),
    Contender("argus", "argus-dpy", "argus-dpy"),
    Contender("prometheus", "discord-ext-prometheus", "discord-ext-prometheus"),
)


# ----- in the worker: set a contender up, then time the bot -----


def _before_none() -> Callable[[], None]:
    return lambda: None


def _before_ours_noop() -> Callable[[], None]:
    from otel_discord.instrumentation import DiscordInstrumentor

    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**c.noop_providers())
    return instrumentor.uninstrument


def _before_ours_full() -> Callable[[], None]:
    import otel_discord

    telemetry = otel_discord.configure(service_name="bench-bot")
    return telemetry.shutdown


def _before_otel_discordpy() -> Callable[[], None]:
    from opentelemetry_instrumentation_discordpy import DiscordPyInstrumentor

    c.set_global(c.noop_providers())
    DiscordPyInstrumentor().instrument()  # its README: at the start of the bot's code
    return lambda: None


BEFORE_BOT: dict[str, Callable[[], Callable[[], None]]] = {
    "none": _before_none,
    "ours-noop": _before_ours_noop,
    "ours-full": _before_ours_full,
    "otel-discordpy": _before_otel_discordpy,
    "argus": _before_none,
    "prometheus": _before_none,
}


async def _attach_peer(mode: str, bot: Any) -> None:
    """Peers that attach to the bot object: as their READMEs show, on loopback ports."""
    if mode == "argus":
        from argus import Argus

        Argus(bot, host="127.0.0.1", port=c.free_port())
    elif mode == "prometheus":
        from discord.ext.prometheus import prometheus_cog

        # Its server binds every interface on READY; keep it on loopback here.
        prometheus_cog.start_http_server = functools.partial(  # type: ignore[attr-defined]
            prometheus_cog.start_http_server, addr="127.0.0.1"
        )
        await bot.add_cog(prometheus_cog.PrometheusCog(bot, port=c.free_port()))


async def _measure(mode: str, events: int, command_runs: int) -> dict[str, Any]:
    undo = BEFORE_BOT[mode]()
    bot = c.make_bench_bot()
    await _attach_peer(mode, bot)
    bench = await c.log_in(bot)
    for payload in (bench.plain, bench.command):  # warm-up: caches, lazy set-up, first spans
        await c.time_feed(bot, payload, 300)
    sent_before = len(bench.world.rest.sent())
    event_us = await c.time_feed(bot, bench.plain, events)
    command_us = await c.time_feed(bot, bench.command, command_runs)
    answered = len(bench.world.rest.sent()) - sent_before
    undo()
    await bot.close()
    return {"event_us": event_us, "command_us": command_us, "answered": answered}


def worker(mode: str, events: int, command_runs: int) -> None:
    c.quiet_discord_logging()
    c.emit_result(c.run(lambda: _measure(mode, events, command_runs)))


# ----- in the parent: alternate the contenders, print the table -----


def compare(events: int, command_runs: int, rounds: int) -> str:
    server = c.real_discord()
    env = c.webhook_env(server)
    chosen = [k for k in CONTENDERS if k.needs is None or c.installed(k.needs)]
    skipped = [k for k in CONTENDERS if k not in chosen]
    results: dict[str, list[dict[str, Any]]] = {k.mode: [] for k in chosen}
    errors: dict[str, str] = {}
    for index in range(rounds):
        # Rotate the order each round so no contender always runs first (or last).
        order = chosen[index % len(chosen) :] + chosen[: index % len(chosen)]
        for contender in order:
            args = ["--worker", contender.mode, "--events", str(events)]
            result = c.run_worker(
                SCRIPT, [*args, "--commands", str(command_runs)], env=env, timeout=900
            )
            if "error" in result:
                errors[contender.mode] = result["error"]
            else:
                results[contender.mode].append(result)
            print(f"  round {index + 1}/{rounds}: {contender.label} done", file=sys.stderr)
    delivered = len(server.messages())
    violations = server.violations
    server.stop()
    base = results["none"]
    base_event = c.median([r["event_us"] for r in base])
    base_command = c.median([r["command_us"] for r in base])
    rows = []
    for contender in chosen:
        runs = results[contender.mode]
        if not runs:
            rows.append([contender.label, "failed", "", "", "", "", ""])
            continue
        event = c.median([r["event_us"] for r in runs])
        command = c.median([r["command_us"] for r in runs])
        ok = all(r["answered"] == command_runs for r in runs)
        rows.append(
            [
                contender.label,
                f"{event:.1f}",
                f"{event / base_event:.2f}x",
                f"{event - base_event:+.1f}",
                f"{command:.1f}",
                f"{command / base_command:.2f}x",
                f"{command - base_command:+.1f}" + ("" if ok else " (!pong missing)"),
            ]
        )
    headers = [
        "contender",
        "us/event",
        "ratio",
        "added us",
        "us/command",
        "ratio",
        "added us",
    ]
    lines = [
        f"{events} plain MESSAGE_CREATE and {command_runs} !ping per round, {rounds} rounds,"
        " median; each contender in a fresh process",
        "",
        c.table(headers, rows),
        "",
        f"local Discord (ours-full): {delivered} messages accepted,"
        f" {len(violations)} protocol violations",
    ]
    lines += [f"skipped {k.label}: {k.needs} is not installed" for k in skipped]
    lines += [f"error in {mode}: {text}" for mode, text in errors.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer events, two rounds")
    parser.add_argument("--events", type=int, default=20_000, help="plain messages per round")
    parser.add_argument("--commands", type=int, default=4_000, help="!ping commands per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median kept)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.commands, args.rounds = 5_000, 1_000, 2
    if args.worker:
        worker(args.worker, args.events, args.commands)
        return
    c.print_header("Benchmark 1: per-event and per-command overhead", sys.argv)
    print(compare(args.events, args.commands, args.rounds))


if __name__ == "__main__":
    main()
