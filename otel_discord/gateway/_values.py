"""OTLP common messages (AnyValue, KeyValue, Resource, scope) to the SDK's plain values.

SDK attributes hold primitives or homogeneous sequences of them; OTLP also allows
maps and mixed arrays, which become compact JSON text rather than being dropped.
Resources and scopes repeat in every request from a sender, so they are cached.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Final

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceProto
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope as SdkScope

from otel_discord.record_clip import ClippedText

CACHE_SIZE: Final = 4096
WIRE_TEXT_CHARS: Final = 16384
"""Longest string kept from the wire: head and tail of it (no embed shows more; see
``record_clip``), so a 6 MiB attribute never sits in the intake queue whole."""
_PRIMITIVES: Final = (str, bool, int, float)


def any_value(value: AnyValue) -> Any:
    """An AnyValue as Python: primitives, bytes, lists and dicts (for log bodies)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    plain = getattr(value, kind)
    if kind == "string_value" and len(plain) > WIRE_TEXT_CHARS:
        return _head_and_tail(plain)
    return plain


def _head_and_tail(text: str) -> ClippedText:
    half = WIRE_TEXT_CHARS // 2
    cut = f"{text[:half]}\n… {len(text) - 2 * half} characters cut …\n{text[-half:]}"
    return ClippedText(cut, len(text))  # "… 977 KiB truncated" names the size sent


def attribute_value(value: AnyValue) -> Any:
    """An AnyValue as an SDK attribute value (None when empty)."""
    plain = any_value(value)
    if plain is None or isinstance(plain, (*_PRIMITIVES, bytes)):
        return plain
    if (
        isinstance(plain, list)
        and plain
        and isinstance(plain[0], _PRIMITIVES)
        and all(type(v) is type(plain[0]) for v in plain)
    ):
        return tuple(plain)
    return json.dumps(plain, default=_text, separators=(",", ":"), ensure_ascii=False)


def attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """KeyValues as an attribute dict; empty values are left out."""
    out: dict[str, Any] = {}
    for pair in pairs:
        value = attribute_value(pair.value)
        if value is not None and pair.key:
            out[pair.key] = value
    return out


def _text(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


class Interner:
    """Caches SDK Resource and scope objects by their wire bytes. Thread-safe, bounded (LRU)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._resources: OrderedDict[bytes, Resource] = OrderedDict()
        self._scopes: OrderedDict[bytes, SdkScope] = OrderedDict()

    def resource(self, proto: ResourceProto, schema_url: str = "") -> Resource:
        key = proto.SerializeToString(deterministic=True) + b"\0" + schema_url.encode()
        with self._lock:
            cached = self._resources.get(key)
            if cached is not None:
                self._resources.move_to_end(key)
                return cached
        resource = Resource(attributes(proto.attributes), schema_url or None)
        with self._lock:
            self._resources[key] = resource
            if len(self._resources) > self._size:
                self._resources.popitem(last=False)
        return resource

    def scope(self, proto: InstrumentationScope, schema_url: str = "") -> SdkScope:
        key = proto.SerializeToString(deterministic=True) + b"\0" + schema_url.encode()
        with self._lock:
            cached = self._scopes.get(key)
            if cached is not None:
                self._scopes.move_to_end(key)
                return cached
        scope = SdkScope(
            proto.name,
            proto.version or None,
            schema_url or None,
            attributes(proto.attributes) or None,
        )
        with self._lock:
            self._scopes[key] = scope
            if len(self._scopes) > self._size:
                self._scopes.popitem(last=False)
        return scope
