from __future__ import annotations

import pytest

from lapor.privacy import mask_text


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
