"""Reading several span fields in one C call instead of a Python property call each.

The SDK's ``ReadableSpan`` properties (``name``, ``status``, ``start_time``...) each
return a ``_field``; on the span intake (every span of the bot) each is a Python call.
For a class whose properties are still the SDK's own (``ReadableSpan``, the SDK's
``Span``, the instrumentation's ``CommandSpan``), an ``attrgetter`` of the fields gives
the same values; any other class (one overriding a property) is read through its
properties. Checked once per class, and once per process that the SDK's properties
still return their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, Status, StatusCode


def _sdk_properties_return_fields() -> bool:
    context = SpanContext(1, 2, False)
    span = ReadableSpan(
        name="probe", context=context, status=Status(StatusCode.ERROR), start_time=1, end_time=2
    )
    try:
        return (
            span.name is span._name
            and span.context is span._context
            and span.status is span._status
            and span.start_time is span._start_time
            and span.end_time is span._end_time
        )
    except AttributeError:  # pragma: no cover - a changed SDK: read the properties
        return False


_FIELDS_OK = _sdk_properties_return_fields()


def _status_class_with_field() -> type[Status] | None:
    """The API's ``Status`` if its ``status_code`` property returns ``_status_code``."""
    status = Status(StatusCode.ERROR)
    return Status if getattr(status, "_status_code", None) is status.status_code else None


PLAIN_STATUS: Final = _status_class_with_field()
"""A status of exactly this class is read as ``status._status_code`` (None: a changed API)."""


class FieldReader:
    """Reads the named properties of a span as a tuple (its fields where that is the same).

    ``read = reader.by_type.get(type(span)) or reader.learn(type(span))`` then ``read(span)``.
    """

    def __init__(self, *properties: str) -> None:
        self.properties = properties
        self._from_fields = attrgetter(*(f"_{name}" for name in properties))
        self._from_properties = attrgetter(*properties)
        self.by_type: dict[type, Callable[[Any], Any]] = {}

    def learn(self, cls: type) -> Callable[[Any], Any]:
        plain = (
            _FIELDS_OK
            and issubclass(cls, ReadableSpan)
            and all(
                getattr(cls, name, None) is getattr(ReadableSpan, name) for name in self.properties
            )
        )
        read = self._from_fields if plain else self._from_properties
        self.by_type[cls] = read
        return read
