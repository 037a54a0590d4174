"""Alert rules and the state machine that decides when an alert is worth a message.

Pure: every evaluation is given the readings and the time, so tests replay any
history with explicit timestamps. One rule goes through four states::

    ok --breach--> pending --held for `for_s`--> firing --clear level--> clearing
     ^               |  value back within threshold              |  back above clear level:
     +---------------+                                           |  firing again, no message
     +---------- clear level held for `clear_for_s`: resolved <--+

A breach is ``value > threshold`` (or ``<`` for ``below`` rules); the clear
level sits ``hysteresis`` further away, so a value wobbling around the threshold
neither resolves nor re-fires. A firing rule repeats at most every
``repeat_s``. Spike rules (``spike_factor``) first learn ``BASELINE_MIN`` values,
then raise their threshold to a multiple of the median of recent calm values,
so a busy service's normal error rate does not page.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

NS_PER_S: Final = 1_000_000_000
BASELINE_SAMPLES: Final = 30
"""Calm values a spike rule remembers for its baseline."""
BASELINE_MIN: Final = 5
"""Calm values a spike rule must see before it may fire (it learns what normal is first)."""
NO_DATA_RESOLVE_S: Final = 600.0
"""A firing rule whose reading disappears this long is resolved ("no longer reported")."""
RECENT_SAMPLES: Final = 12
"""Values kept per rule for the sparkline in its notices."""

Direction = Literal["above", "below"]
EventKind = Literal["firing", "repeat", "resolved"]
Status = Literal["ok", "pending", "firing", "clearing"]


@dataclass(frozen=True)
class AlertRule:
    """One condition on a reading, e.g. CPU above 90 % for 3 minutes.

    Args:
        name: stable identifier (``cpu``); rules with the same name share state.
        title: what a person reads (``CPU usage``).
        reading: the reading key (``system.cpu.percent``, ``errors.per_min``...).
        threshold: the value that must be crossed.
        unit: shown after values: ``%``, ``ms``, ``/min`` or ``""``.
        direction: ``above`` fires on ``value > threshold``, ``below`` on ``value < threshold``.
        for_s: how long the breach must hold before the alert fires (0: at once).
        hysteresis: how far back past the threshold the value must go to clear.
        clear_for_s: how long the value must stay clear before the alert resolves.
        repeat_s: re-send a still-firing alert at most this often (None: the configured default).
        spike_factor: if set, the threshold rises to ``spike_factor`` x the median of recent
            calm values (``threshold`` stays the floor).
        hint: one line on what to check, shown in the alert.
    """

    name: str
    title: str
    reading: str
    threshold: float
    unit: str = ""
    direction: Direction = "above"
    for_s: float = 120.0
    hysteresis: float = 0.0
    clear_for_s: float = 120.0
    repeat_s: float | None = None
    spike_factor: float | None = None
    hint: str = ""

    def __post_init__(self) -> None:
        problems = [
            f"{name} must not be negative"
            for name, value in (
                ("for_s", self.for_s),
                ("hysteresis", self.hysteresis),
                ("clear_for_s", self.clear_for_s),
            )
            if value < 0
        ]
        if self.repeat_s is not None and self.repeat_s <= 0:
            problems.append("repeat_s must be positive")
        if self.spike_factor is not None and self.spike_factor <= 1:
            problems.append("spike_factor must be above 1")
        if self.direction not in ("above", "below"):
            problems.append("direction must be 'above' or 'below'")
        if problems:
            msg = f"AlertRule {self.name!r}: {'; '.join(problems)}"
            raise ValueError(msg)

    def breaches(self, value: float, threshold: float) -> bool:
        return value > threshold if self.direction == "above" else value < threshold

    def clear_level(self, threshold: float) -> float:
        sign = -1.0 if self.direction == "above" else 1.0
        return threshold + sign * self.hysteresis

    def is_clear(self, value: float, threshold: float) -> bool:
        level = self.clear_level(threshold)
        return value <= level if self.direction == "above" else value >= level

    def worse(self, a: float, b: float) -> float:
        """The value further into breach (the peak)."""
        return max(a, b) if self.direction == "above" else min(a, b)


@dataclass(frozen=True)
class AlertEvent:
    """A message-worthy change: an alert fired, is still firing, or resolved."""

    rule: AlertRule
    kind: EventKind
    value: float
    """The latest value (for ``resolved``, the value that cleared it; NaN if it vanished)."""
    peak: float
    threshold: float
    """The threshold in force (a spike rule's raised one)."""
    started_ns: int
    """When the breach began (before the ``for`` wait)."""
    at_ns: int
    ended_ns: int | None = None
    """For ``resolved``: when the value first went clear (or was last seen)."""
    recent: tuple[float, ...] = ()
    reason: str | None = None
    """Why a resolve happened other than by the value clearing (``no longer reported``)."""

    @property
    def duration_s(self) -> float:
        """How long the condition lasted (resolved) or has lasted so far."""
        end = self.ended_ns if self.ended_ns is not None else self.at_ns
        return max(0, end - self.started_ns) / NS_PER_S


@dataclass
class RuleState:
    """Where one rule is in its life cycle."""

    status: Status = "ok"
    started_ns: int = 0
    clear_since_ns: int = 0
    last_sent_ns: int = 0
    last_seen_ns: int = 0
    last_eval_ns: int = 0
    peak: float = 0.0
    value: float = 0.0
    threshold: float = 0.0
    baseline: deque[float] = field(default_factory=lambda: deque(maxlen=BASELINE_SAMPLES))
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_SAMPLES))


