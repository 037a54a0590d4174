"""A real process with a storm of errors queued, ending every way a process ends.

``worker_app.py`` uses ``otel_discord.configure()`` and nothing else. Every run posts to
its own webhook on one strict local Discord whose first answers are slow, so the queue is
full when the end comes; all runs go at once to keep the file quick.

What the package does, and what these tests pin down:

- normal exit and ``sys.exit``: ``atexit`` drains the SDK's queues into us and delivers
  everything (held repeats included) within the 5 s exit deadline;
- Discord unreachable: the process still exits within the deadline, and says what was lost;
- SIGTERM: Python's default disposition ends the process at once, without ``atexit`` (the
  OpenTelemetry SDK installs no signal handler either, and neither do we: a library must
  not take over a signal the app or its framework may own). An app that wants the flush
  turns SIGTERM into ``SystemExit`` with one line, and then gets it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from otel_discord.testing import DiscordServer, Fault
from tests.support import occurrences

from .stack import is_drop_notice
from .worker_app import KINDS, REPEATS

APP = Path(__file__).with_name("worker_app.py")
TOTAL = len(KINDS) * REPEATS
EXIT_BOUND_S = 30.0
"""Far above the 5 s exit deadline plus interpreter start, far below a hang."""
SIGNAL_BOUND_S = 5.0
MODES = ("return", "exit", "down", "sigterm", "sigterm-exit", "sigterm-opt-in")


@dataclass
class Run:
    """One finished process and what reached its channel."""

    url: str
    returncode: int
    stdout: str
    stderr: str
    delivered: int
    status: list[str]
    """The state the status message was left in (one entry per status message)."""


def _environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_DISCORD_WEBHOOK_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONFAULTHANDLER"] = "1"  # a hung worker's threads are dumped when it is aborted
    return env


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    """Start every mode at once, signal the ones waiting for SIGTERM, collect results."""
    # Six processes share this server's one global bucket, which Discord keeps per client:
    # a process cannot know of a global 429 another one received, so it gets room here.
    with (
        DiscordServer(webhook_limit=(50, 1.0), global_limit=(500, 1.0)) as srv,
        DiscordServer() as dead,
    ):
        srv.slow_seconds = 0.3
        urls = {mode: srv.create_webhook(mode) for mode in MODES if mode != "down"}
        urls["down"] = dead.create_webhook("down")
        dead.down()  # connection refused from the start
        for mode, url in urls.items():
            if mode != "down":
                srv.inject(Fault.SLOW, count=3, webhook_url=url)
        procs = {
            mode: subprocess.Popen(
                [sys.executable, str(APP), mode],
                env=_environment(url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mode, url in urls.items()
        }
        try:
            for mode in ("sigterm", "sigterm-exit", "sigterm-opt-in"):
                proc = procs[mode]
                assert proc.stdout is not None
                assert "ready" == proc.stdout.readline().strip()
                proc.send_signal(signal.SIGTERM)
            results = {}
            for mode, proc in procs.items():
                bound = SIGNAL_BOUND_S + 5 if mode.startswith("sigterm") else EXIT_BOUND_S
                try:
                    stdout, stderr = proc.communicate(timeout=bound)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
                    _, stderr = proc.communicate(timeout=10)
                    pytest.fail(f"{mode} did not exit within {bound} s:\n{stderr[-6000:]}")
                errors = [e for e in srv.embeds(mode) if not is_drop_notice(e)]
                delivered = sum(occurrences(e) for e in errors if "refused the job" in str(e))
                status = [
                    e["title"].rsplit(" · ", 1)[-1]
                    for e in srv.embeds(mode)
                    if str(e.get("footer", {}).get("text", "")).endswith("edited in place")
                ]
                results[mode] = Run(urls[mode], proc.returncode, stdout, stderr, delivered, status)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert [] == srv.violations
        assert [] == srv.internal_errors
        yield results


class TestExit:
    """Ending normally or by ``sys.exit`` delivers every queued error within the deadline."""

    @pytest.mark.parametrize(("mode", "code"), [("return", 0), ("exit", 3)])
    def test_everything_delivered(self, runs: dict[str, Run], mode: str, code: int) -> None:
        run = runs[mode]
        assert code == run.returncode, run.stderr[-2000:]
        assert TOTAL == run.delivered
        assert "could not be delivered" not in run.stderr
        assert ["Stopped"] == run.status  # one status message, edited to Stopped at exit

    def test_unreachable_discord_still_exits(self, runs: dict[str, Run]) -> None:
        run = runs["down"]
        assert 0 == run.returncode, run.stderr[-2000:]
        assert "could not be delivered in time" in run.stderr


class TestSigterm:
    """SIGTERM ends the process promptly; with the one-line recipe it flushes first."""

    def test_default_disposition_exits_at_once_without_flush(self, runs: dict[str, Run]) -> None:
        run = runs["sigterm"]
        assert -signal.SIGTERM == run.returncode
        # Repeats are held for merging when SIGTERM lands; only atexit would have sent them.
        assert run.delivered < TOTAL
        # Killed, not stopped: a status message (if it was out yet) keeps its last state
        # and visibly ages; it never says Stopped.
        assert "Stopped" not in run.status

    @pytest.mark.parametrize("mode", ["sigterm-exit", "sigterm-opt-in"])
    def test_systemexit_flushes(self, runs: dict[str, Run], mode: str) -> None:
        """The one-line recipe, or OTEL_EXPORTER_DISCORD_FLUSH_ON_SIGTERM=true, flushes."""
        run = runs[mode]
        assert 128 + signal.SIGTERM == run.returncode, run.stderr[-2000:]
        assert TOTAL == run.delivered
        assert ["Stopped"] == run.status


def test_no_token_in_output(runs: dict[str, Run]) -> None:
    for run in runs.values():
        token = run.url.rsplit("/", 1)[-1]
        assert token not in run.stdout + run.stderr
