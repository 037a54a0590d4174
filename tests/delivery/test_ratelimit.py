"""Rate-limit bookkeeping, driven by an explicit clock."""

from __future__ import annotations

import pytest

from otel_discord.delivery.ratelimit import (
    RESET_MARGIN_S,
    DestinationLimiter,
    HostLimiter,
    RateLimitHeaders,
    SlidingWindow,
    retry_after_s,
)

HEADERS = {
    "X-RateLimit-Limit": "5",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset-After": "1.250",
    "X-RateLimit-Bucket": "abc",
}


class TestRateLimitHeaders:
    """Every X-RateLimit header is read, whatever its case."""

    def test_reads_all_headers(self) -> None:
        parsed = RateLimitHeaders.parse({**HEADERS, "x-ratelimit-scope": "shared"})
        assert parsed == RateLimitHeaders(5, 0, 1.25, "abc", "shared", is_global=False)

    def test_none_without_any_header(self) -> None:
        assert RateLimitHeaders.parse({"Content-Type": "text/plain"}) is None

    def test_garbage_values_become_none(self) -> None:
        parsed = RateLimitHeaders.parse({"X-RateLimit-Remaining": "many"})
        assert parsed is not None
        assert parsed.remaining is None

    def test_global_flag(self) -> None:
        parsed = RateLimitHeaders.parse({"X-RateLimit-Global": "true"})
        assert parsed is not None
        assert parsed.is_global


class TestRetryAfter:
    """The body's float beats the header's whole seconds."""

    def test_body_float_wins(self) -> None:
        assert 0.321 == retry_after_s({"Retry-After": "1"}, {"retry_after": 0.321})

    def test_header_when_body_is_not_json(self) -> None:
        assert 2.0 == retry_after_s({"Retry-After": "2"}, None)

    @pytest.mark.parametrize("body", [{"retry_after": True}, {"retry_after": -1}, {}])
    def test_invalid_body_values_are_ignored(self, body: dict[str, object]) -> None:
        assert retry_after_s({}, body) is None


class TestSlidingWindow:
    """A window admits ``limit`` events per period, then says how long to wait."""

    def test_admits_up_to_limit(self) -> None:
        window = SlidingWindow(2, 1.0, margin=0.0)
        window.record(0.0)
        assert 0.0 == window.delay(0.1)
        window.record(0.2)
        assert pytest.approx(0.7) == window.delay(0.3)

    def test_old_events_expire(self) -> None:
        window = SlidingWindow(1, 1.0, margin=0.0)
        window.record(0.0)
        assert 0.0 == window.delay(1.0)

    def test_margin_is_added(self) -> None:
        window = SlidingWindow(1, 1.0, margin=0.1)
        window.record(0.0)
        assert pytest.approx(0.6) == window.delay(0.5)


class TestDestinationLimiter:
    """A destination never sends while its bucket is empty."""

    def make(self) -> DestinationLimiter:
        return DestinationLimiter((5, 2.0), (30, 60.0))

    def test_floor_before_any_header(self) -> None:
        limiter = self.make()
        for _ in range(5):
            assert 0.0 == limiter.delay(0.0)
            limiter.on_send(0.0)
        assert limiter.delay(0.0) >= 2.0

    def test_waits_for_reset_when_remaining_is_zero(self) -> None:
        limiter = self.make()
        limiter.on_send(0.0)
        parsed = RateLimitHeaders.parse(HEADERS)
        assert parsed is not None
        limiter.on_headers(parsed, 0.0)
        assert pytest.approx(1.25 + RESET_MARGIN_S) == limiter.delay(0.0)
        assert 0.0 == limiter.delay(1.25 + RESET_MARGIN_S)

    def test_headers_replace_the_floor(self) -> None:
        limiter = self.make()
        parsed = RateLimitHeaders.parse(
            {**HEADERS, "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "40"}
        )
        assert parsed is not None
        limiter.on_headers(parsed, 0.0)
        for _ in range(10):
            assert 0.0 == limiter.delay(0.0)
            limiter.on_send(0.0)

    def test_counts_down_locally_between_answers(self) -> None:
        limiter = self.make()
        parsed = RateLimitHeaders.parse({**HEADERS, "X-RateLimit-Remaining": "1"})
        assert parsed is not None
        limiter.on_headers(parsed, 0.0)
        limiter.on_send(0.0)
        assert limiter.delay(0.0) > 0.0

    def test_pause(self) -> None:
        limiter = self.make()
        limiter.pause(3.0, 0.0)
        assert pytest.approx(3.0 + RESET_MARGIN_S) == limiter.delay(0.0)

    def test_channel_ceiling(self) -> None:
        limiter = DestinationLimiter((100, 1.0), (3, 60.0))
        for _ in range(3):
            limiter.on_send(0.0)
        assert limiter.delay(1.0) > 58.0


class TestHostLimiter:
    """Limits shared by every destination on a host."""

    def make(self, pause_at: int = 500) -> HostLimiter:
        return HostLimiter((50, 1.0), (5, 1.0), pause_at, 600.0)

    def test_bot_share_only_limits_bot_destinations(self) -> None:
        host = self.make()
        for _ in range(5):
            assert 0.0 == host.acquire(0.0, bot=True)
        assert host.acquire(0.0, bot=True) > 0.0
        assert 0.0 == host.acquire(0.0, bot=False)

    def test_global_rate(self) -> None:
        host = self.make()
        for _ in range(50):
            assert 0.0 == host.acquire(0.0, bot=False)
        assert host.acquire(0.0, bot=False) > 0.0

    def test_pause_stops_everyone(self) -> None:
        host = self.make()
        host.pause(2.0, 0.0)
        assert host.acquire(1.0, bot=False) > 0.0
        assert 0.0 == host.acquire(2.0 + RESET_MARGIN_S, bot=False)

    def test_invalid_budget_pauses_long_before_the_ban(self) -> None:
        host = self.make(pause_at=3)
        for t in range(3):
            host.record_invalid(float(t))
        assert pytest.approx(600.0 - 10.0) == host.acquire(10.0, bot=False)
        assert 0.0 == host.acquire(600.0, bot=False)

    def test_bans_grow_and_reset_on_success(self) -> None:
        host = self.make()
        assert 60.0 == host.record_ban(60.0, 1800.0, 0.0)
        assert 120.0 == host.record_ban(60.0, 1800.0, 0.0)
        assert host.acquire(100.0, bot=False) > 0.0
        host.record_success()
        assert 60.0 == host.record_ban(60.0, 1800.0, 0.0)

    def test_ban_is_capped(self) -> None:
        host = self.make()
        waits = [host.record_ban(60.0, 300.0, 0.0) for _ in range(10)]
        assert 300.0 == max(waits)
