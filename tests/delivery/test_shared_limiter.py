"""A destination's limiter shared by its sender and its live message: check and count at once."""

from __future__ import annotations

import threading

from otel_discord.delivery.ratelimit import DestinationLimiter


class TestReserve:
    """``reserve`` takes a slot in the same step as the check; ``release`` gives it back."""

    def test_the_last_slot_goes_once(self) -> None:
        limiter = DestinationLimiter((2, 2.0), (30, 60.0))
        assert [0.0, 0.0] == [limiter.reserve(10.0), limiter.reserve(10.1)]
        wait = limiter.reserve(10.2)
        assert 1.8 < wait < 1.9  # the first slot frees at 12.0 (+ a 0.05 s margin)

    def test_release_returns_an_unused_slot(self) -> None:
        limiter = DestinationLimiter((1, 2.0), (30, 60.0))
        assert 0.0 == limiter.reserve(10.0)
        limiter.release(10.0)
        assert 0.0 == limiter.reserve(10.1)

    def test_two_threads_never_take_more_than_the_floor(self) -> None:
        """Eight threads race for five slots at one instant: exactly five get one."""
        limiter = DestinationLimiter((5, 2.0), (30, 60.0))
        start = threading.Barrier(8)
        granted: list[float] = []
        lock = threading.Lock()

        def take() -> None:
            start.wait()
            for _ in range(10):
                if limiter.reserve(50.0) <= 0:
                    with lock:
                        granted.append(50.0)

        threads = [threading.Thread(target=take) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 5 == len(granted)
