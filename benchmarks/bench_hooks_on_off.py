"""Benchmark 1b: added cost per item, the hooks switched on and off inside one process.

Benchmark 1 starts a fresh process per contender and round. On a small VM one process
start runs about 15 % faster or slower than the next (memory layout, CPU placement), so
a 25 us message moves by about 4 us between processes: wider than the 3 us the issue
allows per message, which benchmark 1 therefore cannot settle. Here one process holds
the bot and its monitoring and alternates short blocks of items with the monitoring's
hooks installed and removed, in ABBA order. The two halves of a pair share the process,
its heap and its warm caches; only the hooks differ. The figure is the median of the
pairs' differences, with a 95 % confidence interval of that median (order statistics,
no distribution assumed).

Switching: otel-discord's contenders put back (and re-install) exactly the class
attributes ``DiscordInstrumentor.uninstrument`` restores (its ``Patcher`` entries),
with their telemetry kept alive; discord-ext-prometheus is switched with
``remove_cog``/``add_cog`` of the same cog. ``ours-full-vs-prometheus`` installs both
and alternates between them, so a pair's difference is ours minus the peer's directly.
A few untimed items follow every switch, so the interpreter's caches settle, and every
block starts after a full garbage collection (``_common.time_feed_cpu``).

What this leaves out: work that does not run in the bot's call paths (export threads,
the loop-lag timer, metric collection). Benchmark 1's CPU column and
``bench_span_worker_wakeups.py`` measure that part.

Usage::

    python benchmarks/bench_hooks_on_off.py            # about 2 minutes
    python benchmarks/bench_hooks_on_off.py --quick    # about 40 seconds
    python benchmarks/bench_hooks_on_off.py --pairs 101 --loads event --contenders ours-full
    python benchmarks/bench_hooks_on_off.py --pairs 101 --loads command,slash \
        --contenders ours-full-vs-prometheus      # ours against the peer, head to head
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import _common as c
import bench_event_overhead as b1

SCRIPT = __file__
HEAD_TO_HEAD: Final = "ours-full-vs-prometheus"
"""Both installed on one bot; the two states of a pair are configure()'s hooks alone and
discord-ext-prometheus's cog alone, so a pair's difference is ours minus the peer's with
the process's noise common to both (the issue's bar against the peer, measured directly)."""
CONTENDERS: Final = {
    "ours-noop": "otel-discord instrumentor, no-op exporters",
    "ours-full": "otel-discord configure() -> local Discord",
    "prometheus": "discord-ext-prometheus",
    HEAD_TO_HEAD: "configure() against discord-ext-prometheus, head to head",
}
SETTLE: Final = 50
"""Untimed items after each switch: the interpreter re-specializes the code it runs."""
BLOCK: Final = {"event": 2_000, "command": 500, "slash": 500, "many": 1_000}
"""Items per timed block (about 50 ms each on a 2-core VM)."""


@dataclass
class Switch:
    """Installs and removes one contender's hooks."""

    on: Callable[[], Awaitable[None]]
    off: Callable[[], Awaitable[None]]
    close: Callable[[], None]


def _patch_switch(instrumentor: Any, close: Callable[[], None]) -> Switch:
    patches = list(instrumentor._patcher.applied)

    async def on() -> None:
        for patch in patches:
            setattr(patch.owner, patch.attribute, patch.wrapper)

    async def off() -> None:
        for patch in reversed(patches):
            setattr(patch.owner, patch.attribute, patch.original)

    def undo() -> None:
        for patch in patches:  # uninstrument restores only where its wrapper stands
            setattr(patch.owner, patch.attribute, patch.wrapper)
        close()

    return Switch(on, off, undo)


def _instrumentor_switch() -> Switch:
    from otel_discord.instrumentation import DiscordInstrumentor

    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**c.noop_providers())
    return _patch_switch(instrumentor, instrumentor.uninstrument)


def _configure_switch() -> Switch:
    import otel_discord
    from otel_discord.instrumentation import DiscordInstrumentor

    telemetry = otel_discord.configure(service_name="bench-bot")
    found = [i for i in telemetry.instrumentors if isinstance(i, DiscordInstrumentor)]
    return _patch_switch(found[0], telemetry.shutdown)


async def _cog_switch(bot: Any) -> Switch:
    await b1._attach_peer("prometheus", bot)
    cog = bot.get_cog("PrometheusCog")

    async def on() -> None:
        if bot.get_cog("PrometheusCog") is None:
            await bot.add_cog(cog)

    async def off() -> None:
        await bot.remove_cog("PrometheusCog")

    return Switch(on, off, lambda: None)


def _head_to_head(ours: Switch, peer: Switch) -> Switch:
    """Our hooks alone when switched "on", the peer's alone when "off"."""

    async def on() -> None:
        await peer.off()
        await ours.on()

    async def off() -> None:
        await ours.off()
        await peer.on()

    def close() -> None:
        ours.close()
        peer.close()

    return Switch(on, off, close)


