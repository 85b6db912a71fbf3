"""Calls grouped on the event loop (app/core/grouped.py): while a group runs, the calls that
arrive go together in the next; each caller gets its own result; a failed group fails each of
its calls and no other."""

import asyncio

import pytest

from app.core.grouped import Grouped


def test_calls_that_arrive_while_a_group_runs_go_together() -> None:
    groups: list[list[int]] = []

    async def double(items: list[int]) -> list[int]:
        groups.append(items)
        await asyncio.sleep(0.01)  # in flight while the others arrive
        return [2 * i for i in items]

    async def main() -> list[int]:
        grouped = Grouped(double)
        first = asyncio.ensure_future(grouped.submit(0))
        await asyncio.sleep(0)  # its group is running
        return [await first, *await asyncio.gather(*(grouped.submit(i) for i in range(1, 10)))]

    assert asyncio.run(main()) == [2 * i for i in range(10)]
    # The first call starts a group at once; the nine that came meanwhile are the next.
    assert groups == [[0], list(range(1, 10))]


def test_a_failed_group_fails_its_calls_only() -> None:
    async def refuse_sevens(items: list[int]) -> list[int]:
        await asyncio.sleep(0.01)
        if 7 in items:
            raise ValueError("seven")
        return items

    async def main() -> list[object]:
        grouped = Grouped(refuse_sevens)
        first = asyncio.ensure_future(grouped.submit(1))
        await asyncio.sleep(0)  # the first group is running
        second = [grouped.submit(i) for i in (6, 7, 8)]
        outcomes = await asyncio.gather(first, *second, return_exceptions=True)
        after = await grouped.submit(9)  # and a later group runs again
        return [*outcomes, after]

    outcomes = asyncio.run(main())
    assert outcomes[0] == 1
    assert all(isinstance(o, ValueError) for o in outcomes[1:4])
    assert outcomes[4] == 9


def test_a_caller_that_leaves_keeps_its_item_in_the_group() -> None:
    """A client that disconnects cancels its request: the audit row it was waiting for is
    still written (the group is not cut short)."""
    done: list[int] = []

    async def record(items: list[int]) -> list[None]:
        await asyncio.sleep(0.01)
        done.extend(items)
        return [None] * len(items)

    async def main() -> None:
        grouped = Grouped(record)
        waiting = asyncio.ensure_future(grouped.submit(1))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await grouped.stop()

    asyncio.run(main())
    assert done == [1]
