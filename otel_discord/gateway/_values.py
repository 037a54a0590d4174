"""OTLP common messages (AnyValue, KeyValue, Resource, scope) to the SDK's plain values.

SDK attributes hold primitives or homogeneous sequences of them; OTLP also allows
maps and mixed arrays, which become compact JSON text rather than being dropped.
Resources and scopes repeat in every request from a sender, so they are cached.

What is kept of the wire is bounded in bytes: every attribute set (and log body)
has a byte allowance (text plus a charge per entry for Python's object overhead),
so a sender's million attributes or megabyte resources cost the gateway kilobytes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Final

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceProto
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope as SdkScope

from otel_discord.gateway._identity import IDENTITY_KEYS
from otel_discord.record_clip import ClippedText

CACHE_SIZE: Final = 4096
CACHE_BYTES: Final = 8 * 1024 * 1024
"""What the resource and scope caches may hold in all (by the allowance each entry used)."""
WIRE_TEXT_CHARS: Final = 16384
"""Longest string kept from the wire: head and tail of it (no embed shows more; see
``record_clip``), so a 6 MiB attribute never sits in the intake queue whole."""
MAX_ATTRIBUTES: Final = 128
"""Attributes kept per set: the SDK's default count limit (``OTEL_ATTRIBUTE_COUNT_LIMIT``)."""
ATTRIBUTE_BYTES: Final = 65536
"""Allowance of one record's (event's, link's, data point's) attributes, and of a log body."""
RESOURCE_BYTES: Final = 16384
"""Allowance of a resource's or scope's attributes: they are cached and kept per sender."""
RESOURCE_TEXT_CHARS: Final = 1024
"""Longest resource or scope string, so one value cannot take a resource's whole allowance."""
KEY_CHARS: Final = 256
NAME_CHARS: Final = 1024
"""Longest span, event, metric or severity name kept (names are grouped on, never long)."""
ENTRY_BYTES: Final = 64
"""Charged per attribute, array item and map entry besides its text (Python object overhead)."""
_PRIMITIVES: Final = (str, bool, int, float)


class Allowance:
    """Bytes left for one attribute set or value; spent as values are converted."""

    def __init__(self, total: int, text_chars: int = WIRE_TEXT_CHARS) -> None:
        self.total = total
        self.left = total
        self.text_chars = text_chars

    @property
    def used(self) -> int:
        return self.total - self.left

    def take(self, n: int) -> bool:
        """Spend ``n`` bytes; False (nothing spent) when fewer are left."""
        if n > self.left:
            return False
        self.left -= n
        return True


def any_value(value: AnyValue, allowance: Allowance | None = None) -> Any:
    """An AnyValue as Python: primitives, bytes, lists and dicts (for log bodies).

    Arrays and maps end where the allowance does; a string takes what is left of it.
    """
    room = allowance or Allowance(ATTRIBUTE_BYTES)
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        items = []
        for item in value.array_value.values:
            if not room.take(ENTRY_BYTES):
                break
            items.append(any_value(item, room))
        return items
    if kind == "kvlist_value":
        entries = {}
        for kv in value.kvlist_value.values:
            key = kv.key[:KEY_CHARS]
            if not room.take(ENTRY_BYTES + len(key)):
                break
            entries[key] = any_value(kv.value, room)
        return entries
    plain = getattr(value, kind)
    if kind in ("string_value", "bytes_value"):
        limit = max(0, min(room.text_chars, room.left))
        if len(plain) > limit:
            plain = _head_and_tail(plain, limit) if kind == "string_value" else plain[:limit]
        room.take(len(plain))
    return plain


def clip(text: str, limit: int = WIRE_TEXT_CHARS) -> str:
    """A string field outside attributes (span name, status message...), head and tail."""
    return text if len(text) <= limit else _head_and_tail(text, limit)