async def _measure(mode: str, loads: Sequence[str], pairs: int) -> dict[str, Any]:
    switch = {
        "ours-noop": _instrumentor_switch,
        "ours-full": _configure_switch,
        HEAD_TO_HEAD: _configure_switch,
    }.get(mode)
    built = switch() if switch is not None else None
    bot = c.make_bench_bot(c.MANY_COMMANDS)
    if built is None:
        built = await _cog_switch(bot)
    elif mode == HEAD_TO_HEAD:
        built = _head_to_head(built, await _cog_switch(bot))
    bench = await c.log_in(bot)
    chosen = [load for load in b1.LOADS if load.key in loads]
    for load in chosen:  # warm-up with the hooks on: first spans of every name, caches
        payloads = b1._payloads(bench, load)
        await c.time_feed_cpu(bot, payloads, max(300, len(payloads)), event=load.event)
    out: dict[str, Any] = {}
    for load in chosen:
        payloads = b1._payloads(bench, load)
        block = BLOCK[load.key]
        rows: dict[str, list[list[float]]] = {"on": [], "off": []}
        answered = 0
        for index in range(pairs):
            for state in ("on", "off") if index % 2 == 0 else ("off", "on"):
                await (built.on if state == "on" else built.off)()
                await c.time_feed_cpu(bot, payloads, SETTLE, event=load.event, chunk=SETTLE)
                sent = len(bench.world.rest.sent())
                wall, cpu = await c.time_feed_cpu(bot, payloads, block, event=load.event)
                answered += len(bench.world.rest.sent()) - sent
                rows[state].append([wall, cpu])
        expected = 0 if load.key == "event" else 2 * pairs * block
        out[load.key] = {**rows, "ok": answered == expected}
    await built.on()
    built.close()
    await bot.close()
    return out


def worker(mode: str, loads: Sequence[str], pairs: int) -> None:
    c.quiet_discord_logging()
    c.emit_result(c.run(lambda: _measure(mode, loads, pairs)))


# ----- in the parent: run each contender, print the tables -----


