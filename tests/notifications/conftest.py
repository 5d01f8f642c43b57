from __future__ import annotations

from typing import Iterator

import pytest

from tests.notifications.receiver import WebhookReceiver


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
