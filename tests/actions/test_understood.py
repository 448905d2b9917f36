from __future__ import annotations

import pytest

from actions.understood import second_problem


@pytest.mark.parametrize(
    ("text", "main", "other"),
    [
        ("lampu jalan mati dan selokan mampet di depan rumah", "street_light", "drainage"),
        ("jalan berlubang besar, lampu jalan juga mati", "road", "street_light"),
        ("sampah numpuk di TPS; pohon tumbang nutup jalan", "waste", "tree"),
    ],
)
def test_a_second_problem_in_its_own_part_of_the_message_is_found(
    text: str, main: str, other: str
) -> None:
    found = second_problem(text, main)
    assert found is not None and found[0] == other


@pytest.mark.parametrize(
    ("text", "main"),
    [
        ("selokan mampet karena sampah", "drainage"),  # one problem and its cause
        ("lampu jalan mati sudah seminggu", "street_light"),
        ("lampu jalan mati, tolong kk", "street_light"),  # "kk" is "kakak" here
        ("assalamualaikum, lampu jalan mati", "street_light"),
    ],
)
def test_one_problem_is_one_problem(text: str, main: str) -> None:
    assert second_problem(text, main) is None
