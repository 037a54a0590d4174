"""What a command run looks like as a span, one row per command kind.

A row names the span kind, the span name and the attributes every run of a command
carries. Those never change between runs of one command, so ``ShapeCache`` builds
them once per (kind, name) and the hot path passes the same mapping to
``start_span`` each time (the SDK copies it into the span). A shape also carries
the metric row of a successful run (the attributes of ``discord.commands`` and
``discord.command.duration`` and their tally key), so a success builds and looks
up nothing more. A new kind of command (component clicks, a fork's command type) is
one more row in ``SHAPES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from otel_discord.instrumentation import _names as n

Attrs = Mapping[str, AttributeValue]

MetricRow = tuple[Attrs, tuple[tuple[str, AttributeValue], ...]]
"""A command's metric attributes and their key in the ``discord.commands`` tally."""

_MAX_CACHED: Final = 4096
"""(kind, name) pairs kept; past that a shape is built per run (correct, a little slower)."""


def _messaging(name: str, kind: str) -> dict[str, AttributeValue]:
    return {
        n.ATTR_MESSAGING_SYSTEM: n.SYSTEM_DISCORD,
        n.ATTR_MESSAGING_OPERATION_TYPE: n.OPERATION_PROCESS,
        n.ATTR_MESSAGING_OPERATION_NAME: n.OPERATION_PROCESS,
        n.ATTR_COMMAND_NAME: name,
        n.ATTR_COMMAND_KIND: kind,
    }


def _rpc(name: str, kind: str) -> dict[str, AttributeValue]:
    return {
        n.ATTR_RPC_SYSTEM: n.SYSTEM_DISCORD,
        n.ATTR_RPC_SERVICE: n.RPC_SERVICE_APP_COMMANDS,
        n.ATTR_RPC_METHOD: name,
        n.ATTR_COMMAND_NAME: name,
        n.ATTR_COMMAND_KIND: kind,
    }


def _plain(name: str) -> str:
    return name


def _slash(name: str) -> str:
    return f"/{name}"


@dataclass(frozen=True, slots=True)
class Row:
    """How one kind of command is traced."""

    span_kind: SpanKind
    span_name: Callable[[str], str]
    attributes: Callable[[str, str], dict[str, AttributeValue]]


SHAPES: Final[dict[str, Row]] = {
    n.KIND_PREFIX: Row(SpanKind.CONSUMER, _plain, _messaging),
    n.KIND_SLASH: Row(SpanKind.SERVER, _slash, _rpc),
    n.KIND_USER: Row(SpanKind.SERVER, _plain, _rpc),
    n.KIND_MESSAGE: Row(SpanKind.SERVER, _plain, _rpc),
}


def metric_row(
    name: str, kind: str, outcome: str, reason: str = "", guild_id: int | None = None
) -> MetricRow:
    """The attributes of one run's metrics (``reason`` on failures, ``guild_id`` if kept)."""
    attrs: dict[str, AttributeValue] = {
        n.ATTR_COMMAND_NAME: name,
        n.ATTR_COMMAND_KIND: kind,
        n.ATTR_COMMAND_OUTCOME: outcome,
    }
    if guild_id is not None:
        attrs[n.ATTR_GUILD_ID] = str(guild_id)
    if reason:
        attrs[n.ATTR_COMMAND_FAILURE_REASON] = reason
    return attrs, tuple(attrs.items())


@dataclass(frozen=True, slots=True)
class Shape:
    """One command's span name, span kind and per-run-constant attributes."""

    span_name: str
    span_kind: SpanKind
    attributes: Attrs
    success: MetricRow
    """The metric row of a successful run without a guild id."""


def build_shape(kind: str, name: str) -> Shape:
    """The shape of command ``name`` of ``kind`` (a row of ``SHAPES``)."""
    row = SHAPES[kind]
    return Shape(
        row.span_name(name),
        row.span_kind,
        row.attributes(name, kind),
        metric_row(name, kind, n.OUTCOME_SUCCESS),
    )


class ShapeCache:
    """Shapes by kind and name, built on first use and bounded.

    ``kinds[kind]`` is the name -> shape mapping of one kind, for a hot path that knows
    its kind: one ``dict.get`` by name, no key tuple, no call (``get`` when it misses).
    """

    def __init__(self, limit: int = _MAX_CACHED) -> None:
        self.limit = limit
        self.kinds: dict[str, dict[str, Shape]] = {kind: {} for kind in SHAPES}
        self._size = 0

    def get(self, kind: str, name: str) -> Shape:
        """The cached shape, building (and keeping, while there is room) a new one."""
        shapes = self.kinds[kind]
        shape = shapes.get(name)
        if shape is None:
            shape = build_shape(kind, name)
            if self._size < self.limit:
                shapes[name] = shape
                self._size += 1
        return shape
