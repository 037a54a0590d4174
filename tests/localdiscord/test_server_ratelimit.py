"""Rate-limit headers and 429s per webhook, per channel (shared) and global, on a fake clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from otel_discord.testing import DiscordServer, Fault, ViolationKind
from tests.support import BODY, UA, UNLIMITED, v10


class FakeClock:
    """A monotonic clock the test moves by hand, so windows never depend on real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers=UA, timeout=5) as shared:
        yield shared


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def kinds(srv: DiscordServer) -> list[str]:
    return [v.kind.value for v in srv.violations]


class TestHeaders:
    """Every answer describes its bucket the way Discord does."""

    def test_remaining_counts_down(self, client: httpx.Client, clock: FakeClock) -> None:
        with DiscordServer(webhook_limit=(5, 2.0), clock=clock) as srv:
            url = v10(srv.create_webhook())
            responses = [client.post(url, json=BODY) for _ in range(5)]
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0"]
        assert {"5"} == {r.headers["X-RateLimit-Limit"] for r in responses}
        assert {"2.000"} == {r.headers["X-RateLimit-Reset-After"] for r in responses}
        assert len({r.headers["X-RateLimit-Bucket"] for r in responses}) == 1
        reset = float(responses[0].headers["X-RateLimit-Reset"])
        assert time.time() - 5 < reset < time.time() + 10

    def test_reset_after_counts_from_the_first_request(
        self, client: httpx.Client, clock: FakeClock
    ) -> None:
        with DiscordServer(webhook_limit=(5, 2.0), clock=clock) as srv:
            url = v10(srv.create_webhook())
            client.post(url, json=BODY)
            clock.advance(0.5)
            later = client.post(url, json=BODY)
        assert later.headers["X-RateLimit-Reset-After"] == "1.500"

    def test_error_answers_carry_headers_too(self, client: httpx.Client) -> None:
        with DiscordServer() as srv:
            url = v10(srv.create_webhook())
            invalid = client.post(url, json={**BODY, "content": "c" * 2001})
            unknown = client.post(url.replace("/webhooks/", "/webhooks/1"), json=BODY)
        assert invalid.status_code == 400
        assert unknown.status_code == 404
        for response in (invalid, unknown):
            assert "X-RateLimit-Remaining" in response.headers

    def test_buckets_are_per_webhook(self, client: httpx.Client, clock: FakeClock) -> None:
        with DiscordServer(webhook_limit=(2, 2.0), channel_limit=UNLIMITED, clock=clock) as srv:
            first, second = v10(srv.create_webhook()), v10(srv.create_webhook())
            client.post(first, json=BODY)
            client.post(first, json=BODY)
            other = client.post(second, json=BODY)
        assert (other.status_code, other.headers["X-RateLimit-Remaining"]) == (204, "1")


class TestWebhookBucket:
    """A client that ignores Remaining == 0 gets a 429 scope user and a recorded violation."""

    def test_exceeding_is_429_user_and_a_violation(
        self, client: httpx.Client, clock: FakeClock
    ) -> None:
        with DiscordServer(webhook_limit=(2, 2.0), clock=clock) as srv:
            url = v10(srv.create_webhook())
            client.post(url, json=BODY)
            client.post(url, json=BODY)
            clock.advance(0.5)
            limited = client.post(url, json=BODY)
            assert limited.status_code == 429
            body = limited.json()
            assert (
                body["message"],
                body["retry_after"],
                body["global"],
            ) == ("You are being rate limited.", 1.5, False)
            assert limited.headers["X-RateLimit-Scope"] == "user"
            assert limited.headers["Retry-After"] == "2"
            assert limited.headers["X-RateLimit-Remaining"] == "0"
            assert [v.kind for v in srv.violations] == [ViolationKind.SENT_WHILE_EXHAUSTED]
            assert srv.invalid_requests == 1
            assert srv.stats().rate_limited == {"user": 1}
            assert len(srv.messages()) == 2

    def test_waiting_for_reset_after_is_clean(self, client: httpx.Client, clock: FakeClock) -> None:
        """A client that reads the headers and waits never sees a 429 or a violation."""
        with DiscordServer(webhook_limit=(3, 2.0), channel_limit=UNLIMITED, clock=clock) as srv:
            url = v10(srv.create_webhook())
            statuses = []
            for _ in range(10):
                response = client.post(url, json=BODY)
                statuses.append(response.status_code)
                if response.headers["X-RateLimit-Remaining"] == "0":
                    clock.advance(float(response.headers["X-RateLimit-Reset-After"]))
            assert statuses == [204] * 10
            assert srv.violations == []
            assert srv.invalid_requests == 0


