"""Chart library benchmark: Pillow's ImageDraw against matplotlib's Agg, side by side.

Both draw the same two charts (the performance chart: 3 panels of an hour at 15 s;
the system chart: an 8-core heatmap and two rate panels) from the same
``otel_discord.render.charts`` data, 800 px wide, into PNG bytes in memory. Each library
runs in a fresh subprocess and reports:

- import: CPU and wall time of importing the library, and the RSS it adds;
- first chart: CPU of the first chart (fonts are loaded lazily);
- per chart: the median CPU time of ``--rounds`` charts of each kind;
- RSS added: resident memory after all charts minus before the import, and peak;
- files written: files opened for writing while importing and drawing (an audit hook),
  which must be 0 for the package (nothing on disk).

matplotlib runs twice: with an empty ``MPLCONFIGDIR`` (a first start: it builds its
font cache on disk) and again with that cache in place.

Usage::

    python benchmarks/bench_charts.py               # about 1 minute
    python benchmarks/bench_charts.py --quick       # 5 charts each, about 20 s

matplotlib is a peer here, not a dependency: it is in ``benchmarks/requirements.txt``
(the benchmark environment); without it its rows say "skipped".
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_result, print_header, table

RESULT = "BENCH-RESULT "
END_S = 1_764_680_400.0


def _rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def charts() -> tuple[Any, Any]:
    """The performance and system charts of a synthetic hour (15 s exports, 8 cores)."""
    from otel_discord.render.charts.build import Thresholds, performance_chart, system_chart, wants
    from otel_discord.state.history import Reading
    from otel_discord.state.timeline import Timeline

    timeline = Timeline(wants)
    rnd = random.Random(7)
    for i in range(241):
        at_ns = int((END_S - 3600 + 15 * i) * 1e9)
        cpu = 30 + 20 * math.sin(i / 20) + rnd.random() * 10
        values = {
            "system.cpu.percent": cpu,
            "process.cpu.percent": cpu * 0.6,
            "system.memory.percent": 60 + i * 0.05,
            "discord.latency_ms": 40 + rnd.random() * 30,
            "discord.events_per_min": 900 + 300 * math.sin(i / 15),
            "system.disk.read_bps": rnd.random() * 2e6,
            "system.disk.write_bps": rnd.random() * 5e6,
            "system.network.rx_bps": 3e5 + rnd.random() * 1e5,
            "system.network.tx_bps": 1e5 + rnd.random() * 5e4,
        }
        for core in range(8):
            values[f"system.cpu.core.{core}.percent"] = min(100.0, cpu + rnd.uniform(-20, 20))
        timeline.record({k: Reading(k, k, "", v, (v,), v, v, at_ns) for k, v in values.items()})
    thresholds = Thresholds(90.0, 90.0, 1000.0)
    return (
        performance_chart(timeline, end_s=END_S, thresholds=thresholds),
        system_chart(timeline, end_s=END_S),
    )


# ----- the matplotlib contender: the same charts with Figure + Agg (no pyplot) -----


def _mpl_render(chart: Any) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from otel_discord.render.charts import theme
    from otel_discord.render.charts.spec import Heatmap

    def hexc(c: int) -> str:
        return f"#{c:06x}"

    fig = Figure(figsize=(4, 0.95 * len(chart.panels) + 0.4), dpi=200)
    fig.patch.set_facecolor(hexc(theme.BACKGROUND))
    axes = fig.subplots(len(chart.panels), 1, sharex=True)
    start, end = chart.x_range
    for ax, panel in zip(axes, chart.panels, strict=True):
        ax.set_facecolor(hexc(theme.BACKGROUND))
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(colors=hexc(theme.MUTED), labelsize=5.5, length=0)
        ax.grid(color=hexc(theme.GRID), linewidth=0.5)
        ax.set_title(
            f"{panel.title} · {panel.unit}", loc="left", color=hexc(theme.TEXT), fontsize=6
        )
        if isinstance(panel, Heatmap):
            times = [t for t, _ in panel.rows[0].points]
            grid = [[v for _, v in row.points][: len(times)] for row in panel.rows]
            ax.imshow(
                grid,
                aspect="auto",
                extent=(times[0], times[-1], len(grid), 0),
                cmap="magma",
                vmin=panel.value_range[0],
                vmax=panel.value_range[1],
                interpolation="nearest",
            )
            continue
        for series in panel.series:
            ax.plot(
                [t for t, _ in series.points],
                [v for _, v in series.points],
                color=hexc(series.colour),
                linewidth=0.8,
                label=series.label,
            )
        for threshold in panel.thresholds:
            ax.axhline(threshold.value, color=hexc(theme.ALERT), linewidth=0.6, linestyle="--")
        ax.set_ylim(*panel.y_range)
        if len(panel.series) > 1:
            ax.legend(fontsize=5, frameon=False, labelcolor=hexc(theme.MUTED), ncols=4)
    axes[-1].set_xlim(start, end)
    axes[-1].xaxis.set_major_formatter(
        FuncFormatter(lambda t, _: time.strftime("%H:%M", time.gmtime(t)))
    )
    fig.tight_layout(pad=0.4)
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor=fig.get_facecolor())
    return out.getvalue()


# ----- a worker -----


def worker(library: str, rounds: int) -> None:
    written: list[str] = []

    def audit(event: str, args: tuple[Any, ...]) -> None:
        mode = args[1] if event == "open" and len(args) > 1 else None
        if isinstance(mode, str) and any(flag in mode for flag in "wax+"):
            written.append(str(args[0]))

    perf, system = charts()
    import gc

    gc.collect()
    rss0, peak0 = _rss_mib(), _peak_mib()
    sys.addaudithook(audit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if library == "pillow":
        from PIL import Image, ImageDraw, ImageFont  # noqa: F401

        from otel_discord.render.charts.draw import render_png as render
    else:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure  # noqa: F401

        render = _mpl_render
    import_cpu, import_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss_import = _rss_mib() - rss0
    cpu0 = time.process_time()
    first = render(perf)
    first_cpu = time.process_time() - cpu0
    times: dict[str, list[float]] = {"performance": [], "system": []}
    sizes: dict[str, int] = {"performance": len(first), "system": 0}
    for _ in range(rounds):
        for name, chart in (("performance", perf), ("system", system)):
            cpu0 = time.process_time()
            png = render(chart)
            times[name].append(time.process_time() - cpu0)
            sizes[name] = len(png)
    emit_result(
        {
            "import_cpu_ms": import_cpu * 1000,
            "import_wall_ms": import_wall * 1000,
            "import_rss_mib": rss_import,
            "first_ms": first_cpu * 1000,
            "perf_ms": statistics.median(times["performance"]) * 1000,
            "system_ms": statistics.median(times["system"]) * 1000,
            "rss_added_mib": _rss_mib() - rss0,
            "peak_added_mib": _peak_mib() - peak0,
            "perf_kib": sizes["performance"] / 1024,
            "system_kib": sizes["system"] / 1024,
            "files_written": len(written),
        }
    )


def run(library: str, rounds: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", library, "--rounds", str(rounds)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line[len(RESULT) :])
            return result
    return {"error": (done.stderr.strip().splitlines() or ["no result"])[-1][:200]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 charts of each kind")
    parser.add_argument("--worker", choices=("pillow", "matplotlib"))
    args = parser.parse_args()
    if args.quick:
        args.rounds = 5
    if args.worker:
        worker(args.worker, args.rounds)
        return
    print_header(
        "Charts: Pillow ImageDraw vs matplotlib Agg",
        [Path(__file__).name, "--rounds", str(args.rounds)],
        ("otel-discord", "pillow", "matplotlib", "numpy"),
    )
    rows = []
    with tempfile.TemporaryDirectory() as mpl_config:
        contenders = (
            ("Pillow ImageDraw", "pillow", {}),
            ("matplotlib Agg, first start", "matplotlib", {"MPLCONFIGDIR": mpl_config}),
            ("matplotlib Agg, font cache on disk", "matplotlib", {"MPLCONFIGDIR": mpl_config}),
        )
        for label, library, env in contenders:
            result = run(library, args.rounds, env)
            if "error" in result:
                rows.append([label, f"skipped: {result['error']}", *[""] * 9])
                continue
            rows.append(
                [
                    label,
                    f"{result['import_cpu_ms']:.0f} ms",
                    f"{result['import_wall_ms']:.0f} ms",
                    f"{result['import_rss_mib']:.1f} MiB",
                    f"{result['first_ms']:.0f} ms",
                    f"{result['perf_ms']:.1f} ms",
                    f"{result['system_ms']:.1f} ms",
                    f"{result['rss_added_mib']:.1f} MiB",
                    f"{result['peak_added_mib']:.1f} MiB",
                    f"{result['perf_kib']:.0f} / {result['system_kib']:.0f} KiB",
                    str(result["files_written"]),
                ]
            )
    headers = [
        "library",
        "import CPU",
        "import wall",
        "import RSS",
        "first chart",
        "median perf chart",
        "median system chart",
        "RSS added",
        "peak added",
        "PNG sizes",
        "files written",
    ]
    print(table(headers, rows))
    print(f"\n({args.rounds} charts of each kind per library; CPU = process time.)")


if __name__ == "__main__":
    main()
