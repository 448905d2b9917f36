from __future__ import annotations

import pytest

from lapor.facilities import default_facilities


@pytest.mark.parametrize(
    "written", ["smpn4", "SMP N 4", "smp negeri 4 kediri", "anak saya di SMPN 4 kelas 8"]
)
def test_the_ways_a_state_school_is_written_name_one_school(written: str) -> None:
    found = default_facilities().find(written, "school")
    assert found is not None and found.name == "SMP Negeri 4 Kediri"


def test_a_number_is_a_whole_word_smpn_1_is_not_smpn_10() -> None:
    assert default_facilities().find("smpn 10", "school") is None
    found = default_facilities().find("smpn 1", "school")
    assert found is not None and found.name == "SMP Negeri 1 Kediri"


def test_roman_numerals_and_short_forms_find_the_puskesmas() -> None:
    found = default_facilities().find("antri lama di pkm pesantren 2", "health")
    assert found is not None and found.name == "Puskesmas Pesantren II"
    assert default_facilities().find("rs gambiran penuh", "health").name == "RSUD Gambiran"


def test_a_kind_keeps_schools_and_health_facilities_apart() -> None:
    assert default_facilities().find("puskesmas sukorame", "school") is None
    assert default_facilities().find("sman 2", "health") is None
