"""The repeat hold's memory with every kind held at once: bounded in bytes against kinds only.

1,000 error kinds (the hold's ``MAX_KINDS``) each sent once and then repeated, so every
kind has a held group whose sample is as large as intake lets it be (message and
exception message 4,096 characters, a 16 KiB stack trace, 64 attributes of 1 KiB).
Side by side in one run: the default byte budget (``MAX_HELD_BYTES``) and no byte
budget (the hold before, bounded by its kind count only). "live" is what tracemalloc
counts as still allocated after the flood, with the inputs released; "estimate" is the
hold's own ``held_bytes``.

Usage::

    python benchmarks/bench_repeat_hold.py [--kinds N] [--quick]   # ~30 s; --quick: 300 kinds
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_header, table

MIB = 1024 * 1024


def _occurrence(n: int) -> Any:
    from otel_discord.records import Occurrence

    tag = f"{n:06d}"
    return Occurrence(
        time_ns=n,
        severity_number=17,
        severity_text="ERROR",
        source=f"bench.kind{tag}",
        message=f"kind {tag} " + "m" * 5000,
        service="bench",
        exc_type=f"Error{tag}",
        exc_message=f"kind {tag} " + "e" * 5000,
        stacktrace=f"Traceback {tag}\n" + "  frame\n" * 3000,
        context={f"attr.{i}": f"{tag}{i:03d}" + "v" * 1100 for i in range(80)},
    )


def probe(kinds: int, max_bytes: int) -> dict[str, Any]:
    """Offer each kind twice (sent, then held); what is still allocated, and the estimate."""
    from otel_discord import Channel
    from otel_discord.delivery.grouped import ErrorGroup
    from otel_discord.fingerprint import error_kind
    from otel_discord.state.repeat_hold import RepeatHold

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    hold: RepeatHold[ErrorGroup] = RepeatHold(3600.0, max_bytes=max_bytes)
    for n in range(kinds):
        for _ in range(2):
            occurrence = _occurrence(n)
            hold.offer(Channel.LOGS, error_kind(occurrence), ErrorGroup(occurrence))
    del occurrence
    gc.collect()
    live = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    dropped = sum(hold.take_dropped().values())
    estimate = hold.held_bytes
    held = len(hold.release(everything=True))
    return {
        "live_mib": live / MIB,
        "estimate_mib": estimate / MIB,
        "held": held,
        "dropped": dropped,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="300 kinds")
    args = parser.parse_args(argv)
    kinds = 300 if args.quick else args.kinds
    from otel_discord.state.repeat_hold import MAX_HELD_BYTES

    print_header(
        "Repeat hold: every kind held at once",
        [__file__, *(argv or sys.argv[1:])],
        ["otel-discord"],
    )
    rows = []
    for label, budget in (
        (f"MAX_HELD_BYTES ({MAX_HELD_BYTES // MIB} MiB)", MAX_HELD_BYTES),
        ("kinds only (no byte budget)", sys.maxsize),
    ):
        r = probe(kinds, budget)
        rows.append(
            [
                label,
                f"{r['live_mib']:.1f} MiB",
                f"{r['estimate_mib']:.1f} MiB",
                f"{r['held']:,}",
                f"{r['dropped']:,}",
            ]
        )
    print(
        table(
            ["hold", "live after flood", "estimate", "groups held", "repeats dropped"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
