"""Benchmark 1: added cost per gateway event and per command on a real discord.py bot.

A real ``commands.Bot`` is fed raw gateway payloads the way its websocket would
(``socket_event_type``, then discord.py's own parser; no network), four loads:
plain messages (parse, dispatch, ``on_message``, ``process_commands``); ``!ping``
prefix commands (the above plus ``Bot.invoke`` and a REST call answered
in-process); ``/ping`` slash commands (INTERACTION_CREATE, ``CommandTree._call``,
a REST call); and prefix commands spread over 1,000 distinct names (does the cost
grow with the number of commands?). Each figure is wall time and the whole
process's CPU time (every thread, so work an exporter thread does counts too)
per item. Each contender runs in a fresh subprocess, set up the way its
documentation says; the contenders alternate over several rounds (order rotated)
and the median is printed, with the ratio to the uninstrumented bot, followed by
the issue's targets for the instrumentor and for configure(), met or not in this run.

Contenders: uninstrumented; otel-discord's ``DiscordInstrumentor`` on SDK providers
with exporters that drop everything; otel-discord's whole stack from
``otel_discord.configure()`` posting to a strict local Discord (in the parent
process); opentelemetry-instrumentation-discordpy (global SDK providers, exporters
that drop everything); argus-dpy (``Argus(bot)``); discord-ext-prometheus
(``PrometheusCog``). A peer that is not installed is listed as skipped.

Usage::

    python benchmarks/bench_event_overhead.py            # about 3 minutes
    python benchmarks/bench_event_overhead.py --quick    # about 1 minute
    python benchmarks/bench_event_overhead.py --events 100000 --commands 20000 --rounds 5
    python benchmarks/bench_event_overhead.py --commands 1 --rounds 25 \
        --contenders ours-noop,ours-full,prometheus   # the per-message cost, more rounds
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

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
    "ours-noop-baseline": _before_ours_noop,
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


@dataclass(frozen=True)
class Load:
    """One kind of traffic fed to the bot."""

    key: str
    title: str
    event: str
    share: float
    """Items per round, as a share of ``--commands`` (plain messages use ``--events``)."""


LOADS = (
    Load("event", "plain MESSAGE_CREATE (no command)", "MESSAGE_CREATE", 0.0),
    Load("command", "prefix command !ping", "MESSAGE_CREATE", 1.0),
    Load("slash", "slash command /ping", "INTERACTION_CREATE", 1.0),
    Load("many", f"prefix commands, {c.MANY_COMMANDS} distinct names", "MESSAGE_CREATE", 1.0),
)
METRICS_ONLY = ("argus", "prometheus")
"""The peers that record metrics only (no spans): the bar the issue sets for a span."""


def _payloads(bench: Any, load: Load) -> list[dict[str, Any]]:
    if load.key == "many":
        return list(bench.many)
    return [{"event": bench.plain, "command": bench.command, "slash": bench.slash}[load.key]]


async def _measure(mode: str, events: int, command_runs: int) -> dict[str, Any]:
    undo = BEFORE_BOT[mode]()
    bot = c.make_bench_bot(c.MANY_COMMANDS)
    await _attach_peer(mode, bot)
    bench = await c.log_in(bot)
    for load in LOADS:  # warm-up: caches, lazy set-up, first spans of every name
        payloads = _payloads(bench, load)
        await c.time_feed_cpu(bot, payloads, max(300, len(payloads)), event=load.event)
    out: dict[str, Any] = {}
    for load in LOADS:
        count = events if load.key == "event" else max(1, round(command_runs * load.share))
        sent_before = len(bench.world.rest.sent())
        wall, cpu = await c.time_feed_cpu(bot, _payloads(bench, load), count, event=load.event)
        answered = len(bench.world.rest.sent()) - sent_before
        out[load.key] = {"wall": wall, "cpu": cpu, "ok": load.key == "event" or answered == count}
    undo()
    await bot.close()
    return out


def worker(mode: str, events: int, command_runs: int) -> None:
    c.quiet_discord_logging()
    c.emit_result(c.run(lambda: _measure(mode, events, command_runs)))


# ----- in the parent: alternate the contenders, print the tables -----


def _figure(runs: list[dict[str, Any]], load: str, what: str) -> float:
    return c.median([r[load][what] for r in runs])


def _load_table(load: Load, chosen: list[Contender], results: dict[str, list[Any]]) -> str:
    base = results["none"]
    base_wall, base_cpu = _figure(base, load.key, "wall"), _figure(base, load.key, "cpu")
    rows = []
    for contender in chosen:
        runs = results[contender.mode]
        if not runs:
            rows.append([contender.label, "failed", "", "", "", "", ""])
            continue
        wall, cpu = _figure(runs, load.key, "wall"), _figure(runs, load.key, "cpu")
        missing = "" if all(r[load.key]["ok"] for r in runs) else " (pong missing)"
        paired = _paired(results, contender.mode, load.key)
        spread = (
            f"{c.percentile(paired, 0.25):+.1f} to {c.percentile(paired, 0.75):+.1f}"
            if paired and contender.mode != "none"
            else ""
        )
        rows.append(
            [
                contender.label,
                f"{wall:.1f}",
                f"{wall / base_wall:.2f}x",
                f"{wall - base_wall:+.1f}{missing}",
                spread,
                f"{cpu:.1f}",
                f"{cpu - base_cpu:+.1f}",
            ]
        )
    headers = [
        "contender",
        "wall us",
        "ratio",
        "added us",
        "added, rounds p25 to p75",
        "CPU us",
        "added CPU us",
    ]
    return f"{load.title}, per item:\n\n" + c.table(headers, rows)


def _paired(results: dict[str, list[Any]], mode: str, load: str) -> list[float]:
    """Each round's added wall time against the same round's uninstrumented bot.

    A process's speed moves by about 15 % from one start to the next on a small VM; the
    spread of these per-round differences says how far one run's median can be trusted.
    """
    runs, base = results.get(mode, []), results.get("none", [])
    if len(runs) != len(base):  # a failed round: rounds no longer pair up
        return []
    return [run[load]["wall"] - ref[load]["wall"] for run, ref in zip(runs, base, strict=True)]


def _added(results: dict[str, list[Any]], mode: str, load: str) -> float:
    return _figure(results[mode], load, "wall") - _figure(results["none"], load, "wall")


MIN_TIMED: Final = 100
"""Fewer items than this per round (``--commands 1``: a messages-only run) time nothing
but the process's noise: such a load's table and targets are left out."""


def _goals(results: dict[str, list[Any]], mode: str, label: str, commands_timed: bool) -> list[str]:
    """The issue's targets for one of our contenders, met or not, in this run."""
    if not results.get(mode) or not results.get("none"):
        return []
    if not commands_timed:  # only the per-message target was measured
        added_event = _added(results, mode, "event")
        ok = "met" if added_event <= 3 else "NOT met"
        return [
            f"Targets ({label}, this run):",
            f"- [{ok}] plain message adds <= 3 us: {added_event:+.1f} us",
        ]
    added = {load.key: _added(results, mode, load.key) for load in LOADS}
    base = _figure(results["none"], "command", "wall")
    ratio = _figure(results[mode], "command", "wall") / base
    peers = {m: _added(results, m, "command") for m in METRICS_ONLY if results.get(m)}
    lines = [f"Targets ({label}, this run):"]

    def check(ok: bool, text: str) -> None:
        lines.append(f"- [{'met' if ok else 'NOT met'}] {text}")

    check(added["command"] <= 25, f"prefix command adds <= 25 us: {added['command']:+.1f} us")
    check(ratio <= 1.3, f"prefix command <= 1.3x uninstrumented: {ratio:.2f}x")
    if peers:
        best_mode = min(peers, key=lambda m: peers[m])
        check(
            added["command"] <= peers[best_mode],
            f"prefix command adds no more than the best metrics-only peer"
            f" ({best_mode}: {peers[best_mode]:+.1f} us): {added['command']:+.1f} us",
        )
    check(added["slash"] <= 25, f"slash command adds <= 25 us: {added['slash']:+.1f} us")
    check(added["event"] <= 3, f"plain message adds <= 3 us: {added['event']:+.1f} us")
    growth = added["many"] - added["command"]
    check(
        growth <= 5,
        f"flat in distinct names: {c.MANY_COMMANDS} names add {added['many']:+.1f} us,"
        f" 1 name {added['command']:+.1f} us ({growth:+.1f} us)",
    )
    return lines


