"""The alert state machine, driven with explicit timestamps (no clock, no sleeps)."""

from __future__ import annotations

import math

import pytest

from otel_discord.monitors.rules import NO_DATA_RESOLVE_S, AlertEvaluator, AlertRule

S = 1_000_000_000
T0 = 1_764_338_400 * S
REPEAT_S = 1800.0
CPU = AlertRule("cpu", "CPU usage", "cpu", 90.0, unit="%", for_s=180, hysteresis=5, clear_for_s=120)


def run(
    evaluator: AlertEvaluator, series: list[tuple[float, float | None]], key: str = "cpu"
) -> list[tuple[float, str, float, float]]:
    """Feed (seconds since T0, value) pairs; return (t, kind, value, peak) of every event."""
    out = []
    for t, value in series:
        values = {} if value is None else {key: value}
        for event in evaluator.evaluate(values, T0 + int(t * S)):
            out.append((t, event.kind, event.value, event.peak))
    return out


def every(step: float, start: float, values: list[float]) -> list[tuple[float, float | None]]:
    return [(start + i * step, v) for i, v in enumerate(values)]


class TestFiring:
    """A breach fires once, only after it has held for the rule's duration."""

    def test_fires_once_after_for(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        events = run(evaluator, every(60, 0, [50, 95, 96, 97, 93, 94, 95]))
        assert [(240.0, "firing", 93.0, 97.0)] == events

    def test_not_before_for(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        assert [] == run(evaluator, every(60, 0, [95, 95, 95]))
        assert "pending" == evaluator.state("cpu").status

    def test_metric_resolution(self) -> None:
        """With samples every 10 s the alert fires on the first sample at 180 s, not later."""
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        events = run(evaluator, every(10, 0, [95.0] * 20))
        assert [(180.0, "firing", 95.0, 95.0)] == events

    def test_for_zero_fires_at_once(self) -> None:
        rule = AlertRule("x", "X", "x", 1.0, for_s=0)
        evaluator = AlertEvaluator([rule], repeat_s=REPEAT_S)
        assert [(0.0, "firing", 2.0, 2.0)] == run(evaluator, [(0, 2.0)], key="x")

    def test_below_rule(self) -> None:
        """A ``below`` rule fires under its threshold and its peak is the lowest value."""
        rule = AlertRule("free", "Free", "free", 10.0, direction="below", for_s=60, hysteresis=2)
        evaluator = AlertEvaluator([rule], repeat_s=REPEAT_S)
        events = run(evaluator, every(60, 0, [20, 8, 5, 11, 13, 13, 13]), key="free")
        assert [(120.0, "firing", 5.0, 5.0), (360.0, "resolved", 13.0, 5.0)] == events


class TestRepeat:
    """A firing alert repeats at most every repeat interval, and not while clearing."""

    def test_repeats_on_schedule(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        events = run(evaluator, every(60, 0, [95.0] * 70))
        assert [(180.0, "firing"), (1980.0, "repeat"), (3780.0, "repeat")] == [
            (t, kind) for t, kind, _, _ in events
        ]

    def test_rule_repeat_overrides_default(self) -> None:
        rule = AlertRule("x", "X", "x", 1.0, for_s=0, repeat_s=300)
        evaluator = AlertEvaluator([rule], repeat_s=REPEAT_S)
        events = run(evaluator, every(100, 0, [2.0] * 8), key="x")
        assert [(0.0, "firing"), (300.0, "repeat"), (600.0, "repeat")] == [
            (t, kind) for t, kind, _, _ in events
        ]


class TestResolve:
    """Resolved notices carry how long the condition lasted and its peak."""

    def test_resolved_with_duration_and_peak(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        values = [95, 99, 96, 94, 80, 80, 80, 80]
        (fired, resolved) = evaluator_events = [
            e for i, v in enumerate(values) for e in evaluator.evaluate({"cpu": v}, T0 + i * 60 * S)
        ]
        assert ("firing", "resolved") == (fired.kind, resolved.kind)
        assert (99.0, 80.0, 240.0) == (resolved.peak, resolved.value, resolved.duration_s)
        assert T0 + 6 * 60 * S == resolved.at_ns  # clear for 120 s after the first clear value
        assert 2 == len(evaluator_events)

    def test_no_data_resolves_after_a_while(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        series: list[tuple[float, float | None]] = [(0, 95), (200, 95)]
        series += [(200 + t, None) for t in (60, NO_DATA_RESOLVE_S - 1, NO_DATA_RESOLVE_S)]
        events = evaluator_events = []
        for t, value in series:
            values = {} if value is None else {"cpu": value}
            evaluator_events.extend(evaluator.evaluate(values, T0 + int(t * S)))
        assert ["firing", "resolved"] == [e.kind for e in events]
        assert "no longer reported" == events[1].reason
        assert math.isnan(events[1].value)
        assert 200.0 == events[1].duration_s

    def test_nan_is_no_data(self) -> None:
        """A NaN reading neither breaches nor clears; a pending breach must be seen again."""
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        assert [] == run(evaluator, [(0, 95.0), (60, math.nan), (200, 95.0), (300, 95.0)])
        assert T0 + 200 * S == evaluator.state("cpu").started_ns


class TestFlapping:
    """Values wobbling around the threshold produce no spam."""

    def test_wobble_before_firing_never_fires(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        assert [] == run(evaluator, every(60, 0, [91, 89, 92, 88, 93, 89] * 10))

    def test_wobble_while_firing_within_hysteresis_is_silent(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        values = [95] * 4 + [86, 91, 87, 92, 86, 90] * 4
        assert [(180.0, "firing")] == [
            (t, k) for t, k, _, _ in run(evaluator, every(60, 0, values))
        ]

    def test_dips_below_clear_level_shorter_than_clear_for(self) -> None:
        """Brief dips under the clear level keep it firing: one alert, one resolve at the end."""
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        values = [95] * 4 + [80, 95, 80, 95, 80, 95] + [80] * 3
        events = run(evaluator, every(60, 0, values))
        assert [(180.0, "firing", 95.0, 95.0), (720.0, "resolved", 80.0, 95.0)] == events


class TestSpike:
    """A spike rule fires on a multiple of its calm baseline, never below its floor."""

    RULE = AlertRule("err", "Errors", "e", 10.0, for_s=0, hysteresis=2, spike_factor=3.0)

    def test_floor_applies_to_a_quiet_service(self) -> None:
        evaluator = AlertEvaluator([self.RULE], repeat_s=REPEAT_S)
        events = run(evaluator, every(60, 0, [0, 1, 0, 1, 0, 9, 11]), key="e")
        assert [(360.0, "firing", 11.0, 11.0)] == events

    def test_learns_before_it_fires(self) -> None:
        """A steady busy rate seen from the start is the baseline, not a spike."""
        evaluator = AlertEvaluator([self.RULE], repeat_s=REPEAT_S)
        assert [] == run(evaluator, every(60, 0, [20, 22, 20, 21, 20, 22, 21]), key="e")

    def test_busy_baseline_raises_the_threshold(self) -> None:
        evaluator = AlertEvaluator([self.RULE], repeat_s=REPEAT_S)
        events = evaluator_events = []
        for i, v in enumerate([20, 22, 20, 21, 21, 50, 70]):
            evaluator_events.extend(evaluator.evaluate({"e": v}, T0 + i * 60 * S))
        assert [("firing", 63.0, 70.0)] == [(e.kind, e.threshold, e.value) for e in events]


class TestEvaluator:
    """Rule sets: validation, replacement with state kept, time never going backwards."""

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"for_s": -1}, "for_s must not be negative"),
            ({"repeat_s": 0}, "repeat_s must be positive"),
            ({"spike_factor": 1.0}, "spike_factor must be above 1"),
            ({"direction": "sideways"}, "direction must be"),
        ],
    )
    def test_rule_validation(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            AlertRule("x", "X", "x", 1.0, **kwargs)  # type: ignore[arg-type]

    def test_duplicate_names(self) -> None:
        with pytest.raises(ValueError, match="duplicate alert rule name"):
            AlertEvaluator([CPU, CPU], repeat_s=REPEAT_S)

    def test_set_rules_keeps_state_by_name(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        run(evaluator, every(60, 0, [95] * 4))
        other = AlertRule("mem", "Memory", "mem", 90.0)
        evaluator.set_rules([CPU, other])
        assert ("firing", "ok") == (evaluator.state("cpu").status, evaluator.state("mem").status)
        assert [CPU] == evaluator.firing()

    def test_late_evaluation_is_ignored(self) -> None:
        evaluator = AlertEvaluator([CPU], repeat_s=REPEAT_S)
        run(evaluator, [(0, 95.0), (200, 95.0)])
        assert [] == evaluator.evaluate({"cpu": 50.0}, T0 + 100 * S)
        assert "firing" == evaluator.state("cpu").status
