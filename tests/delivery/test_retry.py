"""RetrySchedule: when an outbox entry is tried again after a temporary failure, or never."""

from datetime import datetime, timedelta, timezone

import pytest

from graphpost.delivery.retry import RetrySchedule

QUEUED = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
SCHEDULE = RetrySchedule(first=timedelta(seconds=10), maximum=timedelta(seconds=100), lifetime=timedelta(hours=1))


def test_defaults_are_postfix_ones() -> None:
    # minimal_backoff_time, maximal_backoff_time, maximal_queue_lifetime
    assert RetrySchedule() == RetrySchedule(timedelta(seconds=300), timedelta(seconds=4000), timedelta(days=5))


def test_the_first_retry_comes_after_first() -> None:
    now = QUEUED + timedelta(seconds=3)
    assert SCHEDULE.next_attempt(1, QUEUED, now) == now + timedelta(seconds=10)


@pytest.mark.parametrize(("failed_attempts", "wait"), [(1, 10), (2, 20), (3, 40), (4, 80)])
def test_each_wait_doubles_the_one_before(failed_attempts: int, wait: int) -> None:
    now = QUEUED + timedelta(minutes=5)
    assert SCHEDULE.next_attempt(failed_attempts, QUEUED, now) == now + timedelta(seconds=wait)


@pytest.mark.parametrize("failed_attempts", [5, 6, 10])
def test_the_wait_is_capped_at_maximum(failed_attempts: int) -> None:
    now = QUEUED + timedelta(minutes=5)
    assert SCHEDULE.next_attempt(failed_attempts, QUEUED, now) == now + timedelta(seconds=100)


@pytest.mark.parametrize("failed_attempts", [40, 108, 1000])
def test_the_default_wait_stays_capped_after_days_of_retries(failed_attempts: int) -> None:
    # With the defaults a message is tried about 108 times in its five days (300 s doubling up to
    # 4000 s): the doubling must not outgrow what a timedelta can hold before the cap applies.
    now = QUEUED + timedelta(days=2)
    assert RetrySchedule().next_attempt(failed_attempts, QUEUED, now) == now + timedelta(seconds=4000)


def test_no_retry_once_the_message_is_older_than_its_lifetime() -> None:
    assert SCHEDULE.next_attempt(1, QUEUED, QUEUED + timedelta(hours=1, seconds=1)) is None
    assert SCHEDULE.next_attempt(7, QUEUED, QUEUED + timedelta(days=3)) is None


def test_a_retry_that_still_falls_within_the_lifetime_is_scheduled() -> None:
    now = QUEUED + timedelta(minutes=58)
    assert SCHEDULE.next_attempt(6, QUEUED, now) == now + timedelta(seconds=100)
    # Exactly at the end of the lifetime is still within it.
    now = QUEUED + timedelta(minutes=60) - timedelta(seconds=100)
    assert SCHEDULE.next_attempt(6, QUEUED, now) == QUEUED + timedelta(hours=1)


def test_no_retry_is_scheduled_past_the_lifetime() -> None:
    # The lifetime counts from when the message was queued, not from the last attempt.
    now = QUEUED + timedelta(minutes=59)
    assert SCHEDULE.next_attempt(6, QUEUED, now) is None
    assert SCHEDULE.next_attempt(6, QUEUED + timedelta(minutes=2), now) == now + timedelta(seconds=100)
