"""Where the instrumentation's cost per command and per message goes (a profile, not a race).

Wall-clock figures on a shared machine move by tens of percent between runs, so this
script measures two things that don't depend on the load:

- Python function calls per item (``cProfile``'s count), for the uninstrumented bot
  and for the instrumentor with parts of it switched off;
- CPU instructions per item under ``valgrind --tool=cachegrind`` (with ``--valgrind``,
  when valgrind is installed): each variant runs twice, with 0 and with N items, and
  the difference divided by N is the cost of one item, start-up excluded.

Loads: ``event`` a plain message, ``command`` a ``!ping``, ``slash`` a ``/ping``,
``many`` prefix commands round-robin over 1,000 names (whether a cost grows with them),
``guilds`` a ``!ping`` round-robin from 1,000 guilds (the same for guilds; compare with
``command``).

Variants (the instrumentor on no-op exporters, as in benchmark 1):
``none`` uninstrumented; ``ours`` the instrumentor; ``ours-full`` what a user of
``otel_discord.configure()`` runs: its providers, processors and Discord exporters
(posting to a strict local Discord in this script's process), so the exporters'
intake of every span counts too; ``ours-sdkhist`` with the SDK's
own ``Histogram.record`` for the duration instead of the ``HistogramTally``;
``ours-nospan`` with a no-op tracer; ``ours-nohist`` with a no-op duration histogram;
``ours-bare`` with neither (what is left is otel-discord's own code and the context
attach/detach); ``ours-discord`` with configure()'s span path (``DiscordSpanProcessor``
and the real Discord span exporter, posting to a local Discord this process runs) and
``ours-discord-batch`` with the SDK's ``BatchSpanProcessor`` in its place.
Peers, set up as in benchmark 1 when installed: ``prometheus``
(discord-ext-prometheus, the cheapest metrics-only peer there) and ``argus``
(argus-dpy). Every run ends with one metric collection (``force_flush``), so work
deferred to collection time (the tally's replay) is counted per item too.

``--cache`` also simulates the caches (``--cache-sim=yes``, about 3x slower) and adds
L1 instruction and data misses and L2 data misses per item (cachegrind's last level
simulated with this machine's L2 geometry): an item that runs more distinct code and
touches more objects costs more wall time than its instruction count says. Every
measurement starts after a full garbage collection (``_common.time_feed_cpu``), so
with 2,000 items each run holds the same collections; the cyclic collector's share
is part of every figure (about 40k instructions and 650-950 L2 misses per command on
the bench bot, most of them discord.py's own garbage).

Usage::

    python benchmarks/profile_hot_path.py                 # call counts, ~20 s
    python benchmarks/profile_hot_path.py --valgrind      # + instructions, ~10 min
    python benchmarks/profile_hot_path.py --valgrind --loads command \
        --variants none,ours,ours-sdkhist,ours-nohist      # only some rows (a quicker check)
    python benchmarks/profile_hot_path.py --valgrind --cache --variants none,ours,prometheus
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import _common as c

SCRIPT = __file__
PEERS = ("prometheus", "argus")
DISCORD = ("ours-discord", "ours-discord-batch")
"""configure()'s span path alone: the real Discord span exporter (posting to a local Discord
this process runs) behind ``DiscordSpanProcessor``, or behind the SDK's ``BatchSpanProcessor``."""
VARIANTS = (
    "none",
    "ours",
    "ours-full",
    "ours-sdkhist",
    "ours-nospan",
    "ours-nohist",
    "ours-bare",
    *DISCORD,
    *PEERS,
)
LOADS = ("event", "command", "slash", "many", "guilds")
"""``many``: prefix commands round-robin over ``MANY_COMMANDS`` names (``!c0`` ...);
``guilds``: ``!ping`` round-robin from ``MANY_GUILDS`` guilds."""


def _instrument(variant: str) -> tuple[Any, Any]:
    """What undoes the setup (None for ``none``) and its meter provider."""
    if variant == "none":
        return None, None
    if variant == "ours-full":
        import otel_discord

        telemetry = otel_discord.configure(service_name="bench-bot", system_metrics=False)
        return _Shutdown(telemetry), telemetry.meter_provider
    from opentelemetry import metrics, trace

    from otel_discord.instrumentation import DiscordInstrumentor, _state

    instrumentor = DiscordInstrumentor()
    if variant in DISCORD:
        import bench_span_worker_wakeups

        if variant == "ours-discord-batch":
            os.environ["BENCH_SPAN_PROCESSOR"] = "batch"
        providers = bench_span_worker_wakeups.discord_span_providers()
    else:
        providers = c.noop_providers()
    instrumentor.instrument(**providers)
    telemetry = _state.current
    assert telemetry is not None
    noop = metrics.NoOpMeter("off")
    if variant in ("ours-nospan", "ours-bare"):
        telemetry.tracer = trace.NoOpTracer()
    if variant in ("ours-nohist", "ours-bare"):
        telemetry.command_duration = noop.create_histogram("off")
    if variant == "ours-sdkhist":
        from otel_discord.instrumentation._histogram_tally import HistogramTally

        tally = telemetry.command_duration
        assert isinstance(tally, HistogramTally)
        telemetry.command_duration = tally._histogram
    return instrumentor, providers["meter_provider"]


