"""Calls made while one is in flight run together as the next group, on the event loop
(issue 18): a read's audit rows are committed in one insert, concurrent scores read in one
statement, each caller released with its own result once its group is done.

The first call starts a group at once; calls that arrive while it runs wait for it and then
go together. A caller waits for at most one group in progress and its own. A group that fails
fails every call of it (their answers become 503), none of which was answered before.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Grouped(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self.run = run  # a group's items -> their results, in the same order
        self._queued: list[tuple[T, asyncio.Future[R]]] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queued.append((item, done))
        if self._running is None:
            self._running = asyncio.create_task(self._run_groups())
        # Shielded: a caller that goes away (its client left) leaves its item in its group.
        return await asyncio.shield(done)

    async def stop(self) -> None:
        """At shutdown, once the items queued so far are done."""
        if self._running is not None:
            await self._running

    async def _run_groups(self) -> None:
        try:
            while self._queued:
                group, self._queued = self._queued, []
                try:
                    results = await self.run([item for item, _ in group])
                except Exception as exc:
                    for _, done in group:
                        done.set_exception(exc)
                else:
                    for (_, done), result in zip(group, results, strict=True):
                        done.set_result(result)
        finally:
            self._running = None
