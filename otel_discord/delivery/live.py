"""A message kept current by editing it in place (the status message in diagnostics).

``LiveMessage.update(embeds)`` sets what the message should show; its thread posts
it once (webhook ``?wait=true``, or the bot route, both answer with the message's
id) and from then on PATCHes that message. Only the newest content matters: an
update that arrives while an older one waits replaces it. Edits run in a
rate-limit bucket of their own (Discord gives each route and method one), read
from the headers like creates; creates share the destination's bucket with the
channel's sender. A message someone deleted (404 code 10008) is posted again; a
destination that is gone (unknown webhook, bad token, no permission) stops it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import httpx
from opentelemetry.instrumentation.utils import suppress_instrumentation

from otel_discord.channels import Channel
from otel_discord.delivery.core import EngineShared
from otel_discord.delivery.destination import ChannelDestination, Destination, WebhookDestination
from otel_discord.delivery.discord_errors import describe_response
from otel_discord.delivery.policy import FATAL_STATUSES, backoff_delay
from otel_discord.delivery.ratelimit import DestinationLimiter, RateLimitHeaders, retry_after_s
from otel_discord.delivery.redaction import REDACTOR
from otel_discord.render import limits
from otel_discord.render.embeds import pack_messages
from otel_discord.render.types import Embed, Payload

_logger = logging.getLogger("otel_discord.delivery")

UNKNOWN_MESSAGE: Final = 10008
"""Discord's code for a message that does not exist (deleted by someone)."""
_IDLE_WAIT_S: Final = 5.0
_TOKEN_WAIT_S: Final = 0.5


def create_url(destination: Destination) -> str:
    """Where the message is posted; a webhook must be asked to return the message."""
    if isinstance(destination, WebhookDestination):
        return f"{destination.url}?wait=true"
    return destination.url