class AlertEvaluator:
    """Runs rules over readings; thread-safe; returns the events to send."""

    def __init__(self, rules: Sequence[AlertRule], *, repeat_s: float) -> None:
        if repeat_s <= 0:
            msg = f"repeat_s must be positive, got {repeat_s}"
            raise ValueError(msg)
        self._repeat_s = repeat_s
        self._lock = threading.Lock()
        self._rules: tuple[AlertRule, ...] = ()
        self._states: dict[str, RuleState] = {}
        self.set_rules(rules)

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return self._rules

    def set_rules(self, rules: Sequence[AlertRule]) -> None:
        """Replace the rules; a rule whose name stays keeps its state."""
        names = [rule.name for rule in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"duplicate alert rule name(s): {', '.join(duplicates)}"
            raise ValueError(msg)
        with self._lock:
            self._rules = tuple(rules)
            self._states = {n: self._states.get(n, RuleState()) for n in names}

    def state(self, name: str) -> RuleState:
        """A rule's current state (tests and the health summary read it)."""
        return self._states[name]

    def firing(self) -> list[AlertRule]:
        """Rules currently firing (clearing ones included: not yet resolved)."""
        return [r for r in self._rules if self._states[r.name].status in ("firing", "clearing")]

    def evaluate(self, values: Mapping[str, float], now_ns: int) -> list[AlertEvent]:
        """Advance every rule to ``now_ns`` with the readings in ``values``."""
        events: list[AlertEvent] = []
        with self._lock:
            for rule in self._rules:
                state = self._states[rule.name]
                if now_ns < state.last_eval_ns:
                    continue  # a late caller on another thread: time never runs backwards
                state.last_eval_ns = now_ns
                value = values.get(rule.reading)
                event = (
                    self._step(rule, state, value, now_ns)
                    if value is not None and not math.isnan(value)
                    else self._missing(rule, state, now_ns)
                )
                if event is not None:
                    events.append(event)
        return events

    def _threshold(self, rule: AlertRule, state: RuleState) -> float:
        if rule.spike_factor is None or not state.baseline:
            return rule.threshold
        raised = rule.spike_factor * statistics.median(state.baseline)
        return rule.worse(rule.threshold, raised)

    def _step(
        self, rule: AlertRule, state: RuleState, value: float, now_ns: int
    ) -> AlertEvent | None:
        state.last_seen_ns = now_ns
        state.value = value
        state.recent.append(value)
        if state.status in ("ok", "pending"):
            return self._step_quiet(rule, state, value, now_ns)
        state.peak = rule.worse(state.peak, value)
        if not rule.is_clear(value, state.threshold):
            state.status = "firing"
            if now_ns - state.last_sent_ns >= self._repeat_ns(rule):
                state.last_sent_ns = now_ns
                return self._event(rule, state, "repeat", now_ns)
            return None
        if state.status == "firing":
            state.status = "clearing"
            state.clear_since_ns = now_ns
        if now_ns - state.clear_since_ns >= rule.clear_for_s * NS_PER_S:
            event = self._event(rule, state, "resolved", now_ns, ended_ns=state.clear_since_ns)
            self._reset(state)
            return event
        return None

    def _step_quiet(
        self, rule: AlertRule, state: RuleState, value: float, now_ns: int
    ) -> AlertEvent | None:
        if rule.spike_factor is not None and len(state.baseline) < BASELINE_MIN:
            state.baseline.append(value)
            return None
        threshold = state.threshold if state.status == "pending" else self._threshold(rule, state)
        if not rule.breaches(value, threshold):
            state.status = "ok"
            if rule.spike_factor is not None:
                state.baseline.append(value)
            return None
        if state.status == "ok":
            state.status = "pending"
            state.started_ns = now_ns
            state.threshold = threshold
            state.peak = value
        state.peak = rule.worse(state.peak, value)
        if now_ns - state.started_ns < rule.for_s * NS_PER_S:
            return None
        state.status = "firing"
        state.last_sent_ns = now_ns
        return self._event(rule, state, "firing", now_ns)

    def _missing(self, rule: AlertRule, state: RuleState, now_ns: int) -> AlertEvent | None:
        if state.status == "pending":
            state.status = "ok"  # a breach must be seen to hold, not assumed
        if state.status not in ("firing", "clearing"):
            return None
        if now_ns - state.last_seen_ns < NO_DATA_RESOLVE_S * NS_PER_S:
            return None
        state.value = float("nan")
        event = self._event(
            rule,
            state,
            "resolved",
            now_ns,
            ended_ns=state.last_seen_ns,
            reason="no longer reported",
        )
        self._reset(state)
        return event

    def _repeat_ns(self, rule: AlertRule) -> float:
        return (rule.repeat_s if rule.repeat_s is not None else self._repeat_s) * NS_PER_S

    @staticmethod
    def _reset(state: RuleState) -> None:
        state.status = "ok"
        state.started_ns = state.clear_since_ns = state.last_sent_ns = 0

    @staticmethod
    def _event(
        rule: AlertRule,
        state: RuleState,
        kind: EventKind,
        now_ns: int,
        *,
        ended_ns: int | None = None,
        reason: str | None = None,
    ) -> AlertEvent:
        return AlertEvent(
            rule=rule,
            kind=kind,
            value=state.value,
            peak=state.peak,
            threshold=state.threshold,
            started_ns=state.started_ns,
            at_ns=now_ns,
            ended_ns=ended_ns,
            recent=tuple(state.recent),
            reason=reason,
        )
