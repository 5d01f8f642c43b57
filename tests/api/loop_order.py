"""Ordering checks for work that must not hold up the event loop: a CPU-heavy step (MIME rendered
or parsed) is held at its start until a light request from another user, sent after the heavy one
reached that step, has been answered. On the event loop, the held step blocks every other request:
the light one cannot be answered, the hold runs out, and the order comes out wrong. No timing is
asserted: the hold's time-out only ends a test that would otherwise wait for ever."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

HOLD = 30.0  # seconds; reached only when the step runs on the event loop


class HeldStep:
    """`module.name` wrapped: each call signals `started`, then waits for `answered` before running."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.started = threading.Event()
        self.answered = threading.Event()
        self.released_by_answer: list[bool] = []
        step = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.started.set()
            self.released_by_answer.append(self.answered.wait(HOLD))
            return step(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


async def finishing_order(step: HeldStep, heavy: Callable[[], Awaitable[Any]],
                          light: Callable[[], Awaitable[Any]]) -> list[str]:
    """Start `heavy`; once it has reached the held step, start `light`. The names in the order
    they finished."""
    finished: list[str] = []

    async def run_heavy() -> None:
        await heavy()
        finished.append("heavy")

    async def run_light() -> None:
        await asyncio.to_thread(step.started.wait, HOLD)
        await light()
        finished.append("light")
        step.answered.set()

    await asyncio.gather(run_heavy(), run_light())
    return finished
