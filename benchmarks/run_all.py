"""Run the benchmarks and the hot-path profile in turn (``--quick`` unless ``--full``).

The peers compared live in a separate environment, ``.bench-venv`` at the top of
the checkout (see ``benchmarks/requirements.txt``): when it exists the benchmarks
run with its interpreter, else with this one, and peers that are missing are
listed as skipped in the tables.

Usage::

    python benchmarks/run_all.py            # about 3 minutes
    python benchmarks/run_all.py --full     # about 12 minutes
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_VENV_PYTHON = HERE.parent / ".bench-venv" / "bin" / "python"
SCRIPTS = (
    "bench_event_overhead.py",
    "bench_hooks_on_off.py",
    "bench_logging_caller_cost.py",
    "bench_storm_delivery.py",
    "bench_steady_state.py",
    "bench_gateway_ingest.py",
    "bench_hostile_input.py",
    "bench_repeat_hold.py",
    "bench_charts.py",
    "bench_status_message.py",
    "bench_histogram_record.py",
    "profile_hot_path.py",
    "bench_command_span.py",
    "bench_span_worker_wakeups.py",
)


def interpreter() -> str:
    """The benchmark environment's Python when there is one, else this one."""
    return str(BENCH_VENV_PYTHON) if BENCH_VENV_PYTHON.exists() else sys.executable


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="default lengths, not --quick")
    args = parser.parse_args(argv)
    python = interpreter()
    if python == sys.executable and not BENCH_VENV_PYTHON.exists():
        print(f"note: {BENCH_VENV_PYTHON} not found; peers not installed here are skipped\n")
    failed = []
    for script in SCRIPTS:
        command = [python, str(HERE / script), *([] if args.full else ["--quick"])]
        started = time.monotonic()
        done = subprocess.run(command, cwd=HERE.parent, check=False)
        print(f"\n({script}: {time.monotonic() - started:.0f} s)\n", flush=True)
        if done.returncode:
            failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
