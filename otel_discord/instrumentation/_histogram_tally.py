"""A cheap ``record`` for the command duration histogram, exact to the SDK's output.

The SDK's ``Histogram.record`` costs ~76k instructions (~9 us) per command on the
bot's loop: attribute cleaning and hashing, the exemplar filter, a ``Measurement``
dataclass, locks, once per reader. ``HistogramTally.record`` appends
``(attribute set, value)`` to a deque instead. Right before a reader's storage is
read, the SDK runs the callbacks of observable instruments; one of ours replays the
queued values, in the order they came, into the SDK's own explicit-bucket
aggregations of the instrument in every reader's storage (each gets each value once,
whichever reader collects). The aggregations are found and created by the SDK's own
``_get_or_create_aggregation`` (first records create them, as ``record`` does, so
start times, the cardinality limit and its overflow point are the SDK's), and each
value is added with the same statements as the SDK's ``aggregate``: every exporter
gets the very points ``record`` would give (bucket counts, sum bit for bit, min,
max, count, times), cumulative or delta, with any number of readers.

Whatever this cannot reproduce exactly goes through the SDK's ``record`` (after the
queue is replayed, so additions keep their order): a context passed in, a value that
is not a finite non-negative float, a sampled span in the current context (an
exemplar is due), a disabled meter, attributes the SDK would clean or cannot hash,
attribute sets past ``MAX_ATTRIBUTE_SETS``, an exemplar filter other than
trace-based or always-off, a View that filters attribute keys or changes the
aggregation (changed bounds are fine: each aggregation buckets with its own), a
proxy or non-SDK meter provider, or an SDK whose internals differ (checked once per
process by feeding both paths on private providers and comparing the points).
"""

from __future__ import annotations

import math
import threading
import weakref
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

from opentelemetry import metrics
from opentelemetry.context import Context, get_current
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.util.types import Attributes

from otel_discord.fork_safety import reset_after_fork
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._tally import MAX_ATTRIBUTE_SETS

FLUSH_INSTRUMENT: Final = "otel_discord.internal.histogram_flush"
"""An observable gauge that never reports a point: its callback replays the queue."""

QUEUE_LIMIT: Final = 512
"""Values held between collections; past it the recording thread replays them itself."""

_INF: Final = math.inf


