"""The background thread that drains the outboxes of one destination.

One sender per destination: channels that share a webhook share its rate
limit, so they share its sender too. The sender holds at most one batch; it
waits for a free slot, posts, and reacts to the answer (delivered, retry,
refused, or the destination is gone).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

import httpx
from opentelemetry.instrumentation.utils import suppress_instrumentation

from otel_discord.channels import Channel
from otel_discord.delivery.batch import Batch, build_batch, dropped_notice, split_payload
from otel_discord.delivery.core import ChannelState, EngineShared
from otel_discord.delivery.destination import ChannelDestination, Destination, WebhookDestination
from otel_discord.delivery.discord_errors import describe_response, why_unusable
from otel_discord.delivery.file_fallback import fall_back_to_text, files_refused
from otel_discord.delivery.item import Priority
from otel_discord.delivery.outbox import Entry
from otel_discord.delivery.policy import FATAL_STATUSES, RETRYABLE_STATUSES, backoff_delay
from otel_discord.delivery.ratelimit import DestinationLimiter, RateLimitHeaders, retry_after_s
from otel_discord.delivery.redaction import REDACTOR
from otel_discord.delivery.refusal_notice import refusal_notice
from otel_discord.delivery.stats import State, StatusEvent
from otel_discord.render import limits

_logger = logging.getLogger("otel_discord.delivery")
_IDLE_WAIT_S = 5.0
TOKEN_WAIT_S = 0.5
"""How often a destination waiting for the bot's token looks again."""
MAX_PATIENCE = 8.0
"""The longest a request waits for its answer after read timeouts, in request timeouts.

A POST that timed out while Discord was slow is often posted all the same: every retry
with the same timeout posted the message again (8 copies of one error in a minute of
20 s answers). Each read timeout doubles the wait up to this; any answer resets it."""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _blames_the_message(body: Any) -> bool:
    """A 400 whose errors name only message-wide fields (username, content...), not an embed.

    Splitting the message would not help then: every half would be refused again.
    """
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, dict) and bool(errors) and "embeds" not in errors


def _code(body: Any) -> object:
    return body.get("code") if isinstance(body, dict) else None


