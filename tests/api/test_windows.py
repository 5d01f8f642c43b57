"""The sliding window throttling counts with: a fake clock, no sleeps."""

from graphpost.api.windows import SlidingWindow


def test_a_window_is_full_at_its_limit_and_frees_as_its_buckets_expire() -> None:
    window = SlidingWindow(limit=3, window=60)  # buckets of 6 seconds
    window.add(0.0)
    window.add(10.0)
    assert not window.full(11.0)
    window.add(11.0)
    assert window.full(11.0)
    # The first request's bucket (0-6 s) leaves the window at 60 s: then one more fits.
    assert window.retry_after(11.0) == 49
    assert window.full(59.9)
    assert not window.full(60.0)
    assert window.total == 2


def test_retry_after_waits_for_as_many_buckets_as_it_takes_to_get_under_the_limit() -> None:
    window = SlidingWindow(limit=100, window=10)  # buckets of 1 second
    window.add(0.5, 60)
    window.add(3.2, 70)
    assert window.full(4.0)
    # Dropping the first bucket (at 10 s) leaves 70, under 100.
    assert window.retry_after(4.0) == 6
    window.add(4.0, 50)
    # Now 180: the first bucket's expiry leaves 120, still over; the second's (13 s) leaves 50.
    assert window.retry_after(4.0) == 9


def test_retry_after_is_at_least_a_second() -> None:
    window = SlidingWindow(limit=1, window=10)
    window.add(0.0)
    assert window.retry_after(9.99) == 1


def test_an_expired_window_is_empty() -> None:
    window = SlidingWindow(limit=5, window=10)
    window.add(1.0, 3)
    assert not window.empty(5.0)
    assert window.empty(11.0)
    assert window.total == 0
