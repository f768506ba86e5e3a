"""Retry on a lost race: the one loop every optimistic write uses.

An attempt reads, decides and writes conditioned on what it read; when another writer got there
first it raises `LostRace` and runs again on fresh data, after a short jittered pause, at most
`ATTEMPTS` times. Past that the caller gets 409 CONFLICT and retries on its own schedule.

Also the request's time budget: retries (the SDK's, under throttling) must end while the function
can still answer, or Lambda's timeout turns a 503 into API Gateway's 502. `request_budget` sets it per
request (`api.http.api_endpoint`); `budget_spent` is asked before each DynamoDB attempt.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cashback.errors import Conflict

ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.2


_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request_budget(seconds: float | None) -> Iterator[None]:
    """Calls may start for `seconds` more while the block runs (None: no budget, e.g. a scheduled
    job); the budget ends with the block, so it never reaches the next invocation or test."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_spent() -> bool:
    deadline = _deadline.get()
    return deadline is not None and time.monotonic() >= deadline


class LostRace(Exception):
    """An attempt's conditional write lost to a concurrent change; run it again."""


def retry_on_race[T](attempt: Callable[[], T], conflict_message: str, attempts: int = ATTEMPTS) -> T:
    """What `attempt` returns once it wins; Conflict(conflict_message) when it lost `attempts` times."""
    for number in range(attempts):
        try:
            return attempt()
        except LostRace:
            if number + 1 < attempts:
                time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**number)))  # noqa: S311
    raise Conflict(conflict_message)


def new_revision() -> str:
    """A fresh revision token for optimistic writes: unlike a counter it never repeats, so a writer
    that read an older state (even one deleted and written again since) never passes the condition."""
    return uuid.uuid4().hex
