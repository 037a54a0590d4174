"""Which channel a record goes to: ordered rules on signal, severity, scope, name and attributes.

User rules are tried first, then the defaults; the first match wins. A rule whose
``channel`` is None drops what it matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Final, Literal

from otel_discord.channels import Channel
from otel_discord.severity import SEVERITY_WARN

Signal = Literal["logs", "spans", "metrics"]


ACTIVITY_EVENT_PREFIX: Final = "discord."
"""Log events of the bot's activity (guild/member join, ...) carry event.name discord.*."""
DIAGNOSTICS_SCOPE: Final = "otel_discord.diagnostics"


@dataclass(frozen=True)
class Rule:
    """One routing rule. Unset conditions match anything.

    Args:
        channel: where matches go; None drops them.
        signal: "logs", "spans" or "metrics".
        min_severity: lowest OpenTelemetry severity number (logs).
        scope: glob on the instrumentation scope (the logger name for bridged logs).
        name: glob on the span name, metric name or log event name.
        attributes: attribute globs that must all match (values compared as text).
        errors_only: spans with status ERROR or an exception event only.
    """

    channel: Channel | None
    signal: Signal | None = None
    min_severity: int | None = None
    scope: str | None = None
    name: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    errors_only: bool = False

    def matches(
        self,
        signal: Signal,
        *,
        severity: int = 0,
        scope: str = "",
        name: str = "",
        attributes: Mapping[str, Any] | None = None,
        is_error: bool = False,
    ) -> bool:
        """True when every condition set on this rule holds."""
        if self.signal is not None and self.signal != signal:
            return False
        if self.min_severity is not None and severity < self.min_severity:
            return False
        if self.errors_only and not is_error:
            return False
        if self.scope is not None and not fnmatchcase(scope, self.scope):
            return False
        if self.name is not None and not fnmatchcase(name, self.name):
            return False
        attrs = attributes or {}
        return all(
            key in attrs and fnmatchcase(str(attrs[key]), pattern)
            for key, pattern in self.attributes.items()
        )


def default_rules(min_log_severity: int = SEVERITY_WARN) -> tuple[Rule, ...]:
    """The routing described in the README: activity to analytics, problems to logs."""
    return (
        Rule(Channel.DIAGNOSTICS, signal="logs", scope=DIAGNOSTICS_SCOPE + "*"),
        Rule(
            Channel.ANALYTICS,
            signal="logs",
            name=ACTIVITY_EVENT_PREFIX + "*",
            attributes={},
        ),
        Rule(Channel.LOGS, signal="logs", min_severity=min_log_severity),
        Rule(None, signal="logs"),
        Rule(Channel.LOGS, signal="spans", errors_only=True),
        Rule(None, signal="spans"),
        Rule(Channel.PERFORMANCE, signal="metrics"),
    )


class Router:
    """Applies user rules, then the defaults."""

    def __init__(self, rules: Sequence[Rule] = (), *, min_log_severity: int = SEVERITY_WARN):
        self.user_rules = tuple(rules)
        self.rules: tuple[Rule, ...] = (*self.user_rules, *default_rules(min_log_severity))
        self.default_spans = not self.has_user_rules("spans")
        """Spans follow the defaults alone: errors to logs, the rest dropped (no walk needed)."""

    def has_user_rules(self, signal: Signal) -> bool:
        """Whether any user rule may apply to ``signal`` (lets hot paths skip routing)."""
        return any(rule.signal in (None, signal) for rule in self.user_rules)

    def route(
        self,
        signal: Signal,
        *,
        severity: int = 0,
        scope: str = "",
        name: str = "",
        attributes: Mapping[str, Any] | None = None,
        is_error: bool = False,
    ) -> Channel | None:
        """The channel for a record, or None to drop it."""
        for rule in self.rules:
            if rule.matches(
                signal,
                severity=severity,
                scope=scope,
                name=name,
                attributes=attributes,
                is_error=is_error,
            ):
                return rule.channel
        return None
