"""Benchmark 4: what the whole monitoring stack costs an idle bot, in CPU and memory.

Three bot processes run side by side for the same N minutes: a real discord.py bot,
logged in offline (one guild, a ``FakeGateway`` so it looks connected), once
uninstrumented and once under ``otel_discord.configure()`` with its defaults
(system metrics, discord.py instrumentation, logging bridge, performance and
health embeds with their charts) posting to the strict local Discord in the parent,
and a third time with charts off. After a short warm-up the parent samples each
process with psutil: CPU time over the window (as % of one core) and RSS (mean and
peak); the differences are what the stack, and its charts, add.

Usage::

    python benchmarks/bench_steady_state.py               # 5 minutes
    python benchmarks/bench_steady_state.py --quick       # 1 minute
    python benchmarks/bench_steady_state.py --minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

import _common as c

SCRIPT = __file__
MODES = {
    "none": "uninstrumented bot",
    "ours": "bot + otel-discord configure()",
    "nocharts": "the same, OTEL_EXPORTER_DISCORD_CHARTS=false",
}


# ----- in the bot process -----


async def _idle(mode: str, seconds: float) -> None:
    telemetry = None
    if mode in ("ours", "nocharts"):
        import os

        import otel_discord

        if mode == "nocharts":
            os.environ["OTEL_EXPORTER_DISCORD_CHARTS"] = "false"

        telemetry = otel_discord.configure(service_name="bench-idle-bot")
    bot = c.make_bench_bot()
    await c.log_in(bot, gateway=True)
    loaded = sorted({name.split(".")[0] for name in sys.modules} & {"opentelemetry", "httpx"})
    print("READY " + ",".join(loaded), flush=True)
    await asyncio.sleep(seconds)
    await bot.close()
    if telemetry is not None:
        telemetry.shutdown()


def worker(mode: str, seconds: float) -> None:
    if mode == "none":
        c.without_package_init()  # the plain bot carries no OpenTelemetry at all
    c.quiet_discord_logging()
    c.run(lambda: _idle(mode, seconds))


# ----- in the parent -----


def _sample(processes: dict[str, Any], seconds: float, every: float) -> dict[str, dict[str, Any]]:
    """CPU seconds used over the window and RSS samples of each process."""
    start_cpu = {m: sum(p.cpu_times()[:2]) for m, p in processes.items()}
    rss: dict[str, list[int]] = {m: [] for m in processes}
    started = time.monotonic()
    while True:
        for mode, process in processes.items():
            rss[mode].append(process.memory_info().rss)
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            break
        time.sleep(min(every, left))
    wall = time.monotonic() - started
    return {
        m: {"cpu_s": sum(p.cpu_times()[:2]) - start_cpu[m], "wall_s": wall, "rss": rss[m]}
        for m, p in processes.items()
    }


def compare(minutes: float, warmup: float) -> str:
    import psutil

    server = c.real_discord()
    env = c.webhook_env(server)
    seconds = minutes * 60
    procs = {
        mode: c.spawn_worker(
            SCRIPT, ["--worker", mode, "--minutes", str(minutes + (warmup + 60) / 60)], env=env
        )
        for mode in MODES
    }
    for proc in procs.values():
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            proc.kill()
            return "a bot process failed to start: " + (proc.stderr.read() if proc.stderr else "")
    time.sleep(warmup)
    before = len(server.messages())
    samples = _sample({m: psutil.Process(p.pid) for m, p in procs.items()}, seconds, 2.0)
    posted = len(server.messages()) - before
    for proc in procs.values():
        proc.terminate()
        proc.wait(timeout=30)
    violations = server.violations
    server.stop()
    rows = []
    figures: dict[str, tuple[float, float, float]] = {}
    for mode, label in MODES.items():
        s = samples[mode]
        cpu = 100 * s["cpu_s"] / s["wall_s"]
        mean_rss = sum(s["rss"]) / len(s["rss"]) / 2**20
        peak_rss = max(s["rss"]) / 2**20
        figures[mode] = (cpu, mean_rss, peak_rss)
        rows.append([label, f"{cpu:.2f}", f"{mean_rss:.1f}", f"{peak_rss:.1f}"])
    added = [a - b for a, b in zip(figures["ours"], figures["none"], strict=True)]
    rows.append(["added by the stack", f"{added[0]:+.2f}", f"{added[1]:+.1f}", f"{added[2]:+.1f}"])
    charts = [a - b for a, b in zip(figures["ours"], figures["nocharts"], strict=True)]
    rows.append(["of which charts", f"{charts[0]:+.2f}", f"{charts[1]:+.1f}", f"{charts[2]:+.1f}"])
    return "\n".join(
        [
            f"idle offline bots side by side for {minutes:g} min after a {warmup:g} s warm-up;"
            " psutil samples every 2 s",
            "",
            c.table(["process", "CPU % of one core", "RSS mean MiB", "RSS peak MiB"], rows),
            "",
            f"messages the instrumented bot posted in the window: {posted};"
            f" protocol violations: {len(violations)}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 minute")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the window")
    parser.add_argument("--warmup", type=float, default=5.0, help="s before the window opens")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes = 1.0
    if args.worker:
        worker(args.worker, args.minutes * 60)
        return
    c.print_header("Benchmark 4: steady state of an idle bot", sys.argv)
    print(compare(args.minutes, args.warmup))


if __name__ == "__main__":
    main()