class Records(Protocol):
    """What the instrumentation calls on the duration histogram."""

    def record(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None: ...


def _context_getter() -> Callable[[], Context]:
    """The current context without the API's two wrapper calls, when it is a ContextVar."""
    try:
        from opentelemetry.context import _RUNTIME_CONTEXT
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext

        if type(_RUNTIME_CONTEXT) is ContextVarsRuntimeContext:
            getter: Callable[[], Context] = _RUNTIME_CONTEXT._current_context.get
            return getter
    except (ImportError, AttributeError):
        pass
    return get_current


_current_context: Final = _context_getter()


class _Internals:
    """The SDK names this module relies on; ``None`` if this SDK lacks one of them."""

    def __init__(self) -> None:
        from opentelemetry.attributes import _clean_attribute_value
        from opentelemetry.sdk.metrics._internal._view_instrument_match import (
            _hash_attributes,
            _ViewInstrumentMatch,
        )
        from opentelemetry.sdk.metrics._internal.aggregation import (
            _DropAggregation,
            _ExplicitBucketHistogramAggregation,
        )
        from opentelemetry.sdk.metrics._internal.exemplar import (
            AlwaysOffExemplarFilter,
            TraceBasedExemplarFilter,
        )
        from opentelemetry.sdk.metrics._internal.instrument import _Histogram
        from opentelemetry.sdk.metrics._internal.measurement_consumer import (
            SynchronousMeasurementConsumer,
        )

        if not hasattr(_ViewInstrumentMatch, "_get_or_create_aggregation"):
            raise AttributeError("_get_or_create_aggregation")
        self.clean: Callable[[Any, None], Any] = _clean_attribute_value
        self.hash: Callable[[Any], Hashable] = _hash_attributes
        self.histogram_type: type = _Histogram
        self.consumer_type: type = SynchronousMeasurementConsumer
        self.explicit: type = _ExplicitBucketHistogramAggregation
        self.drop: type = _DropAggregation
        self.trace_based: type = TraceBasedExemplarFilter
        self.always_off: type = AlwaysOffExemplarFilter


def _load_internals() -> _Internals | None:
    try:
        return _Internals()
    except Exception:
        return None


_SDK: Final = _load_internals()


class _Set:
    """One attribute set as the SDK keys it: its hashed key and cleaned attributes."""

    __slots__ = ("attributes", "key")

    def __init__(self, key: Hashable, attributes: dict[str, Any]) -> None:
        self.key = key
        self.attributes = attributes


_NO_AGGREGATIONS: Final[Mapping[Hashable, Any]] = {}
"""Stands in for a view match's aggregations when the SDK keeps them elsewhere."""

_UNUSABLE: Final = object()
"""What ``_storages`` holds while the readers' storages can't be fed directly."""


class HistogramTally:
    """A drop-in for one SDK histogram's ``record(amount, attributes)``."""

    def __init__(self, histogram: Any, sdk: _Internals, limit: int = MAX_ATTRIBUTE_SETS) -> None:
        self._histogram = histogram
        self._sdk = sdk
        self._consumer = histogram._measurement_consumer
        self._meter_config = histogram._meter_config or _ALWAYS_ENABLED
        self.limit = limit
        self._queue: deque[tuple[_Set, float]] = deque()
        self._sets: dict[Hashable, _Set] = {}
        self._by_key: dict[Hashable, _Set] = {}
        self._lock = threading.Lock()
        """Held while replaying (and around the slow path) so values land in order."""
        self._resolved_for: object = None
        """The consumer's storages mapping ``_matches`` was resolved for (replaced on change)."""
        self._storages: object = _UNUSABLE
        self._matches: tuple[Any, ...] = ()
        self._filter: Any = None
        self._sampling = False
        self.fast = False
        """Whether records currently take the fast path (for tests and benchmarks)."""
        reset_after_fork(self)

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    def record(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        """Queue ``amount`` under ``attributes``; the SDK's ``record`` for anything unusual."""
        try:
            key: Hashable | None = tuple(attributes.items()) if attributes else ()
        except Exception:  # not a mapping, unhashable...: the slow path decides
            key = None
        self.record_row(amount, key, attributes, context)

    def record_row(
        self,
        amount: float,
        key: Hashable | None,
        attributes: Attributes,
        context: Context | None = None,
    ) -> None:
        """``record`` for a caller that keeps ``key``, ``tuple(attributes.items())``.

        The command path has that key already (its ``discord.commands`` tally row): the
        tuple is neither rebuilt nor compared per run (the first record of a set keeps
        the caller's key object, so lookups with it match by identity).
        """
        try:
            if (
                key is not None
                and context is None
                and amount.__class__ is float
                and 0.0 <= amount < _INF
                and self._consumer._reader_storages is self._storages
                and self._meter_config._config.is_enabled
            ):
                current = _current_context()
                if (
                    not current
                    or not self._sampling
                    or not self._filter.should_sample(amount, 0, attributes, current)
                ):
                    found = self._sets.get(key)
                    if found is not None:
                        queue = self._queue
                        queue.append((found, amount))
                        if len(queue) >= QUEUE_LIMIT:
                            self.flush()
                        return
        except Exception:  # noqa: S110 - unhashable...: the slow path decides
            pass
        self._slow(amount, attributes, context, key)

    def _slow(
        self,
        amount: float,
        attributes: Attributes,
        context: Context | None,
        key: Hashable | None,
    ) -> None:
        with self._lock:
            found = None
            try:
                self._replay()  # what came before lands before this value
                if self._consumer._reader_storages is not self._resolved_for:
                    self._resolve()
                found = self._admit(amount, attributes, context, key)
            except Exception as exc:
                swallow("duration histogram record", exc)
            if found is not None:
                self._queue.append((found, amount))
                return
            try:
                self._histogram.record(amount, attributes, context)
            except Exception as exc:
                swallow("duration histogram SDK record", exc)

    def _admit(
        self,
        amount: float,
        attributes: Attributes,
        context: Context | None,
        key: Hashable | None,
    ) -> _Set | None:
        """The attribute set to queue ``amount`` under, or None for the SDK's ``record``."""
        if key is None or not self._queueable(amount, attributes, context):
            return None
        try:
            found = self._sets.get(key)
        except TypeError:
            return None
        if found is None and len(self._sets) < self.limit:
            found = self._new_set(attributes)
            if found is not None:
                # The SDK's record creates the aggregation at a set's first record (its
                # start time, its place under the cardinality limit): so do we.
                for match in self._matches:
                    with match._lock:
                        match._get_or_create_aggregation(found.key, dict(found.attributes))
                self._sets[key] = found
        return found

    def _queueable(self, amount: float, attributes: Attributes, context: Context | None) -> bool:
        """The fast path's conditions, spelled out (the SDK's record otherwise)."""
        if (
            self._storages is _UNUSABLE
            or context is not None
            or amount.__class__ is not float
            or not 0.0 <= amount < _INF
            or not self._meter_config._config.is_enabled
        ):
            return False
        current = _current_context()
        return not (
            current
            and self._sampling
            and self._filter.should_sample(amount, 0, attributes, current)
        )

    def _new_set(self, attributes: Attributes) -> _Set | None:
        given = dict(attributes) if attributes else {}
        cleaned = self._sdk.clean(given, None)
        if type(cleaned) is not dict or cleaned != given:
            return None  # the SDK would warn, convert or drop: leave it to the SDK
        if any(type(cleaned[name]) is not type(value) for name, value in given.items()):
            return None
        key = self._sdk.hash(dict(cleaned))
        # One object per SDK key, whatever the order given: replay groups by it, and
        # one aggregation's additions must stay in record order.
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = _Set(key, cleaned)
        return found

    def _resolve(self) -> None:
        """Find the aggregations to feed in every reader's storage, as ``record`` would."""
        storages = self._consumer._reader_storages
        self._resolved_for = storages
        self._storages = _UNUSABLE
        self.fast = False
        self._matches = ()
        self._sets = {}  # every set is new to new storages: first records create aggregations
        self._by_key = {}
        sdk = self._sdk
        exemplar_filter = self._consumer._sdk_config.exemplar_filter
        if type(exemplar_filter) is sdk.trace_based:
            self._sampling = True
        elif type(exemplar_filter) is sdk.always_off:
            self._sampling = False
        else:
            return
        self._filter = exemplar_filter
        matches = []
        for storage in list(storages.values()):
            for match in storage._get_or_init_view_instrument_match(self._histogram):
                if match._view._attribute_keys is not None:
                    return
                kind = type(match._aggregation)
                if kind is sdk.drop:
                    continue
                if kind is not sdk.explicit:
                    return
                matches.append(match)
        self._matches = tuple(matches)
        self._storages = storages
        self.fast = True

    def flush(self) -> None:
        """Replay the queued values into the SDK's aggregations; never raises."""
        try:
            with self._lock:
                self._replay()
        except Exception as exc:
            swallow("duration histogram flush", exc)

    def on_collect(self, _: CallbackOptions) -> Iterable[Observation]:
        """The observable callback: runs right before a reader's storage is read."""
        self.flush()
        return ()

    def _replay(self) -> None:
        """Apply the queue in order (``_lock`` held); new values may keep arriving."""
        queue = self._queue
        if not queue:
            return
        items: list[tuple[_Set, float]] = []
        pop = queue.popleft
        while True:
            try:
                items.append(pop())
            except IndexError:
                break
        groups: dict[_Set, list[float]] = {}
        """Values per set (a ``_Set`` hashes by identity), in order of first appearance."""
        for found, value in items:
            values = groups.get(found)
            if values is None:
                groups[found] = [value]
            else:
                values.append(value)
        buckets: dict[tuple[_Set, int], tuple[Any, list[int]]] | None = (
            {} if len(self._matches) > 1 else None
        )
        for match in self._matches:
            with match._lock:
                _replay_into(match, groups, items, buckets)


def _replay_into(
    match: Any,
    groups: Mapping[_Set, list[float]],
    items: Sequence[tuple[_Set, float]],
    buckets: dict[tuple[_Set, int], tuple[Any, list[int]]] | None,
) -> None:
    """Feed one reader's view match the grouped values (its ``_lock`` held).

    ``buckets`` (with several readers, which usually share bounds) keeps the bucket
    index of each value per (set, bounds). It is keyed by the bounds' id, as hashing
    a tuple of floats per set cost more than the bisection it saves, with the bounds
    kept beside the indexes so an id is only trusted for the same tuple.
    """
    # Created in order of first appearance, as the SDK's records would; the SDK's
    # own lookup first, as its ``consume_measurement`` does.
    existing = getattr(match, "_attributes_aggregation", _NO_AGGREGATIONS)
    targets = []
    for found, values in groups.items():
        aggregation = existing.get(found.key)
        if aggregation is None:
            aggregation = match._get_or_create_aggregation(found.key, dict(found.attributes))
        targets.append((found, values, aggregation))
    if len({target[2] for target in targets}) < len(targets):  # aggregations by identity
        _aggregate_shared(targets, items)  # sets past the cardinality limit
        return
    for found, values, aggregation in targets:
        bounds = aggregation._boundaries
        if len(values) == 1:  # the usual group with many sets: ``_aggregate`` inline
            _aggregate_one(aggregation, values[0], bisect_left(bounds, values[0]))
            continue
        if buckets is None:
            indexes = [bisect_left(bounds, value) for value in values]
        else:
            cached = buckets.get((found, id(bounds)))
            if cached is not None and cached[0] is bounds:
                indexes = cached[1]
            else:
                indexes = [bisect_left(bounds, value) for value in values]
                buckets[found, id(bounds)] = (bounds, indexes)
        _aggregate(aggregation, values, indexes)


def _aggregate_one(aggregation: Any, value: float, index: int) -> None:
    """``_aggregate`` of one value; comparisons instead of ``min()``/``max()`` calls.

    ``min(low, value)`` keeps ``low`` unless ``value < low``, so this is the same rule.
    """
    with aggregation._lock:
        counts = aggregation._value
        if counts is None:
            counts = aggregation._value = aggregation._get_empty_bucket_counts()
        aggregation._sum += value
        if aggregation._record_min_max:
            if value < aggregation._min:  # noqa: PLR1730 (min() costs a keyword-parsing call)
                aggregation._min = value
            if value > aggregation._max:  # noqa: PLR1730
                aggregation._max = value
        counts[index] += 1


def _aggregate_shared(
    targets: Sequence[tuple[_Set, list[float], Any]], items: Sequence[tuple[_Set, float]]
) -> None:
    """Feed aggregations several sets share (the overflow point) in record order."""
    aggregation_of = {id(found): aggregation for found, _, aggregation in targets}
    values_of: dict[int, tuple[Any, list[float]]] = {}
    for found, value in items:
        aggregation = aggregation_of[id(found)]
        row = values_of.get(id(aggregation))
        if row is None:
            values_of[id(aggregation)] = (aggregation, [value])
        else:
            row[1].append(value)
    for aggregation, values in values_of.values():
        bounds = aggregation._boundaries
        _aggregate(aggregation, values, [bisect_left(bounds, value) for value in values])


def _aggregate(aggregation: Any, values: Sequence[float], indexes: Sequence[int]) -> None:
    """The SDK's ``_ExplicitBucketHistogramAggregation.aggregate``, once per value, in order.

    The sum adds one value at a time (float addition is not associative). ``min`` of
    the running minimum and the batch's minimum is the running ``min`` the SDK takes
    (both keep the earliest of equal values; NaN never gets here), likewise ``max``.
    No exemplar is offered: queued values were recorded where the filter said no.
    """
    with aggregation._lock:
        counts = aggregation._value
        if counts is None:
            counts = aggregation._value = aggregation._get_empty_bucket_counts()
        total = aggregation._sum
        for value in values:
            total += value
        aggregation._sum = total
        if aggregation._record_min_max:
            aggregation._min = min(aggregation._min, *values)
            aggregation._max = max(aggregation._max, *values)
        for index in indexes:
            counts[index] += 1


class _Enabled:
    is_enabled = True


class _AlwaysEnabled:
    _config = _Enabled()


_ALWAYS_ENABLED: Final = _AlwaysEnabled()

_tallies: weakref.WeakKeyDictionary[Any, HistogramTally] = weakref.WeakKeyDictionary()
_tallies_lock: Final = threading.Lock()
_verified: bool | None = None


def fast_histogram(meter: metrics.Meter, histogram: metrics.Histogram) -> Records:
    """``histogram`` behind a ``HistogramTally`` when it is the SDK's and the check passes.

    One tally per SDK histogram (instruments are cached per meter), so instrumenting
    the same provider again reuses the queue and its single flush callback.
    """
    global _verified  # noqa: PLW0603 - one check per process
    sdk = _SDK
    try:
        if sdk is None or type(histogram) is not sdk.histogram_type:
            return histogram
        if type(getattr(histogram, "_measurement_consumer", None)) is not sdk.consumer_type:
            return histogram
        if _verified is None:
            _verified = self_check(sdk)
        if not _verified:
            return histogram
        with _tallies_lock:
            tally = _tallies.get(histogram)
            if tally is None:
                tally = _adopt(meter, histogram, sdk)
                _tallies[histogram] = tally
        return tally
    except Exception as exc:
        swallow("duration histogram setup", exc)
        return histogram


def _adopt(meter: metrics.Meter, histogram: Any, sdk: _Internals) -> HistogramTally:
    tally = HistogramTally(histogram, sdk)
    meter.create_observable_gauge(FLUSH_INSTRUMENT, callbacks=[tally.on_collect])
    return tally


_CHECK_VALUES: Final = (0.0, 0.005, 0.0125, 0.3, 0.1, 7.5, 10.0, 11.0, 1e300, 5e-324, 0.02)
_CHECK_SETS: Final[tuple[Mapping[str, Any], ...]] = (
    {"a": "x"},
    {"b": "y", "a": "x"},
    {},
    {"n": 1, "f": 0.5, "t": True},
    {"a": "x", "b": "y"},
)


def self_check(sdk: _Internals) -> bool:
    """Whether both paths give equal points here, on private providers (cumulative and delta)."""
    try:
        return _points(sdk, tally=True) == _points(sdk, tally=False)
    except Exception:
        return False


def _points(sdk: _Internals, *, tally: bool) -> list[Any]:
    from opentelemetry.sdk.metrics import Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    readers = [
        InMemoryMetricReader(),
        InMemoryMetricReader(preferred_temporality={Histogram: AggregationTemporality.DELTA}),
    ]
    provider = MeterProvider(
        metric_readers=readers,
        exemplar_filter=sdk.trace_based(),
        shutdown_on_exit=False,
    )
    try:
        meter = provider.get_meter("otel_discord.self_check")
        histogram: Any = meter.create_histogram(
            "check", unit="s", explicit_bucket_boundaries_advisory=(0.005, 0.01, 0.1, 10.0)
        )
        sink: Records = _adopt(meter, histogram, sdk) if tally else histogram
        out: list[Any] = []
        for round_ in range(3):
            for index, value in enumerate(_CHECK_VALUES):
                sink.record(value, _CHECK_SETS[(index + round_) % len(_CHECK_SETS)])
            for reader in readers:
                out.append(_describe(reader.get_metrics_data()))
        if isinstance(sink, HistogramTally) and not sink.fast:
            raise RuntimeError("the tally took the SDK's path")
        return out
    finally:
        provider.shutdown()


def _describe(data: Any) -> list[Any]:
    """The points' content and time relations, comparable across two providers."""
    rows = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for p in metric.data.data_points:
                    rows.append(
                        (
                            metric.name,
                            metric.unit,
                            sorted((p.attributes or {}).items()),
                            p.count,
                            p.sum,
                            tuple(p.bucket_counts),
                            tuple(p.explicit_bounds),
                            p.min,
                            p.max,
                            len(p.exemplars),
                            p.start_time_unix_nano < p.time_unix_nano,
                        )
                    )
    return sorted(rows, key=repr)