class DestinationSender:
    """Drains the outboxes of the channels routed to one destination."""

    def __init__(
        self, core: EngineShared, destination: Destination, states: list[ChannelState]
    ) -> None:
        self.core = core
        self.destination = destination
        self.states = states
        self.wake = threading.Event()
        self.state: State = "ok"
        self.disabled = False
        policy = core.policy
        self.limiter = DestinationLimiter(policy.webhook_floor, policy.channel_rate)
        self.host = core.host_for(destination)
        self._bot = isinstance(destination, ChannelDestination)
        self._username = core.username if isinstance(destination, WebhookDestination) else None
        self.files_off = False
        """Set when the bot may not attach files here (403): messages go as text only."""
        self._thread: threading.Thread | None = None
        self._batch: Batch | None = None
        self._next = 0
        self._failing: set[Channel] = set()
        self._by_channel = {s.channel: s for s in states}
        self._patience = 1.0
        """Request timeouts to wait for an answer: doubled per read timeout (``MAX_PATIENCE``)."""

    # -- life cycle ---------------------------------------------------------------

    def after_fork_in_child(self) -> None:
        """The thread is the parent's (it does not exist here): start afresh on next submit."""
        self.wake = threading.Event()
        self._thread = None
        self._batch = None
        self.limiter.after_fork_in_child()

    def start(self) -> None:
        """Start the daemon thread once; called with the engine lock held."""
        if self._thread is None and not self.disabled:
            self._thread = threading.Thread(
                target=self._run, name=f"otel-discord {self.destination.bucket_hint}", daemon=True
            )
            self._thread.start()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread to end; True if it has (or never started)."""
        if self._thread is None:
            return True
        if self._thread is threading.current_thread():
            return False  # shutdown from a status callback: the thread ends by itself
        self._thread.join(max(0.0, timeout_s))
        return not self._thread.is_alive()

    def _run(self) -> None:
        # As the SDK's own exporters do: an installed httpx (or any) instrumentation must
        # not turn our POSTs to Discord into spans, which would be exported to Discord again.
        with suppress_instrumentation():
            self._loop()

    def _loop(self) -> None:
        while not self.core.stop.is_set() and not self.disabled:
            try:
                if self._batch is None:
                    self._batch = self._next_batch()
                if self._batch is not None:
                    self._attempt(self._batch)
            except Exception:  # a bug here must never kill delivery for good
                if self.core.stop.is_set():
                    return  # shut down under a request in flight: its client was closed
                _logger.exception(
                    "sender for %s failed; dropping the message in hand", self.destination.redacted
                )
                self._abandon()
                self.core.stop.wait(1.0)

    # -- taking work ---------------------------------------------------------------

    def _ready(self, state: ChannelState, now: float) -> float:
        """0 if ``state`` should be sent now, else how long it may still linger."""
        outbox = state.outbox
        if (
            self.core.flushing
            or self.core.stop.is_set()
            or outbox.has_urgent()
            or outbox.unreported
            or len(outbox) >= limits.MESSAGE_EMBEDS
        ):
            return 0.0
        oldest = outbox.oldest()
        age = now - oldest.enqueued_at if oldest is not None else 0.0
        return max(0.0, self.core.policy.linger_s - age)

    def _pick(self, now: float) -> tuple[ChannelState | None, float | None]:
        """Round-robin over channels with work; else the shortest linger left."""
        shortest: float | None = None
        count = len(self.states)
        for i in range(count):
            state = self.states[(self._next + i) % count]
            if not len(state.outbox):
                continue
            linger = self._ready(state, now)
            if linger <= 0:
                self._next = (self._next + i + 1) % count
                return state, None
            shortest = linger if shortest is None else min(shortest, linger)
        return None, shortest

    def _next_batch(self) -> Batch | None:
        self.wake.clear()
        entries: list[Entry] = []
        tally: Counter[Priority] = Counter()
        # Shutting down: what cannot all go in time goes newest first (an exit's cause).
        newest_first = self.core.deadline is not None
        with self.core.cond:
            state, linger = self._pick(time.monotonic())
            if state is not None:
                entries = state.outbox.take(limits.MESSAGE_EMBEDS, newest_first=newest_first)
                state.in_hand = entries
                tally = state.outbox.take_unreported()
        if state is None:
            self.wake.wait(_IDLE_WAIT_S if linger is None else linger)
            return None
        notice = dropped_notice(tally) if tally else None
        batch, leftovers = build_batch(
            state.channel, entries, notice, self._username, with_files=not self.files_off
        )
        with self.core.cond:
            state.outbox.put_back(leftovers, newest_first=newest_first)
            for entry in batch.render_failures:
                state.counters.count_drop(entry.item.priority, entry.weight)
            state.in_hand = list(batch.entries)
            if not batch.payloads:
                state.in_hand = []
            self.core.cond.notify_all()
        if tally:
            lost = sum(tally.values())
            _logger.warning(
                "channel %s: %d item(s) dropped, the queue was full", state.channel.value, lost
            )
            detail = notice["description"] if notice else ""
            self.core.emit(StatusEvent(state.channel, "dropped", detail, lost))
        if batch.render_failures:
            failed = sum(entry.weight for entry in batch.render_failures)
            detail = "an item failed to render and was left out (see the log)"
            self.core.emit(StatusEvent(state.channel, "dropped", detail, failed))
        return batch if batch.payloads else None

    # -- sending -------------------------------------------------------------------

    def _attempt(self, batch: Batch) -> None:
        gone = self.core.gone.get(self.destination)
        if gone is not None:  # the status message found it deleted or refused first
            self._disable(*gone, time.monotonic())
            return
        if not self.destination.ready():
            # A channel destination borrowing the bot's token: wait for the bot to connect.
            self.core.stop.wait(TOKEN_WAIT_S)
            return
        now = time.monotonic()
        wait = self.limiter.reserve(now)  # shared with the channel's live message
        if wait <= 0:
            wait = self.host.acquire(now, bot=self._bot)
            if wait > 0:
                self.limiter.release(now)
        if wait > 0:
            self.core.stop.wait(wait)
            return
        try:
            response = self.core.transport.post(
                self.destination, batch.payloads[0], self.core.request_timeout(self._patience)
            )
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.ReadTimeout):  # sent, maybe posted: wait longer next time
                self._patience = min(MAX_PATIENCE, self._patience * 2)
            self._retry(batch, f"{type(exc).__name__}: {exc}".rstrip(": "))
            return
        except (TypeError, ValueError) as exc:  # the message itself would not serialise
            self._isolate(batch, f"the message could not be encoded ({type(exc).__name__})")
            return
        self._patience = 1.0
        self._handle(batch, response, time.monotonic())

    def _handle(self, batch: Batch, response: httpx.Response, now: float) -> None:
        headers = RateLimitHeaders.parse(response.headers)
        status = response.status_code
        if headers is not None and status < 500:
            # A 5xx comes from a gateway or a sick backend; its headers may not
            # describe our bucket, so only the other answers update it.
            self.limiter.on_headers(headers, now)
        if 200 <= status < 300:
            self._delivered(batch)
            return
        body = _json(response)
        detail = REDACTOR.scrub(describe_response(status, body, response.text))
        if status == 429 and headers is None:
            self._banned(batch, detail, now)
        elif status == 429 and headers is not None:
            self._rate_limited(batch, headers, response, now)
        elif status in RETRYABLE_STATUSES or status >= 500:
            # A 503 may say when to come back (Retry-After), as a 429 does.
            told = retry_after_s(response.headers, None) if status == 503 else None
            self._retry(batch, detail, delay=told)
        elif files_refused(status, _code(body), batch.payloads[0]):
            self._files_refused(batch, status, detail, now)
        elif status in FATAL_STATUSES:
            self._disable(status, detail, now)
        elif status == 413:
            self._too_large(batch, detail)
        elif status == 400 and not _blames_the_message(body):
            self._isolate(batch, detail)
        else:
            self._refused(batch, detail)

    def _counters_of(self, batch: Batch) -> ChannelState:
        return self._by_channel[batch.channel]

    def _delivered(self, batch: Batch) -> None:
        # Report before settling: once flush returns, its status events are out.
        self.host.record_success()
        self.state = "ok"
        for channel in sorted(self._failing):
            message = f"{self.destination.redacted}: delivering again"
            _logger.warning("channel %s: %s", channel.value, message)
            self.core.emit(StatusEvent(channel, "recovered", message))
        self._failing.clear()
        payload = batch.payloads.pop(0)
        state = self._counters_of(batch)
        with self.core.cond:
            state.counters.sent_messages += 1
            state.counters.sent_embeds += len(payload.get("embeds") or [])
            batch.attempt = 0
            self._settle_if_done(batch, state)

    def _settle_if_done(self, batch: Batch, state: ChannelState) -> None:
        """Called with the lock held: a batch with no payload left is settled."""
        if not batch.payloads:
            state.in_hand = []
            self._batch = None
            self.core.cond.notify_all()

    def _retry(
        self,
        batch: Batch,
        detail: str,
        *,
        wait: bool = True,
        serious: bool = False,
        delay: float | None = None,
    ) -> None:
        """Keep the batch for another attempt after ``delay`` (the server's word) or a backoff."""
        detail = REDACTOR.scrub(detail)
        batch.attempt += 1
        state = self._counters_of(batch)
        with self.core.cond:
            state.counters.retries += 1
            state.counters.last_error = detail
        self.state = "retrying"
        failing = serious or batch.attempt >= self.core.policy.failing_after
        if failing and batch.channel not in self._failing:
            self._failing.add(batch.channel)
            _logger.warning(
                "channel %s: %s is failing (%s); retrying with backoff",
                batch.channel.value,
                self.destination.redacted,
                detail,
            )
            self.core.emit(
                StatusEvent(
                    batch.channel,
                    "failing",
                    f"{self.destination.redacted}: {detail}",
                    batch.attempt,
                )
            )
        if wait:
            policy = self.core.policy
            if delay is None:
                attempt = batch.attempt - 1
                delay = backoff_delay(attempt, policy.backoff_base_s, policy.backoff_cap_s)
            self.core.stop.wait(min(delay, policy.ban_cap_s))  # a server's word, within reason

    def _banned(self, batch: Batch, detail: str, now: float) -> None:
        """A 429 without rate-limit headers: Cloudflare, not Discord, answered."""
        policy = self.core.policy
        self.host.record_invalid(now)
        pause = self.host.record_ban(policy.ban_base_s, policy.ban_cap_s, now)
        with self.core.cond:
            self._counters_of(batch).counters.rate_limited["cloudflare"] += 1
        message = f"Cloudflare ban ({detail}); every destination on this host pauses {pause:.0f} s"
        self._retry(batch, message, wait=False, serious=True)

    def _rate_limited(
        self, batch: Batch, headers: RateLimitHeaders, response: httpx.Response, now: float
    ) -> None:
        """A 429 from Discord: pause the bucket, the channel or the whole host."""
        body = _json(response)
        is_global = (
            headers.is_global
            or headers.scope == "global"
            or (isinstance(body, dict) and body.get("global") is True)
        )
        scope = "global" if is_global else (headers.scope or "user")
        pause = retry_after_s(response.headers, body)
        if pause is None:
            pause = headers.reset_after if headers.reset_after is not None else 1.0
        pause = min(pause, self.core.policy.max_retry_after_s)
        if is_global:
            self.host.pause(pause, now)
        else:
            self.limiter.pause(pause, now)
        if scope != "shared":
            self.host.record_invalid(now)
        with self.core.cond:
            counters = self._counters_of(batch).counters
            counters.rate_limited[scope] += 1
            counters.retries += 1
        _logger.debug(
            "429 (scope %s) from %s; waiting %.2f s", scope, self.destination.redacted, pause
        )

    def _files_refused(self, batch: Batch, status: int, detail: str, now: float) -> None:
        """Discord refused the files, not the text: the text goes again alone, once."""
        if status == 403:
            self.host.record_invalid(now)
            self.files_off = True  # no Attach Files here: later messages go without files
        event = fall_back_to_text(batch, detail, self.destination.redacted, for_good=status == 403)
        _logger.warning("channel %s: %s", batch.channel.value, event.detail)
        with self.core.cond:
            self._counters_of(batch).counters.retries += 1
        self.core.emit(event)

    def _too_large(self, batch: Batch, detail: str) -> None:
        halves = [] if batch.split else split_payload(batch.payloads[0])
        if not halves:
            self._refused(batch, detail, replace=True)
            return
        batch.payloads[0:1] = halves
        batch.split = True
        with self.core.cond:
            self._counters_of(batch).counters.retries += 1

    def _isolate(self, batch: Batch, detail: str) -> None:
        """One bad embed must not take the others down: halve until it stands alone.

        The good halves are delivered; the embed left alone is refused, reported in
        diagnostics, counted as failed and replaced by a notice in its channel (``_refused``).
        """
        halves = split_payload(batch.payloads[0])
        if not halves:
            self._refused(batch, detail, replace=True)
            return
        batch.payloads[0:1] = halves
        with self.core.cond:
            self._counters_of(batch).counters.retries += 1

    def _refused(self, batch: Batch, detail: str, *, replace: bool = False) -> None:
        """Drop the first payload for good; with ``replace``, a lone embed leaves a notice.

        The notice is sent in the embed's place (same channel, next attempt); a notice
        refused in turn is dropped, so a refusal never loops.
        """
        refused = batch.payloads[0]
        was_notice = any(refused is notice for notice in batch.refusal_notices)
        notice = refusal_notice(refused, detail) if replace and not was_notice else None
        _logger.warning(
            "channel %s: Discord refused a message (%s); that message is dropped%s",
            batch.channel.value,
            detail,
            " and a notice sent in its place" if notice is not None else "",
        )
        if not was_notice:  # the loss was reported once, with the embed it replaced
            self.core.emit(StatusEvent(batch.channel, "bad_request", detail, 1))
        if notice is not None:
            batch.payloads[0] = notice
            batch.refusal_notices.append(notice)
        else:
            batch.payloads.pop(0)
        state = self._counters_of(batch)
        with self.core.cond:
            if not was_notice:
                state.counters.failed += 1
            state.counters.last_error = detail
            self._settle_if_done(batch, state)

    def _disable(self, status: int, detail: str, now: float) -> None:
        """The destination is gone or forbidden: never request it again."""
        self.host.record_invalid(now)
        message = why_unusable(status, self.destination, detail)
        with self.core.cond:
            self.disabled = True  # from here on, submit refuses these channels
            self.state = "disabled"
            lost = {s.channel: sum(e.weight for e in s.pending()) for s in self.states}
        _logger.warning("%s (channels: %s)", message, ", ".join(c.value for c in lost))
        for channel, count in lost.items():
            self.core.emit(StatusEvent(channel, "disabled", message, count))
        with self.core.cond:
            self._batch = None
            for state in self.states:
                state.drop_everything()
                state.counters.last_error = message
            self.core.cond.notify_all()

    def _abandon(self) -> None:
        """After a bug: count whatever was in hand as dropped (and say so) so flush settles."""
        self._batch = None
        lost: dict[Channel, int] = {}
        with self.core.cond:
            for state in self.states:
                for entry in state.in_hand:
                    state.counters.count_drop(entry.item.priority, entry.weight)
                    lost[state.channel] = lost.get(state.channel, 0) + entry.weight
                state.in_hand = []
            self.core.cond.notify_all()
        for channel, count in lost.items():
            detail = "an internal error lost the message in hand (see the log)"
            self.core.emit(StatusEvent(channel, "dropped", detail, count))