class TestChannelLimit:
    """A channel's limit is shared by all its webhooks and answered with scope shared."""

    def test_two_webhooks_share_the_channel(self, client: httpx.Client, clock: FakeClock) -> None:
        with DiscordServer(webhook_limit=UNLIMITED, channel_limit=(3, 60.0), clock=clock) as srv:
            first, second = v10(srv.create_webhook("logs")), v10(srv.create_webhook("logs"))
            elsewhere = v10(srv.create_webhook("analytics"))
            for url in (first, second, first):
                assert client.post(url, json=BODY).status_code == 204
            limited = client.post(second, json=BODY)
            assert limited.status_code == 429
            assert (
                limited.json()["code"],
                limited.json()["global"],
                limited.json()["retry_after"],
            ) == (20028, False, 60.0)
            assert limited.headers["X-RateLimit-Scope"] == "shared"
            assert client.post(elsewhere, json=BODY).status_code == 204
            assert srv.violations == []
            assert srv.invalid_requests == 0
            assert srv.stats().rate_limited == {"shared": 1}

    def test_retrying_before_retry_after_is_a_violation(
        self, client: httpx.Client, clock: FakeClock
    ) -> None:
        with DiscordServer(webhook_limit=UNLIMITED, channel_limit=(1, 10.0), clock=clock) as srv:
            url = v10(srv.create_webhook("logs"))
            client.post(url, json=BODY)
            assert client.post(url, json=BODY).status_code == 429
            clock.advance(1.0)
            assert client.post(url, json=BODY).status_code == 429
            assert kinds(srv) == ["ignored retry_after"]
            clock.advance(9.0)
            assert client.post(url, json=BODY).status_code == 204
            assert len(srv.violations) == 1


class TestGlobalLimit:
    """The global limit spans every route and says so in the body and headers."""

    def test_exceeding_is_429_global(self, client: httpx.Client, clock: FakeClock) -> None:
        with DiscordServer(
            webhook_limit=UNLIMITED, channel_limit=UNLIMITED, global_limit=(3, 1.0), clock=clock
        ) as srv:
            urls = [v10(srv.create_webhook(f"c{i}")) for i in range(4)]
            statuses = [client.post(url, json=BODY).status_code for url in urls]
            assert statuses == [204, 204, 204, 429]
            limited = client.post(urls[0], json=BODY)
            assert (limited.json()["global"], limited.json()["retry_after"]) == (True, 1.0)
            assert limited.headers["X-RateLimit-Scope"] == "global"
            assert limited.headers["X-RateLimit-Global"] == "true"
            assert kinds(srv) == ["ignored retry_after"]
            assert srv.invalid_requests == 2
            clock.advance(1.0)
            assert client.post(urls[3], json=BODY).status_code == 204


FORCED = [
    (Fault.RATE_LIMIT_USER, "user", None, False),
    (Fault.RATE_LIMIT_GLOBAL, "global", None, True),
    (Fault.RATE_LIMIT_SHARED, "shared", 20028, False),
]


class TestForcedRateLimits:
    """Injected 429s look like real ones and hold for forced_retry_after."""

    @pytest.mark.parametrize(("fault", "scope", "code", "is_global"), FORCED)
    def test_forced_429(
        self,
        client: httpx.Client,
        clock: FakeClock,
        fault: Fault,
        scope: str,
        code: int | None,
        is_global: bool,
    ) -> None:
        with DiscordServer(clock=clock) as srv:
            srv.forced_retry_after = 0.25
            url = v10(srv.create_webhook())
            srv.inject(fault)
            limited = client.post(url, json=BODY)
            assert limited.status_code == 429
            body = limited.json()
            assert (0.25, is_global, code) == (
                body["retry_after"],
                body["global"],
                body.get("code"),
            )
            assert scope == limited.headers["X-RateLimit-Scope"]
            assert srv.violations == []
            clock.advance(0.25)
            assert client.post(url, json=BODY).status_code == 204

    def test_ignoring_a_forced_user_limit_is_a_violation(
        self, client: httpx.Client, clock: FakeClock
    ) -> None:
        with DiscordServer(clock=clock) as srv:
            url = v10(srv.create_webhook())
            srv.inject(Fault.RATE_LIMIT_USER)
            client.post(url, json=BODY)
            assert client.post(url, json=BODY).status_code == 429
            assert kinds(srv) == ["sent while Remaining was 0"]
