"""What a request will cost once decoded, read off its bytes before decoding them.

A body limit alone does not bound memory: 8 MiB of empty protobuf sub-messages (two
bytes each) decode to 4 million messages, about 700 MB, and then to as many records.
The cost is estimated from the body as it is (a walk of the protobuf wire format that
stops once the estimate passes the caller's limit, or a count of JSON objects) and
held against the receiver's byte budget while the request is decoded and converted.
"""

from __future__ import annotations

from typing import Any, Final

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

MESSAGE_BYTES: Final = 192
"""Charged per decoded message (protobuf's own objects, then the converted values)."""
ITEM_BYTES: Final = 1024
"""Charged besides per span, log record or data point: the SDK record it becomes."""
JSON_OBJECT_BYTES: Final = 512
"""Charged per JSON object: the parsed dict and the message it becomes."""
ITEMS: Final = frozenset(
    {
        "opentelemetry.proto.trace.v1.Span",
        "opentelemetry.proto.logs.v1.LogRecord",
        "opentelemetry.proto.metrics.v1.NumberDataPoint",
        "opentelemetry.proto.metrics.v1.HistogramDataPoint",
        "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint",
        "opentelemetry.proto.metrics.v1.SummaryDataPoint",
    }
)
_LENGTH_DELIMITED: Final = 2

_Fields = dict[int, tuple[str, int]]
"""Field number -> (message type, its charge) for a message type's message-typed fields."""


_SCHEMAS: dict[str, dict[str, _Fields]] = {}


def _schema(message: type[Message]) -> dict[str, _Fields]:
    """The message-typed fields of ``message`` and every message under it (built once)."""
    known = _SCHEMAS.get(message.DESCRIPTOR.full_name)
    if known is not None:
        return known
    table: dict[str, _Fields] = {}
    pending: list[Any] = [message.DESCRIPTOR]
    while pending:
        descriptor = pending.pop()
        if descriptor.full_name in table:
            continue
        fields: _Fields = {}
        table[descriptor.full_name] = fields
        for field in descriptor.fields:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                sub = field.message_type
                charge = MESSAGE_BYTES + (ITEM_BYTES if sub.full_name in ITEMS else 0)
                leaf = not any(f.type == FieldDescriptor.TYPE_MESSAGE for f in sub.fields)
                fields[field.number] = ("" if leaf else sub.full_name, charge)  # "": not walked
                pending.append(sub)
    _SCHEMAS[message.DESCRIPTOR.full_name] = table
    return table


def json_cost(body: bytes) -> int:
    """Bytes a JSON body may take decoded besides itself (braces in strings count too)."""
    return len(body) + body.count(b"{") * JSON_OBJECT_BYTES


def protobuf_cost(  # noqa: PLR0912 - one flat loop: it runs per field of every body
    body: bytes, message: type[Message], limit: int
) -> int:
    """Bytes ``body`` (a ``message``) may take decoded besides itself.

    The walk stops once the estimate passes ``limit`` (and returns what it reached).

    Malformed wire ends the walk with what was counted: decoding it fails anyway.
    """
    table = _schema(message)
    cost = 0
    stack: list[tuple[int, int, _Fields]] = [(0, len(body), table[message.DESCRIPTOR.full_name])]
    try:
        while stack:
            pos, end, fields = stack.pop()
            while pos < end:
                # Varints decoded inline: this loop runs once per field of the body.
                tag = body[pos]
                pos += 1
                if tag >= 0x80:
                    tag, pos = _varint_rest(body, pos, tag)
                wire_type = tag & 7
                if wire_type == _LENGTH_DELIMITED:
                    length = body[pos]
                    pos += 1
                    if length >= 0x80:
                        length, pos = _varint_rest(body, pos, length)
                    if pos + length > end:
                        return cost
                    sub = fields.get(tag >> 3)
                    if sub is not None:
                        cost += sub[1]
                        if cost > limit:
                            return cost
                        if sub[0]:
                            stack.append((pos, pos + length, table[sub[0]]))
                    pos += length
                elif wire_type == 0:
                    while body[pos] >= 0x80:
                        pos += 1
                    pos += 1
                elif wire_type == 1:
                    pos += 8
                elif wire_type == 5:
                    pos += 4
                else:
                    return cost  # groups are not OTLP
    except IndexError:
        return cost
    return cost


def _varint_rest(body: bytes, pos: int, first: int) -> tuple[int, int]:
    """A varint whose first byte (``first``, continuation bit set) was read before ``pos``."""
    value, shift = first & 0x7F, 7
    while True:
        byte = body[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")
