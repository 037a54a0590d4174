"""Backoff between retries."""

from __future__ import annotations

import pytest

from otel_discord.delivery.policy import RETRYABLE_STATUSES, backoff_delay


class TestBackoffDelay:
    """Delays grow exponentially, stay capped and keep half of themselves fixed."""

    @pytest.mark.parametrize(("attempt", "ceiling"), [(0, 0.25), (1, 0.5), (3, 2.0), (20, 30.0)])
    def test_bounds(self, attempt: int, ceiling: float) -> None:
        assert ceiling / 2 == backoff_delay(attempt, 0.25, 30.0, rand=lambda: 0.0)
        assert ceiling == backoff_delay(attempt, 0.25, 30.0, rand=lambda: 1.0)

    def test_huge_attempt_does_not_overflow(self) -> None:
        assert 30.0 >= backoff_delay(10_000, 0.25, 30.0)


class TestRetryableStatuses:
    """Only server-side failures are retried with backoff."""

    def test_members(self) -> None:
        assert {500, 502, 503, 504} <= RETRYABLE_STATUSES
        assert not {400, 401, 403, 404, 413, 429} & RETRYABLE_STATUSES
