from __future__ import annotations

import pytest

from lapor.privacy import mask_names, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("hubungi 0812-3456-7890 ya", "hubungi 0812-****-**** ya"),
        ("wa 081234567890", "wa 0812********"),
        ("+62 812 3456 7890", "+62 81* **** ****"),
        ("+6281234567890", "+6281*********"),
        ("62 857.1111.2222", "62 85*.****.****"),
        ("no 081234567890,081298765432", "no 0812********,0812********"),
        ("NIK 3571012345670001.", "NIK 3571************."),
        ("nik: 3571 0123 4567 0001", "nik: 3571 **** **** ****"),
    ],
)
def test_mobile_numbers_and_nik_keep_only_their_first_four_digits(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Laporan KDR-2026-000123",
        "tanggal 2026-11-29 jam 08.30",
        "biaya Rp 1.500.000",
        "kode 08123",
        "RT 03 RW 05, Jl. Dhoho 112",
        # Longer runs of digits are no number of a person: left alone.
        "rekening 35710123456700012",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("nama saya Budi Santoso, lampu mati", "nama saya [nama], lampu mati"),
        ("Namaku Andi", "Namaku [nama]"),
        ("nama aku Tono", "nama aku [nama]"),
        ("atas nama: Siti Aminah", "atas nama: [nama]"),
        ("a.n. Dewi Lestari", "a.n. [nama]"),
        ("an. Hadi", "an. [nama]"),
        ("Saya Joko dari Kel. Bandar Lor", "Saya [nama] dari Kel. Bandar Lor"),
        ("kulo Paijo badhe lapor", "kulo [nama] badhe lapor"),
        ("dengan Bu Ani", "dengan Bu [nama]"),
        ("lapor ke Pak Slamet di Jl. Mawar", "lapor ke Pak [nama] di Jl. Mawar"),
        ("mbak Rina bilang Sdr. Eko sudah lapor", "mbak [nama] bilang Sdr. [nama] sudah lapor"),
        ("aku Rina Jalan Veteran rusak", "aku [nama] Jalan Veteran rusak"),
    ],
)
def test_names_after_an_introduction_or_a_title_are_masked(text: str, masked: str) -> None:
    assert mask_names(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "saya mau lapor lampu mati",
        "saya tinggal di Jalan Mawar",
        "dengan Jl. Veteran",
        "aku dari Kel. Bandar Lor",
        "sudah lapor ke Pak RT dan Bu Lurah",
        "Bapak/Ibu petugas, jalan berlubang",
        "saya [nama]",
    ],
)
def test_places_offices_and_lower_case_words_are_not_taken_for_names(text: str) -> None:
    assert mask_names(text) == text


def test_masking_names_leaves_masked_numbers_alone() -> None:
    text = mask_text("nama saya Budi, wa 081234567890")
    assert mask_names(text) == "nama saya [nama], wa 0812********"