def compare(
    events: int,
    command_runs: int,
    rounds: int,
    baseline: str | None = None,
    only: Sequence[str] = (),
) -> str:
    server = c.real_discord()
    env = c.webhook_env(server)
    # The uninstrumented bot always runs: every other figure is relative to it.
    contenders = [k for k in CONTENDERS if not only or k.mode in ("none", *only)]
    if baseline:  # another tree's otel_discord (e.g. ``git archive`` of an older commit)
        label = f"instrumentor from {Path(baseline).name}, no-op exporters"
        contenders.insert(2, Contender("ours-noop-baseline", label, None))
    chosen = [k for k in contenders if k.needs is None or c.installed(k.needs)]
    skipped = [k for k in contenders if k not in chosen]
    results: dict[str, list[dict[str, Any]]] = {k.mode: [] for k in chosen}
    errors: dict[str, str] = {}
    for index in range(rounds):
        # Rotate the order each round so no contender always runs first (or last).
        order = chosen[index % len(chosen) :] + chosen[: index % len(chosen)]
        for contender in order:
            args = ["--worker", contender.mode, "--events", str(events)]
            worker_env = env
            if contender.mode == "ours-noop-baseline" and baseline:
                worker_env = {**env, "PYTHONPATH": baseline}
            result = c.run_worker(
                SCRIPT, [*args, "--commands", str(command_runs)], env=worker_env, timeout=900
            )
            if "error" in result:
                errors[contender.mode] = result["error"]
            else:
                results[contender.mode].append(result)
            print(f"  round {index + 1}/{rounds}: {contender.label} done", file=sys.stderr)
    delivered = len(server.messages())
    violations = server.violations
    server.stop()
    lines = [
        f"{events} plain MESSAGE_CREATE and {command_runs} of each command load per round,"
        f" {rounds} rounds, median; each contender in a fresh process, order rotated per round;"
        " CPU = the whole process (all threads, export threads included)",
    ]
    commands_timed = command_runs >= MIN_TIMED
    for load in LOADS:
        if load.key == "event" or commands_timed:
            lines += ["", _load_table(load, chosen, results)]
    for contender in CONTENDERS[1:3]:  # ours: the instrumentor alone, and configure()
        if contender in chosen:
            lines += ["", *_goals(results, contender.mode, contender.label, commands_timed)]
    lines += [
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
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (median kept)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline", help="a directory holding an older otel_discord to measure beside this one"
    )
    parser.add_argument(
        "--contenders",
        default="",
        help="comma-separated subset of "
        + ",".join(k.mode for k in CONTENDERS[1:])
        + " (the uninstrumented bot always runs; e.g. many rounds of a few contenders)",
    )
    args = parser.parse_args(argv)
    only = [mode.strip() for mode in args.contenders.split(",") if mode.strip()]
    unknown = sorted(set(only) - {k.mode for k in CONTENDERS})
    if unknown:
        parser.error(f"--contenders: unknown {', '.join(unknown)}")
    if args.quick:
        args.events, args.commands, args.rounds = 5_000, 1_000, 3
    if args.worker:
        worker(args.worker, args.events, args.commands)
        return
    c.print_header("Benchmark 1: per-event and per-command overhead", sys.argv)
    print(compare(args.events, args.commands, args.rounds, args.baseline, only))


if __name__ == "__main__":
    main()
