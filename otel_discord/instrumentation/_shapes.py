"""What a command run looks like as a span, one row per command kind.

A row names the span kind, the span name and the attributes every run of a command
carries. Those never change between runs of one command, so ``ShapeCache`` builds
them once per (kind, name) and the hot path passes the same mapping to
``start_span`` each time (the SDK copies it into the span). A new kind of command
(component clicks, a fork's command type) is one more row in ``SHAPES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from otel_discord.instrumentation import _names as n

Attrs = Mapping[str, AttributeValue]

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


@dataclass(frozen=True, slots=True)
class Shape:
    """One command's span name, span kind and per-run-constant attributes."""

    span_name: str
    span_kind: SpanKind
    attributes: Attrs


def build_shape(kind: str, name: str) -> Shape:
    """The shape of command ``name`` of ``kind`` (a row of ``SHAPES``)."""
    row = SHAPES[kind]
    return Shape(row.span_name(name), row.span_kind, row.attributes(name, kind))


class ShapeCache:
    """Shapes by (kind, name), built on first use and bounded."""

    def __init__(self, limit: int = _MAX_CACHED) -> None:
        self.limit = limit
        self._shapes: dict[tuple[str, str], Shape] = {}

    def get(self, kind: str, name: str) -> Shape:
        """The cached shape, building (and keeping, while there is room) a new one."""
        key = (kind, name)
        shape = self._shapes.get(key)
        if shape is None:
            shape = build_shape(kind, name)
            if len(self._shapes) < self.limit:
                self._shapes[key] = shape
        return shape