def edit_url(destination: Destination, message_id: str) -> str:
    """Edit Webhook Message, or Edit Message on the channel route (contains the secret)."""
    if isinstance(destination, WebhookDestination):
        return f"{destination.url}/messages/{message_id}"
    return f"{destination.url}/{message_id}"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class LiveMessage:
    """One message in one channel, posted once and then edited. Thread-safe."""

    def __init__(
        self,
        core: EngineShared,
        channel: Channel,
        destination: Destination,
        create_limiter: DestinationLimiter,
        *,
        usable: Callable[[], bool] = lambda: True,
        on_gone: Callable[[int, str], None] = lambda status, detail: None,
    ) -> None:
        self.core = core
        self.channel = channel
        self.destination = destination
        self._create_limiter = create_limiter
        policy = core.policy
        # Edits create no message, so the channel's 30-a-minute ceiling does not apply;
        # the global rate stands in for it.
        self.edit_limiter = DestinationLimiter(policy.webhook_floor, policy.global_rate)
        """The edit route's own bucket: the floor until Discord's headers say otherwise."""
        self._host = core.host_for(destination)
        self._bot = isinstance(destination, ChannelDestination)
        self._usable = usable
        self._on_gone = on_gone
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._desired: list[Embed] | None = None
        self._version = 0
        self._done_version = 0
        self._attempt = 0
        self._thread: threading.Thread | None = None
        self.message_id: str | None = None
        self.disabled = False
        self.created = 0
        """Messages posted (the first, and again after each deletion)."""
        self.edited = 0

    def after_fork_in_child(self) -> None:
        """The message is the parent's: the child never edits it (its thread is gone too)."""
        self._cond = threading.Condition()
        self._thread = None
        self.disabled = True
        self.edit_limiter.after_fork_in_child()

    # -- what the owner calls -------------------------------------------------------

    def update(self, embeds: list[Embed]) -> None:
        """Show ``embeds`` next (replacing any update not yet sent); never blocks."""
        with self._cond:
            if self.disabled or self._stop.is_set():
                return
            self._desired = list(embeds)
            self._version += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run,
                    name=f"otel-discord live {self.destination.bucket_hint}",
                    daemon=True,
                )
                self._thread.start()
            self._cond.notify_all()

    def settle(self, timeout_s: float) -> bool:
        """Wait until the newest update is out (or given up on); True if it settled."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        with self._cond:
            while not self._settled():
                if self._stop.is_set():
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
            return True

    def stop(self, timeout_s: float) -> bool:
        """Stop the thread (what is not out by now stays unsent); True once it ended."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(max(0.0, timeout_s))
        return not thread.is_alive()

    def _settled(self) -> bool:
        return self.disabled or self._done_version >= self._version

    # -- the thread ------------------------------------------------------------------

    def _run(self) -> None:
        # As the sender does: an installed httpx instrumentation must not turn our
        # requests to Discord into spans that would be exported to Discord again.
        with suppress_instrumentation():
            self._loop()

    def _loop(self) -> None:
        while not self._stop.is_set() and not self.disabled:
            with self._cond:
                if self._settled():
                    if not self._stop.is_set():  # stop() notifies under this lock
                        self._cond.wait(_IDLE_WAIT_S)
                    continue
                embeds, version = list(self._desired or []), self._version
            try:
                self._attempt_once(embeds, version)
            except Exception:  # a bug here must never take the process down
                _logger.exception("status message for %s failed", self.channel.value)
                self._finish(version)
                self._stop.wait(1.0)

    def _finish(self, version: int) -> None:
        with self._cond:
            self._done_version = max(self._done_version, version)
            self._cond.notify_all()

    def _give_up(self) -> None:
        with self._cond:
            self.disabled = True
            self._cond.notify_all()

    def _attempt_once(self, embeds: list[Embed], version: int) -> None:
        if not self._usable():
            self._give_up()  # the channel's sender found the destination gone
            return
        if not self.destination.ready():
            self._stop.wait(_TOKEN_WAIT_S)
            return
        editing = self.message_id is not None
        limiter = self.edit_limiter if editing else self._create_limiter
        now = time.monotonic()
        wait = limiter.reserve(now)
        if wait <= 0:
            wait = self._host.acquire(now, bot=self._bot)
            if wait > 0:
                limiter.release(now)
        if wait > 0:
            self._stop.wait(wait)
            return
        payload = self._payload(embeds, editing=editing)
        if editing:
            method, url = "PATCH", edit_url(self.destination, self.message_id or "")
        else:
            method, url = "POST", create_url(self.destination)
        try:
            response = self.core.transport.request(
                method, url, self.destination, payload, self.core.request_timeout()
            )
        except httpx.HTTPError as exc:
            self._retry(f"{type(exc).__name__}")
            return
        self._handle(response, limiter, version, editing=editing)

    def _payload(self, embeds: list[Embed], *, editing: bool) -> Payload:
        """The same fitting as every queued message: limits, encodable text, username rules."""
        named = not editing and isinstance(self.destination, WebhookDestination)
        messages = pack_messages(
            embeds[: limits.MESSAGE_EMBEDS], username=self.core.username if named else None
        )
        return messages[0] if messages else {"embeds": [], "allowed_mentions": {"parse": []}}

    def _handle(
        self,
        response: httpx.Response,
        limiter: DestinationLimiter,
        version: int,
        *,
        editing: bool,
    ) -> None:
        now = time.monotonic()
        status = response.status_code
        headers = RateLimitHeaders.parse(response.headers)
        if headers is not None and status < 500:
            limiter.on_headers(headers, now)
        body = _json(response)
        if 200 <= status < 300:
            self._attempt = 0
            if editing:
                self.edited += 1
            else:
                self.created += 1
                message_id = body.get("id") if isinstance(body, dict) else None
                self.message_id = message_id if isinstance(message_id, str) else None
            self._finish(version)
            return
        code = body.get("code") if isinstance(body, dict) else None
        if status == 404 and code == UNKNOWN_MESSAGE and editing:
            _logger.info("the %s status message was deleted; posting a new one", self.channel.value)
            self.message_id = None  # post it again, at once
            return
        if status == 429:
            self._rate_limited(response, headers, body, limiter, now)
            return
        detail = REDACTOR.scrub(describe_response(status, body, response.text))
        if status in FATAL_STATUSES:
            self._host.record_invalid(now)
            _logger.warning("%s status message stopped: %s", self.channel.value, detail)
            self._give_up()
            self._on_gone(status, detail)
        elif status >= 500:
            self._retry(detail)
        else:
            _logger.warning("Discord refused a status message update (%s)", detail)
            self._finish(version)

    def _rate_limited(
        self,
        response: httpx.Response,
        headers: RateLimitHeaders | None,
        body: object,
        limiter: DestinationLimiter,
        now: float,
    ) -> None:
        if headers is None:  # Cloudflare, not Discord: everyone on this host waits
            policy = self.core.policy
            self._host.record_invalid(now)
            self._host.record_ban(policy.ban_base_s, policy.ban_cap_s, now)
            return
        pause = retry_after_s(response.headers, body)
        if pause is None:
            pause = headers.reset_after if headers.reset_after is not None else 1.0
        pause = min(pause, self.core.policy.max_retry_after_s)
        is_global = headers.is_global or headers.scope == "global"
        if is_global:
            self._host.pause(pause, now)
        else:
            limiter.pause(pause, now)
        if headers.scope != "shared":
            self._host.record_invalid(now)

    def _retry(self, detail: str) -> None:
        self._attempt += 1
        policy = self.core.policy
        _logger.debug("status message update failed (%s); retrying", detail)
        self._stop.wait(
            backoff_delay(self._attempt - 1, policy.backoff_base_s, policy.backoff_cap_s)
        )