def _head_and_tail(text: str, limit: int = WIRE_TEXT_CHARS) -> ClippedText:
    half = limit // 2
    tail = text[-half:] if half else ""
    cut = f"{text[:half]}\n… {len(text) - 2 * half} characters cut …\n{tail}"
    return ClippedText(cut, len(text))  # "… 977 KiB truncated" names the size sent


def attribute_value(value: AnyValue, allowance: Allowance | None = None) -> Any:
    """An AnyValue as an SDK attribute value (None when empty)."""
    plain = any_value(value, allowance)
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


def attributes(pairs: Iterable[KeyValue], allowance: Allowance | None = None) -> dict[str, Any]:
    """KeyValues as an attribute dict; empty values are left out.

    At most ``MAX_ATTRIBUTES`` of them, within the allowance (``ATTRIBUTE_BYTES`` unless
    given): the rest are dropped, as the SDK drops attributes over its limits.
    """
    room = allowance or Allowance(ATTRIBUTE_BYTES)
    out: dict[str, Any] = {}
    for pair in pairs:
        if len(out) >= MAX_ATTRIBUTES:
            break
        key = pair.key[:KEY_CHARS]
        if not key or not room.take(ENTRY_BYTES + len(key)):
            continue
        value = attribute_value(pair.value, room)
        if value is not None:
            out[key] = value
    return out


def _text(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _identity_first(pairs: Iterable[KeyValue]) -> list[KeyValue]:
    """A resource's identity keys first, so a bulky resource cannot crowd them out."""
    return sorted(pairs, key=lambda pair: pair.key not in IDENTITY_KEYS)


class Interner:
    """Caches SDK Resource and scope objects by their wire bytes. Thread-safe, bounded (LRU).

    Keyed by a digest of the wire bytes (a cached key never holds a sender's megabytes),
    bounded by entries and by ``max_bytes`` of what the cached attributes were allowed.
    """

    def __init__(self, size: int = CACHE_SIZE, max_bytes: int = CACHE_BYTES) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
        self._bytes = 0

    @property
    def held_bytes(self) -> int:
        """The allowance used by what is cached (keys not counted: 32 bytes each)."""
        with self._lock:
            return self._bytes

    def resource(self, proto: ResourceProto, schema_url: str = "") -> Resource:
        def make() -> tuple[Resource, int]:
            room = Allowance(RESOURCE_BYTES, RESOURCE_TEXT_CHARS)
            attrs = attributes(_identity_first(proto.attributes), room)
            return Resource(attrs, schema_url or None), room.used

        resource: Resource = self._get(b"r", proto, schema_url, make)
        return resource

    def scope(self, proto: InstrumentationScope, schema_url: str = "") -> SdkScope:
        def make() -> tuple[SdkScope, int]:
            room = Allowance(RESOURCE_BYTES, RESOURCE_TEXT_CHARS)
            name, version = proto.name[:RESOURCE_TEXT_CHARS], proto.version[:RESOURCE_TEXT_CHARS]
            room.take(len(name) + len(version))
            attrs = attributes(proto.attributes, room) or None
            return SdkScope(name, version or None, schema_url or None, attrs), room.used

        scope: SdkScope = self._get(b"s", proto, schema_url, make)
        return scope

    def _get(
        self,
        kind: bytes,
        proto: ResourceProto | InstrumentationScope,
        schema_url: str,
        make: Any,
    ) -> Any:
        digest = hashlib.blake2b(kind, digest_size=16)
        digest.update(proto.SerializeToString(deterministic=True))
        digest.update(b"\0" + schema_url.encode(errors="replace"))
        key = digest.digest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached[0]
        made, used = make()
        with self._lock:
            if key not in self._cache:
                self._cache[key] = (made, used)
                self._bytes += used
            while len(self._cache) > self._size or self._bytes > self._max_bytes:
                _, (_, freed) = self._cache.popitem(last=False)
                self._bytes -= freed
        return made