def median_interval(values: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    """A distribution-free confidence interval of the median (95 % for z = 1.96).

    The ranks n/2 -/+ z*sqrt(n)/2 of the sorted values (the normal approximation of the
    binomial count of values below the median).
    """
    ordered = sorted(values)
    n = len(ordered)
    half = z * math.sqrt(n) / 2
    low = max(0, math.floor(n / 2 - half))
    high = min(n - 1, math.ceil(n / 2 + half) - 1)
    return ordered[low], ordered[high]


@dataclass(frozen=True)
class Added:
    """One contender's added time per item on one load."""

    off: float
    ratio: float
    wall: float
    low: float
    high: float
    cpu: float
    cpu_low: float
    cpu_high: float


def added(result: dict[str, Any]) -> Added:
    on, off = result["on"], result["off"]
    walls = [a[0] - b[0] for a, b in zip(on, off, strict=True)]
    cpus = [a[1] - b[1] for a, b in zip(on, off, strict=True)]
    base = c.median([row[0] for row in off])
    wall = c.median(walls)
    return Added(
        base,
        (base + wall) / base,
        wall,
        *median_interval(walls),
        c.median(cpus),
        *median_interval(cpus),
    )


def _verdict(median: float, high: float, bar: float) -> str:
    """``met`` when the 95 % interval's upper end is within the bar, ``met (median)`` when
    only the median is, else ``NOT met``."""
    if high <= bar:
        return "met"
    return "met (median)" if median <= bar else "NOT met"


def _targets(figures: dict[str, dict[str, Added]], mode: str) -> list[str]:
    """The issue's bars for one of our contenders, judged on the median and its interval."""
    mine = figures.get(mode, {})
    peer = figures.get("prometheus", {})
    lines = [f"Targets ({CONTENDERS[mode]}):"]

    def span(a: Added) -> str:
        return (
            f"{a.wall:+.1f} us ({a.low:+.1f} to {a.high:+.1f});"
            f" CPU {a.cpu:+.1f} us ({a.cpu_low:+.1f} to {a.cpu_high:+.1f})"
        )

    if "event" in mine:
        a = mine["event"]
        lines.append(f"- [{_verdict(a.wall, a.high, 3)}] plain message adds <= 3 us: {span(a)}")
    for key, label in (("command", "prefix command"), ("slash", "slash command")):
        if key not in mine:
            continue
        a = mine[key]
        lines.append(f"- [{_verdict(a.wall, a.high, 25)}] {label} adds <= 25 us: {span(a)}")
        ok = "met" if a.ratio <= 1.3 else "NOT met"
        lines.append(f"- [{ok}] {label} <= 1.3x uninstrumented (medians): {a.ratio:.2f}x")
        if key in peer:
            p = peer[key]
            verdict = "met" if a.high <= p.low else _verdict(a.wall, float("inf"), p.wall)
            lines.append(
                f"- [{verdict}] {label} adds no more than"
                f" discord-ext-prometheus ({p.wall:+.1f} us, {p.low:+.1f} to {p.high:+.1f}):"
                f" {a.wall:+.1f} us ({a.low:+.1f} to {a.high:+.1f})"
            )
    duel = figures.get(HEAD_TO_HEAD, {}) if mode == "ours-full" else {}
    for key, label in (("command", "prefix command"), ("slash", "slash command")):
        if key in duel:
            d = duel[key]
            lines.append(
                f"- [{_verdict(d.wall, d.high, 0)}] {label} adds no more than"
                f" discord-ext-prometheus, head to head (ours minus the peer's, one process):"
                f" {d.wall:+.1f} us ({d.low:+.1f} to {d.high:+.1f}); CPU {d.cpu:+.1f} us"
                f" ({d.cpu_low:+.1f} to {d.cpu_high:+.1f})"
            )
    if "many" in mine and "command" in mine:
        many, one = mine["many"], mine["command"]
        growth = many.wall - one.wall
        lines.append(
            f"- [{'met' if growth <= 5 else 'NOT met'}] flat in distinct names (medians within"
            f" 5 us): {c.MANY_COMMANDS} names {span(many)}, 1 name {span(one)}"
            f" ({growth:+.1f} us)"
        )
    return lines


def compare(modes: Sequence[str], loads: Sequence[str], pairs: int) -> str:
    server = c.real_discord()
    env = c.webhook_env(server)
    figures: dict[str, dict[str, Added]] = {}
    lines = [
        f"{pairs} ABBA pairs per load, each contender in its own process, hooks switched on"
        " and off between blocks; added = median of the pairs' differences (95 % interval);"
        " CPU = the whole process (all threads)",
        f"({CONTENDERS[HEAD_TO_HEAD]}: 'off' is the peer's hooks alone, 'added' ours minus"
        " the peer's)",
    ]
    missing: list[str] = []
    for mode in modes:
        result = c.run_worker(
            SCRIPT,
            ["--worker", mode, "--pairs", str(pairs), "--loads", ",".join(loads)],
            env=env,
            timeout=1800,
        )
        print(f"  {CONTENDERS[mode]} done", file=sys.stderr)
        if "error" in result:
            lines.append(f"error in {mode}: {result['error']}")
            continue
        figures[mode] = {key: added(value) for key, value in result.items()}
        missing += [f"{mode} {key}" for key, value in result.items() if not value["ok"]]
    for load in b1.LOADS:
        rows = [
            [
                CONTENDERS[mode],
                f"{a.off:.1f}",
                f"{a.ratio:.2f}x",
                f"{a.wall:+.1f}",
                f"{a.low:+.1f} to {a.high:+.1f}",
                f"{a.cpu:+.1f}",
                f"{a.cpu_low:+.1f} to {a.cpu_high:+.1f}",
            ]
            for mode in modes
            if (a := figures.get(mode, {}).get(load.key)) is not None
        ]
        if rows:
            headers = [
                "contender",
                "off us",
                "ratio",
                "added us",
                "95 % interval",
                "added CPU us",
                "95 % interval",
            ]
            lines += ["", f"{load.title}, per item:", "", c.table(headers, rows)]
    for mode in ("ours-noop", "ours-full"):
        if mode in figures or (mode == "ours-full" and HEAD_TO_HEAD in figures):
            lines += ["", *_targets(figures, mode)]
    lines += [f"pong missing: {item}" for item in missing]
    lines += [
        "",
        f"local Discord (ours-full): {len(server.messages())} messages accepted,"
        f" {len(server.violations)} protocol violations",
    ]
    server.stop()
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 pairs")
    parser.add_argument("--pairs", type=int, default=41, help="on/off pairs per load")
    keys = [load.key for load in b1.LOADS]
    parser.add_argument("--loads", default=",".join(keys), help=f"subset of {','.join(keys)}")
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help=f"subset of {','.join(CONTENDERS)}"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    loads = c.subset(args.loads, keys, "--loads")
    if args.worker:
        worker(args.worker, loads, args.pairs)
        return
    if args.quick:
        args.pairs = 15
    modes = c.subset(args.contenders, list(CONTENDERS), "--contenders")
    if not c.installed("discord-ext-prometheus"):
        for peer in ("prometheus", HEAD_TO_HEAD):
            if peer in modes:
                print(f"discord-ext-prometheus is not installed: {peer} skipped\n")
                modes.remove(peer)
    c.print_header("Benchmark 1b: hooks on and off in one process", sys.argv)
    print(compare(modes, loads, args.pairs))


if __name__ == "__main__":
    main()
