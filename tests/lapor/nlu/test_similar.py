"""lapor.nlu.similar: near duplicates for the editors' inbox."""

from __future__ import annotations

from pathlib import Path

from lapor.nlu.examples import Example
from lapor.nlu.files import NluData
from lapor.nlu.similar import near_duplicates


def test_near_duplicates_find_small_edits_most_similar_first(data: NluData) -> None:
    original = data.examples("report_water")[0].text
    edited = original.replace("2 hari", "3 hari")
    hits = near_duplicates(data, edited)
    assert hits[0][:2] == ("report_water", 0)
    assert 0.85 <= hits[0][2] < 1
    assert [hit[2] for hit in hits] == sorted((hit[2] for hit in hits), reverse=True)
    assert near_duplicates(data, original)[0] == ("report_water", 0, 1.0)


def test_near_duplicates_ignore_unrelated_sentences(data: NluData) -> None:
    assert near_duplicates(data, "jadwal vaksin kucing gratis minggu depan di alun-alun") == []
    assert near_duplicates(data, "") == []


def test_near_duplicates_see_changes_made_since_loading(small: Path) -> None:
    nlu = NluData.load(small)
    assert near_duplicates(nlu, "sound horeg tiap malam minggu bikin kaca bergetar") == []
    nlu.add("report_water", Example("sound horeg tiap malam minggu bikin kaca getar"))
    hits = near_duplicates(nlu, "sound horeg tiap malam minggu bikin kaca bergetar")
    assert [hit[:2] for hit in hits] == [("report_water", len(nlu.examples("report_water")) - 1)]
