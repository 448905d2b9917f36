from __future__ import annotations

import asyncio

from lapor.periodic import repeat


async def test_a_failing_round_does_not_stop_the_next() -> None:
    rounds = []

    async def job() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database away")
        return 1

    task = asyncio.ensure_future(repeat(job, 0.01, "test"))
    while len(rounds) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    assert rounds[:3] == [0, 1, 2]


async def test_a_stop_lets_the_round_in_hand_finish_and_starts_no_other() -> None:
    stop = asyncio.Event()
    finished: list[int] = []

    async def job() -> int:
        stop.set()  # asked to stop while this round is running
        await asyncio.sleep(0.05)
        finished.append(1)
        return 1

    await asyncio.wait_for(repeat(job, 60, "test", stop), timeout=2)
    assert finished == [1]
