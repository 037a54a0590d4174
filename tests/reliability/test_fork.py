"""A process that forks after ``configure()``: the child reports its own, never the parent's.

``os.fork()`` gives the child a copy of the pipeline without its threads, with the
parent's queued items and with any lock another thread held at that moment held for
ever. These tests fork a real configured process posting to the strict local Discord:
each error must arrive exactly once (the parent's from the parent, the child's from the
child), and a child forked while another thread held the pipeline's locks still
delivers (an alarm ends a deadlocked child, and the test fails instead of hanging).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from otel_discord.testing import DiscordServer, Fault

PARENT_SPANS = 10
CHILD_SPANS = 3

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")

SCRIPT = """
import logging, os, signal, sys, threading, time
import otel_discord
from opentelemetry import trace
from opentelemetry._logs import get_logger_provider
from otel_discord.pipeline import Pipeline

telemetry = otel_discord.configure(
    service_name="forker", system_metrics=False, instrument_discord=False
)
log = logging.getLogger("forker")
tracer = trace.get_tracer("forker")
for index in range(PARENT_SPANS):
    tracer.start_span("parent-span").end()
    if index == PARENT_SPANS // 2 and not FORK_FIRST:  # half counted, half still buffered
        trace.get_tracer_provider().force_flush()
if not FORK_FIRST:
    log.error("parent error before the fork")
    get_logger_provider().force_flush()  # into the pipeline's outbox (the first post is slow)
pipeline = next(iter(Pipeline._registry.values()))
assert pipeline.started is not FORK_FIRST
if HOLD_LOCKS:
    held = threading.Event()

    def hold() -> None:
        with pipeline._lock, pipeline.engine._core.cond:
            held.set()
            time.sleep(2.0)

    threading.Thread(target=hold, daemon=True).start()
    held.wait()
pid = os.fork()
if pid == 0:
    signal.alarm(20)  # a deadlocked child dies instead of hanging the test
    logging.getLogger("forker").error("child error after the fork")
    for _ in range(CHILD_SPANS):
        tracer.start_span("child-span").end()
    ok = telemetry.shutdown()
    os._exit(0 if ok else 4)  # as multiprocessing's children end: no atexit
_, status = os.waitpid(pid, 0)
if FORK_FIRST:  # forked before the pipeline started: the parent starts it only now
    log.error("parent error before the fork")
sys.exit(os.waitstatus_to_exitcode(status) or 0)  # atexit flushes the parent
"""


def _run(
    server: DiscordServer, *, hold_locks: bool, fork_first: bool
) -> subprocess.CompletedProcess[str]:
    url = server.create_webhook("fork")
    server.slow_seconds = 1.0
    server.inject(Fault.SLOW, count=1, webhook_url=url)  # keeps the parent's error queued
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_DISCORD_WEBHOOK_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    names = {
        "HOLD_LOCKS": hold_locks,
        "FORK_FIRST": fork_first,
        "PARENT_SPANS": PARENT_SPANS,
        "CHILD_SPANS": CHILD_SPANS,
    }
    script = "".join(f"{k} = {v!r}\n" for k, v in names.items()) + textwrap.dedent(SCRIPT)
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _spans_counted(server: DiscordServer, name: str) -> int:
    """The spans named ``name`` over every analytics summary's span table."""
    total = 0
    for embed in server.embeds("fork"):
        for field in embed.get("fields") or []:
            if field.get("name") == "Spans":
                for row in str(field.get("value", "")).splitlines():
                    cells = row.split()
                    if cells and cells[0] == name:
                        total += int(cells[1])
    return total


def _count(server: DiscordServer, text: str) -> int:
    return sum(text in json.dumps(embed) for embed in server.embeds("fork"))


@pytest.mark.parametrize(
    ("hold_locks", "fork_first"),
    [(False, False), (True, False), (False, True)],
    ids=["plain", "locks-held", "fork-before-start"],
)
def test_child_and_parent_each_deliver_their_own_once(hold_locks: bool, fork_first: bool) -> None:
    with DiscordServer() as server:
        run = _run(server, hold_locks=hold_locks, fork_first=fork_first)
        assert run.returncode == 0, run.stderr  # 14 (SIGALRM) if the child deadlocked
        assert _count(server, "parent error before the fork") == 1
        assert _count(server, "child error after the fork") == 1
        # The parent's buffered spans are counted by the parent alone, the child's by the child.
        assert _spans_counted(server, "parent-span") == PARENT_SPANS
        assert _spans_counted(server, "child-span") == CHILD_SPANS
        assert [] == server.internal_errors
