"""A single background thread that runs periodic jobs (summaries, snapshots, monitors).

One thread for every job keeps the package's footprint flat however many
schedules there are; a job that fails is logged and runs again next time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_logger = logging.getLogger("otel_discord.scheduler")


@dataclass
class _Job:
    name: str
    interval_s: float
    run: Callable[[], None]
    due: float


class Scheduler:
    """Runs each job every ``interval_s`` seconds on one daemon thread."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, tick_s: float = 1.0) -> None:
        self._clock = clock
        self._tick_s = tick_s
        self._jobs: list[_Job] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def after_fork_in_child(self) -> None:
        """The thread is the parent's: new lock and events, ``start`` starts one again.

        Jobs keep their due times (a copy of the parent's).
        """
        self._lock = threading.Lock()
        self._wake = threading.Event()
        stopped = self._stopped.is_set()
        self._stopped = threading.Event()
        if stopped:
            self._stopped.set()
        self._thread = None

    def every(self, name: str, interval_s: float, run: Callable[[], None]) -> None:
        """Add a job; its first run is one interval from now."""
        with self._lock:
            self._jobs.append(_Job(name, interval_s, run, self._clock() + interval_s))
        self._wake.set()

    def start(self) -> None:
        """Start the thread (idempotent)."""
        with self._lock:
            if self._thread is not None or self._stopped.is_set():
                return
            self._thread = threading.Thread(
                target=self._loop, name="otel-discord-scheduler", daemon=True
            )
            self._thread.start()

    def run_now(self, name: str) -> bool:
        """Run one job at once on the caller's thread (flush paths and tests)."""
        with self._lock:
            jobs = [job for job in self._jobs if job.name == name]
        for job in jobs:
            self._run(job)
        return bool(jobs)

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop the thread; a running job finishes first."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            now = self._clock()
            with self._lock:
                due = [job for job in self._jobs if job.due <= now]
                for job in due:
                    job.due = now + job.interval_s
                next_due = min((job.due for job in self._jobs), default=now + self._tick_s)
            for job in due:
                self._run(job)
            self._wake.wait(max(0.01, min(self._tick_s, next_due - self._clock())))
            self._wake.clear()

    @staticmethod
    def _run(job: _Job) -> None:
        try:
            job.run()
        except Exception:
            _logger.exception("otel-discord job %r failed; it will run again", job.name)
