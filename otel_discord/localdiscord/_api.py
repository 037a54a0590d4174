"""What the local Discord does with a request: auth, rate limits, validation, recording.

``LocalDiscord.handle`` takes a parsed HTTP request and returns a ``Reply``; the
HTTP plumbing lives in ``_server``. One lock guards all state. The order of the
checks follows Discord's: global limit, authentication and existence, the route
bucket, the body, then the channel's shared limit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from otel_discord.localdiscord import _routes as r
from otel_discord.localdiscord._link_filter import HARMFUL_LINK, links_blocked_host
from otel_discord.localdiscord._message_routes import answer_message_route
from otel_discord.localdiscord._model import Fault, Message, Stats, Violation, ViolationKind
from otel_discord.localdiscord._ratelimit import Bucket, bucket_hash, retry_after_header
from otel_discord.localdiscord._routes import Reply, Route
from otel_discord.localdiscord._upload_route import file_reply, is_multipart, read_files
from otel_discord.localdiscord._uploads import UPLOAD_LIMIT, StoredFile, check_references
from otel_discord.localdiscord._validate import check_message
from otel_discord.localdiscord._views import local_view, message_object

PERMISSIONS = frozenset({"VIEW_CHANNEL", "SEND_MESSAGES", "EMBED_LINKS", "ATTACH_FILES"})
_DISCORD_EPOCH_MS = 1_420_070_400_000
_HARD_FAULTS = frozenset(
    {
        Fault.SERVER_ERROR,
        Fault.BAD_GATEWAY_HTML,
        Fault.SERVICE_UNAVAILABLE,
        Fault.RESET,
        Fault.CLOUDFLARE_BAN,
    }
)

Limit = tuple[int, float]


@dataclass
class _Channel:
    name: str
    id: str


@dataclass
class _Webhook:
    id: str
    token: str = field(repr=False)
    channel: _Channel
    name: str
    deleted: bool = False


@dataclass
class _Bot:
    id: str
    name: str
    permissions: frozenset[str]


@dataclass
class _Armed:
    fault: Fault
    remaining: int
    webhook_id: str | None


@dataclass
class _Call:
    """One API request on its way through the checks."""

    route: Route
    method: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes | None
    fault: Fault | None
    now: float = 0.0


@dataclass
class _Target:
    """Who is posting where, once authenticated."""

    channel: _Channel
    bucket_key: str
    webhook: _Webhook | None = None
    bot: _Bot | None = None


class _Snowflakes:
    """Increasing Discord-style ids, so ``after=<id>`` polling is a plain comparison."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        value = (int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22
        self._last = max(value, self._last + 1)
        return str(self._last)


def _author_id(target: _Target) -> str:
    if target.webhook is not None:
        return target.webhook.id
    return target.bot.id if target.bot is not None else "0"


