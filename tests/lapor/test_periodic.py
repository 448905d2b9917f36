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
