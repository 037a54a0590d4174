"""Which error records report an exception that is already on its way to Discord.

Records of one exception object share a token (:mod:`otel_discord.exception_ids`):
the first is shown, the others are skipped, and records of *different*
exceptions are all counted, whatever span they share. A span error from another
instrumentation carries no token; it pairs with one log record of the same span
and exception type instead (the classic "span + ``logger.exception``" pair).
"""

from __future__ import annotations

from collections import OrderedDict

from otel_discord.records import Occurrence

_SIDES = {True: "span", False: "log"}


class Sightings:
    """A bounded memory of what was shown. Not thread-safe: the pipeline holds a lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._keys: OrderedDict[str, str | None] = OrderedDict()

    def seen_before(self, occurrence: Occurrence, *, from_span: bool) -> bool:
        """True when ``occurrence`` repeats a record already shown; else remember it."""
        token = occurrence.exception_id
        if token is not None and f"exc:{token}" in self._keys:
            return True
        pair = None
        if occurrence.span_id and occurrence.exc_type:
            # the bridge names exceptions bare, the instrumentation fully qualified
            short_type = occurrence.exc_type.rsplit(".", 1)[-1]
            pair = f"{occurrence.span_id}:{short_type}"
            other = f"pair:{_SIDES[not from_span]}:{pair}"
            if other in self._keys and (token is None or self._keys[other] is None):
                del self._keys[other]  # one span error pairs with one log record
                return True
        if token is not None:
            self._remember(f"exc:{token}", token)
        if pair is not None:
            self._remember(f"pair:{_SIDES[from_span]}:{pair}", token)
        return False

    def _remember(self, key: str, token: str | None) -> None:
        self._keys[key] = token
        self._keys.move_to_end(key)
        while len(self._keys) > self.limit:
            self._keys.popitem(last=False)