def _token_key(token: str) -> str:
    """A digest to remember a refused token by, without keeping the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class LocalDiscord:
    """The state and rules of the fake Discord API."""

    def __init__(
        self,
        *,
        webhook_limit: Limit,
        channel_limit: Limit,
        global_limit: Limit,
        clock: Callable[[], float],
    ) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.slow_seconds = 1.0
        self.forced_retry_after = 0.5
        self.max_body_bytes = 1024 * 1024
        self.max_upload_bytes = UPLOAD_LIMIT
        self.base_url = ""
        self._clock = clock
        self._webhook_limit = webhook_limit
        self._channel_limit = channel_limit
        self._global = Bucket(*global_limit)
        self._global_until = float("-inf")
        self._ids = _Snowflakes()
        self._channels: dict[str, _Channel] = {}
        self._webhooks: dict[str, _Webhook] = {}
        self._bots: dict[str, _Bot] = {}
        self._buckets: dict[str, Bucket] = {}
        self._channel_buckets: dict[str, Bucket] = {}
        self._shared_until: dict[str, float] = {}
        self._refused: set[str] = set()
        self._faults: list[_Armed] = []
        self.blocked_hosts: frozenset[str] = frozenset()
        """Hosts the harmful-links filter refuses (400 code 240000)."""
        self.messages: list[Message] = []
        self.revision = 0
        """Counts creates, edits and deletes, so a viewer can ask what changed since."""
        self.deleted: list[tuple[int, Message]] = []
        """(revision, message) of deleted messages, for viewers that show them."""
        self.violations: list[Violation] = []
        self.internal_errors: list[str] = []
        self._reset_stats()

    # ----- administration (called by DiscordServer, under the lock) -----

    def _reset_stats(self) -> None:
        self._requests = 0
        self._ok = 0
        self._by_status: Counter[int] = Counter()
        self._by_code: Counter[int] = Counter()
        self._by_scope: Counter[str] = Counter()
        self._resets = 0
        self.invalid_requests = 0

    def clear(self) -> None:
        self.messages.clear()
        self.deleted.clear()
        self.violations.clear()
        self.internal_errors.clear()
        self._reset_stats()

    def channel(self, name: str) -> _Channel:
        if name not in self._channels:
            self._channels[name] = _Channel(name, self._ids.next())
        return self._channels[name]

    def channel_named(self, name: str) -> _Channel:
        try:
            return self._channels[name]
        except KeyError:
            msg = f"no channel named {name!r}"
            raise KeyError(msg) from None

    def add_webhook(self, channel: str, name: str, token: str) -> str:
        hook = _Webhook(self._ids.next(), token, self.channel(channel), name)
        self._webhooks[hook.id] = hook
        return hook.id

    def delete_webhook(self, webhook_id: str) -> None:
        if webhook_id not in self._webhooks:
            msg = f"no webhook with id {webhook_id}"
            raise KeyError(msg)
        self._webhooks[webhook_id].deleted = True

    def add_bot(self, token: str, name: str, permissions: frozenset[str]) -> None:
        unknown = permissions - PERMISSIONS
        if unknown:
            msg = f"unknown permissions {sorted(unknown)}; known: {sorted(PERMISSIONS)}"
            raise ValueError(msg)
        old = self._bots.get(token)
        bot = _Bot(old.id if old else self._ids.next(), name, permissions)
        self._bots[token] = bot
        self._refused = {key for key in self._refused if f":{bot.id}:" not in key}

    def arm(self, fault: Fault, count: int, webhook_id: str | None) -> None:
        self._faults.append(_Armed(Fault(fault), count, webhook_id))

    def stats(self) -> Stats:
        return Stats(
            requests=self._requests,
            ok=self._ok,
            by_status=dict(self._by_status),
            by_code=dict(self._by_code),
            rate_limited=dict(self._by_scope),
            resets=self._resets,
            invalid_requests=self.invalid_requests,
        )

    def channels_json(self) -> list[dict[str, Any]]:
        counts = Counter(m.channel for m in self.messages)
        hooks = Counter(h.channel.name for h in self._webhooks.values() if not h.deleted)
        return [
            {"name": c.name, "id": c.id, "webhooks": hooks[c.name], "messages": counts[c.name]}
            for c in self._channels.values()
        ]

    def body_cap(self, headers: Mapping[str, str]) -> int:
        """The largest body read: the upload limit for multipart, else the JSON limit."""
        if is_multipart(headers.get("content-type", "")):
            return self.max_upload_bytes + 64 * 1024  # the JSON part and the framing
        return self.max_body_bytes

    # ----- request handling -----

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Reply:
        """Answer one request; ``headers`` has lower-case names; ``body`` None means too large."""
        try:
            split = urlsplit(target)
            if split.path.startswith("/_local/"):
                with self.lock:
                    return self._local(method, split.path, parse_qs(split.query))
            route = r.match_route(split.path)
            if route is None:
                return r.error(*r.NOT_FOUND)
            if method not in route.methods:
                return r.error(*r.METHOD_NOT_ALLOWED)
            with self.lock:
                fault = self._take_fault(route)
            if fault is Fault.SLOW:
                self.stopping.wait(self.slow_seconds)
            with self.lock:
                self._requests += 1
                call = _Call(route, method, parse_qs(split.query), headers, body, fault)
                call.now = self._clock()
                reply = self._api(call)
                self._count(reply)
                return reply
        except Exception as exc:  # never crash the server thread; remember it for tests
            with self.lock:
                self.internal_errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return r.error(*r.SERVER_ERROR)

    def _take_fault(self, route: Route) -> Fault | None:
        for armed in self._faults:
            if armed.webhook_id in (None, route.major if route.kind == "webhook" else None):
                armed.remaining -= 1
                if armed.remaining <= 0:
                    self._faults.remove(armed)
                return armed.fault
        return None

    def _count(self, reply: Reply) -> None:
        if reply.reset:
            self._resets += 1
            return
        if 200 <= reply.status < 300:
            self._ok += 1
        else:
            self._by_status[reply.status] += 1
        if reply.code:
            self._by_code[reply.code] += 1
        if reply.status == 429:
            self._by_scope[reply.scope or "user"] += 1
        if reply.status in (401, 403) or (reply.status == 429 and reply.scope != "shared"):
            self.invalid_requests += 1

    def _violate(self, kind: ViolationKind, detail: str, call: _Call) -> None:
        self.violations.append(Violation(kind, detail, call.route.redacted))

    def _api(self, call: _Call) -> Reply:
        self._check_protocol(call)
        if call.fault in _HARD_FAULTS:
            return self._fault_reply(call)
        limited = self._global_gate(call)
        if limited is not None:
            return limited
        target = self._resolve(call)
        if isinstance(target, Reply):
            return target
        key = f"{call.method}:{target.bucket_key}"
        if call.route.message_id is not None:
            key += ":message"  # Edit/Get/Delete Message: a bucket of its own per method
        bucket = self._buckets.setdefault(key, Bucket(*self._webhook_limit))
        limited = self._route_gate(call, key, bucket)
        if limited is not None:
            return limited
        rl = bucket.headers(call.now, bucket_hash(f"{call.method} {call.route.template}"))
        return self._answer(call, target, key, rl)

    def _answer(self, call: _Call, target: _Target, key: str, rl: dict[str, str]) -> Reply:
        """The route's own work, once the caller is known and within its limits."""
        if call.route.message_id is not None:
            return answer_message_route(self, call, target, rl)
        if call.method == "GET":
            return r.json_reply(200, self._describe(target), rl)
        return self._post(call, target, key, rl)

    def _check_protocol(self, call: _Call) -> None:
        agent = call.headers.get("user-agent", "")
        if not agent.startswith("DiscordBot ("):
            detail = f"User-Agent {agent[:60]!r}"
            self._violate(ViolationKind.NO_DISCORDBOT_USER_AGENT, detail, call)
        version = call.route.version
        if version is None:
            self._violate(ViolationKind.UNVERSIONED_API, "no /v10/ in the path", call)
        elif version != r.API_VERSION:
            self._violate(ViolationKind.UNVERSIONED_API, f"API v{version}, not v10", call)

    def _peek(self, call: _Call) -> dict[str, str]:
        """Rate-limit headers for a reply given before the route bucket is known."""
        bucket = Bucket(*self._webhook_limit)
        return bucket.headers(call.now, bucket_hash(f"{call.method} {call.route.template}"))

    def _fault_reply(self, call: _Call) -> Reply:
        if call.fault is Fault.RESET:
            return Reply(0, reset=True)
        if call.fault is Fault.BAD_GATEWAY_HTML:
            return Reply(502, r.BAD_GATEWAY_HTML, {"Content-Type": "text/html"})
        if call.fault is Fault.CLOUDFLARE_BAN:
            text = {"Content-Type": "text/plain"}
            return Reply(429, r.CLOUDFLARE_BAN_TEXT, text, scope="cloudflare")
        which = r.SERVER_ERROR if call.fault is Fault.SERVER_ERROR else r.SERVICE_UNAVAILABLE
        return r.error(*which, headers=self._peek(call))

    def _rate_limited(
        self, scope: str, after: float, headers: dict[str, str], *, code: int | None = None
    ) -> Reply:
        body: dict[str, Any] = {
            "message": "You are being rate limited.",
            "retry_after": round(after, 3),
            "global": scope == "global",
        }
        if code is not None:
            body["code"] = code
        extra = {"Retry-After": retry_after_header(after), "X-RateLimit-Scope": scope}
        if scope == "global":
            extra["X-RateLimit-Global"] = "true"
        reply = r.json_reply(429, body, {**headers, **extra}, code=code)
        reply.scope = scope
        return reply

    def _global_gate(self, call: _Call) -> Reply | None:
        now = call.now
        if call.fault is Fault.RATE_LIMIT_GLOBAL:
            self._global.block(now, self.forced_retry_after)
        elif not self._global.exhausted(now):
            self._global.take(now)
            return None
        elif now < self._global_until:
            detail = "sent during a global rate limit"
            self._violate(ViolationKind.IGNORED_RETRY_AFTER, detail, call)
        after = self._global.reset_after(now)
        self._global_until = now + after
        return self._rate_limited("global", after, self._peek(call))

    def _refuse(self, key: str, which: tuple[int, int, str], call: _Call) -> Reply:
        """Answer 401/403/404 and note a client that comes back after one."""
        status = which[0]
        if key in self._refused:
            kind = {
                401: ViolationKind.REUSE_AFTER_401,
                403: ViolationKind.REUSE_AFTER_403,
                404: ViolationKind.REUSE_AFTER_404,
            }[status]
            self._violate(kind, f"came back after a {status} ({which[2]})", call)
        self._refused.add(key)
        return r.error(*which, headers=self._peek(call))

    def _resolve(self, call: _Call) -> _Target | Reply:
        route = call.route
        if route.kind in ("webhook", "webhook_message"):
            hook = self._webhooks.get(route.major)
            if hook is None or hook.deleted:
                return self._refuse(f"404:webhook:{route.major}", r.UNKNOWN_WEBHOOK, call)
            if route.token != hook.token:
                key = f"401:webhook:{route.major}:{_token_key(route.token)}"
                return self._refuse(key, r.INVALID_WEBHOOK_TOKEN, call)
            return _Target(hook.channel, f"webhook:{hook.id}", webhook=hook)
        return self._resolve_bot(call)

    def _resolve_bot(self, call: _Call) -> _Target | Reply:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        bot = self._bots.get(token) if scheme == "Bot" else None
        if bot is None:
            return self._refuse(f"401:bot:{_token_key(token)}", r.UNAUTHORIZED, call)
        major = call.route.major
        channel = next((c for c in self._channels.values() if c.id == major), None)
        if channel is None:
            return self._refuse(f"404:{bot.id}:{major}", r.UNKNOWN_CHANNEL, call)
        missing = None
        if "VIEW_CHANNEL" not in bot.permissions:
            missing = r.MISSING_ACCESS
        elif call.method == "POST" and "SEND_MESSAGES" not in bot.permissions:
            missing = r.MISSING_PERMISSIONS
        if missing is not None:
            return self._refuse(f"403:{bot.id}:{channel.id}", missing, call)
        return _Target(channel, f"bot:{bot.id}:channel:{channel.id}", bot=bot)

    def _route_gate(self, call: _Call, key: str, bucket: Bucket) -> Reply | None:
        now = call.now
        if call.fault is Fault.RATE_LIMIT_USER:
            bucket.block(now, self.forced_retry_after)
        elif bucket.exhausted(now):
            after = bucket.reset_after(now)
            detail = f"{bucket.limit} per {bucket.window:g}s bucket, empty for {after:.3f}s more"
            self._violate(ViolationKind.SENT_WHILE_EXHAUSTED, detail, call)
        else:
            if now < self._shared_until.get(key, float("-inf")):
                detail = "sent again before a shared 429's retry_after elapsed"
                self._violate(ViolationKind.IGNORED_RETRY_AFTER, detail, call)
            bucket.take(now)
            return None
        headers = bucket.headers(now, bucket_hash(f"{call.method} {call.route.template}"))
        return self._rate_limited("user", bucket.reset_after(now), headers)

    def _parse(self, call: _Call, rl: dict[str, str]) -> object:
        """The decoded JSON body, or a Reply refusing it."""
        if call.body is None:
            reply = r.error(*r.TOO_LARGE, headers=rl)
            reply.close = True
            return reply
        content_type = call.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            detail = f"Content-Type {content_type[:40]!r}; the body is not read as JSON"
            self._violate(ViolationKind.WRONG_CONTENT_TYPE, detail, call)
            return r.error(*r.EMPTY_MESSAGE, headers=rl)
        try:
            return json.loads(call.body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return r.error(*r.INVALID_JSON, headers=rl)

    def _judge(
        self,
        call: _Call,
        payload: object,
        target: _Target,
        rl: dict[str, str],
        files: list[StoredFile] | None = None,
    ) -> Reply | None:
        """Validate the body, note its violations, and refuse it like Discord would."""
        verdict = check_message(payload, webhook=target.webhook is not None)
        for path in verdict.unknown_keys:
            detail = f"{path[:80]!r} is not a Discord key"
            self._violate(ViolationKind.UNKNOWN_JSON_KEY, detail, call)
        problem = verdict.mention_problem
        if problem == "missing allowed_mentions":
            self._violate(ViolationKind.MISSING_ALLOWED_MENTIONS, problem, call)
        elif problem is not None:
            self._violate(ViolationKind.PERMISSIVE_ALLOWED_MENTIONS, problem, call)
        if verdict.errors is not None:
            return r.invalid_form_body(verdict.errors, rl)
        if verdict.empty and not files:
            return r.error(*r.EMPTY_MESSAGE, headers=rl)
        return self._filter(call, payload, target, rl, files)

    def _filter(
        self,
        call: _Call,
        payload: object,
        target: _Target,
        rl: dict[str, str],
        files: list[StoredFile] | None,
    ) -> Reply | None:
        """A valid message Discord may still refuse: its links, the bot's permissions."""
        if links_blocked_host(payload, self.blocked_hosts):
            return r.error(*HARMFUL_LINK, headers=rl)
        bot = target.bot
        embeds = isinstance(payload, dict) and payload.get("embeds")
        if bot is not None and embeds and "EMBED_LINKS" not in bot.permissions:
            key = f"403:{bot.id}:{target.channel.id}"
            return self._refuse(key, r.MISSING_PERMISSIONS, call)
        if bot is not None and files and "ATTACH_FILES" not in bot.permissions:
            key = f"403:{bot.id}:{target.channel.id}"
            return self._refuse(key, r.MISSING_PERMISSIONS, call)
        refused = check_references(payload, files or [])
        if refused is not None:
            return r.invalid_form_body(refused.errors or {}, rl)
        return None

    def _post(self, call: _Call, target: _Target, key: str, rl: dict[str, str]) -> Reply:
        files: list[StoredFile] = []
        content_type = call.headers.get("content-type", "")
        if call.body is not None and is_multipart(content_type):
            read = read_files(call.body, content_type, self.max_upload_bytes, self._ids.next, rl)
            if isinstance(read, Reply):
                return read
            payload, files, ignored = read
            for name in ignored:
                self._violate(ViolationKind.UNKNOWN_JSON_KEY, f"form field {name[:60]!r}", call)
        else:
            payload = self._parse(call, rl)
            if isinstance(payload, Reply):
                return payload
        refused = self._judge(call, payload, target, rl, files) or self._channel_gate(
            call, target, key, rl
        )
        if refused is not None:
            return refused
        assert isinstance(payload, dict)
        thread = call.query.get("thread_id", [None])[-1] if target.webhook is not None else None
        message = self._record(target, payload, files, thread)
        wait = call.query.get("wait", ["false"])[-1].lower() in ("true", "1")
        if target.webhook is not None and not wait:
            return Reply(204, headers=rl)
        webhook_id = target.webhook.id if target.webhook is not None else None
        obj = message_object(message, _author_id(target), webhook_id, base_url=self.base_url)
        return r.json_reply(200, obj, rl)

    def _channel_gate(
        self, call: _Call, target: _Target, key: str, rl: dict[str, str]
    ) -> Reply | None:
        now = call.now
        bucket = self._channel_buckets.setdefault(target.channel.id, Bucket(*self._channel_limit))
        if call.fault is Fault.RATE_LIMIT_SHARED:
            bucket.block(now, self.forced_retry_after)
        if bucket.take(now):
            return None
        after = bucket.reset_after(now)
        self._shared_until[key] = now + after
        return self._rate_limited("shared", after, rl, code=20028)

    def _record(
        self,
        target: _Target,
        payload: dict[str, Any],
        files: list[StoredFile] | None = None,
        thread_id: str | None = None,
    ) -> Message:
        if target.webhook is not None:
            name = payload.get("username")
            author = name.strip() if isinstance(name, str) and name.strip() else target.webhook.name
        else:
            assert target.bot is not None
            author = target.bot.name
        message = Message(
            id=self._ids.next(),
            channel=target.channel.name,
            channel_id=target.channel.id,
            webhook_id=target.webhook.id if target.webhook else None,
            author=author,
            payload=payload,
            received_at=time.time(),
            author_id=_author_id(target),
            files=tuple(files or ()),
            thread_id=thread_id,
        )
        self.revision += 1
        message = dataclasses.replace(message, revision=self.revision)
        self.messages.append(message)
        return message

    def _describe(self, target: _Target) -> dict[str, Any]:
        """The object a GET on the webhook or channel returns (no token in it)."""
        if target.webhook is not None:
            return {
                "id": target.webhook.id,
                "type": 1,
                "name": target.webhook.name,
                "avatar": None,
                "channel_id": target.channel.id,
                "guild_id": "1",
                "application_id": None,
            }
        return {"id": target.channel.id, "type": 0, "name": target.channel.name, "guild_id": "1"}

    # ----- the read API for tests and the preview page -----

    def _local(self, method: str, path: str, query: dict[str, list[str]]) -> Reply:
        if method != "GET":
            return r.error(*r.METHOD_NOT_ALLOWED)
        served = file_reply(path, self.messages)
        if served is not None:
            return served
        return local_view(
            path,
            query,
            messages=self.messages,
            deleted=self.deleted,
            violations=self.violations,
            stats=self.stats(),
            channels=self.channels_json(),
        )


def _reject_constant(name: str) -> object:
    """Discord's JSON parser refuses NaN and Infinity; so do we."""
    msg = f"{name} is not JSON"
    raise ValueError(msg)