class _Shutdown:
    """``configure()``'s telemetry behind the instrumentor's ``uninstrument`` name."""

    def __init__(self, telemetry: Any) -> None:
        self.telemetry = telemetry

    def uninstrument(self) -> None:
        self.telemetry.shutdown()


async def _run(variant: str, load: str, count: int, profile: bool) -> float:
    instrumentor, meter_provider = (None, None) if variant in PEERS else _instrument(variant)
    bot = c.make_bench_bot(c.MANY_COMMANDS if load == "many" else 0)
    if variant in PEERS:
        import bench_event_overhead

        await bench_event_overhead._attach_peer(variant, bot)
    bench = await c.log_in(bot, guilds=c.MANY_GUILDS if load == "guilds" else 0)
    if load in ("many", "guilds"):
        payloads = list(bench.many if load == "many" else bench.guilds)
    else:
        payloads = [{"event": bench.plain, "command": bench.command, "slash": bench.slash}[load]]
    event = "INTERACTION_CREATE" if load == "slash" else "MESSAGE_CREATE"
    await c.time_feed_cpu(bot, payloads, max(300, len(payloads)), event=event)  # warm-up
    calls = 0.0
    if count:
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        await c.time_feed_cpu(bot, payloads, count, event=event, chunk=count)
        if profiler is not None:
            profiler.disable()
            calls = pstats.Stats(profiler).total_calls / count  # type: ignore[attr-defined]
    if meter_provider is not None:
        meter_provider.force_flush()  # one collection, as an exporter's would
    if instrumentor is not None:
        instrumentor.uninstrument()
    await bot.close()
    return calls


def worker(variant: str, load: str, count: int, profile: bool) -> None:
    c.quiet_discord_logging()
    calls = c.run(lambda: _run(variant, load, count, profile))
    c.emit_result({"calls": calls})


def _instructions(variant: str, load: str, count: int, cache: bool = False) -> dict[str, int]:
    """Counters of one worker run under cachegrind (L1 misses too with ``cache``)."""
    args = [SCRIPT, "--worker", variant, "--load", load, "--count", str(count), "--no-profile"]
    return c.cachegrind(args, cache=cache)


_PEER_DIST = {"prometheus": "discord-ext-prometheus", "argus": "argus-dpy"}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--valgrind", action="store_true", help="also count instructions")
    parser.add_argument("--cache", action="store_true", help="with --valgrind: L1 misses too")
    parser.add_argument("--count", type=int, default=2000, help="items per measurement")
    parser.add_argument("--quick", action="store_true", help="500 items per measurement")
    parser.add_argument(
        "--loads", default=",".join(LOADS), help=f"comma-separated subset of {','.join(LOADS)}"
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {','.join(VARIANTS)} (the first is the baseline)",
    )
    parser.add_argument("--load", choices=LOADS, help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--no-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = 500
    if args.worker:
        worker(args.worker, args.load, args.count, not args.no_profile)
        return
    c.print_header("Profile of the hot path: calls and instructions per item", sys.argv)
    use_valgrind = args.valgrind and shutil.which("valgrind") is not None
    if args.valgrind and not use_valgrind:
        print("valgrind is not installed: instruction counts skipped\n")
    loads = c.subset(args.loads, LOADS, "--loads")
    variants = c.subset(args.variants, VARIANTS, "--variants")
    missing = [v for v in variants if v in PEERS and not c.installed(_PEER_DIST[v])]
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}\n")
        variants = [v for v in variants if v not in missing]
    counters = list(c.CACHEGRIND_COUNTERS) if args.cache else ["instructions"]
    server = None
    if any(v in ("ours-full", *DISCORD) for v in variants):  # workers inherit the variables
        server = c.real_discord()
        os.environ.update(c.webhook_env(server))
    rows = []
    for load in loads:
        base_calls = None
        base: dict[str, float] = {}
        for variant in variants:
            result = c.run_worker(
                SCRIPT,
                ["--worker", variant, "--load", load, "--count", str(args.count)],
                timeout=600,
            )
            calls = result.get("calls", float("nan"))
            base_calls = calls if base_calls is None else base_calls
            row = [load, variant, f"{calls:.0f}", f"{calls - base_calls:+.0f}"]
            if use_valgrind:
                empty = _instructions(variant, load, 0, args.cache)
                full = _instructions(variant, load, args.count, args.cache)
                for counter in counters:
                    per_item = (full[counter] - empty[counter]) / args.count
                    base.setdefault(counter, per_item)
                    added = per_item - base[counter]
                    row += [f"{per_item / 1000:.2f}k", f"{added / 1000:+.2f}k"]
            rows.append(row)
            print(f"  {load} {variant} done", file=sys.stderr)
    headers = ["load", "variant", "calls/item", "added"]
    if use_valgrind:
        for counter in counters:
            headers += [f"{counter}/item", "added"]
    print(c.table(headers, rows))
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
