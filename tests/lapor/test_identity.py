from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from lapor.contact import ContactCipher
from lapor.identity import SealedNumber, nik_problem, open_number, seal_numbers

CIPHER = ContactCipher(Fernet.generate_key())
VALID = "3571015708900001"  # Kota Kediri, a woman born 17-08-1990


def test_a_valid_nik_has_no_problem() -> None:
    assert nik_problem(VALID) is None


@pytest.mark.parametrize(
    ("digits", "says"),
    [
        ("357101570890000", "16 angka; yang Bapak/Ibu kirim 15 angka"),  # wrong length
        ("3571013002901234", "tanggal lahirnya tidak mungkin"),  # 30 February
        ("9971011708450001", "kode wilayah"),  # no such province
        ("0000000000000000", "angka 0 semua"),
    ],
)
def test_a_wrong_nik_is_explained(digits: str, says: str) -> None:
    problem = nik_problem(digits)
    assert problem is not None and says in problem


def test_a_number_in_the_text_is_replaced_and_carried_sealed() -> None:
    text, sealed = seal_numbers("nik ibu saya 3571 0157-0890.0001 belum terdaftar", CIPHER)
    assert text == "nik ibu saya [nomor …0001] belum terdaftar"
    (number,) = sealed
    assert (number.last4, number.problem) == ("0001", None)
    assert open_number(number.token, CIPHER) == VALID
    assert SealedNumber.from_metadata(number.as_metadata()) == number


def test_phone_and_customer_numbers_are_left_alone_a_mistyped_nik_is_not() -> None:
    text, sealed = seal_numbers("hp 081234567890, pelanggan 01.02.03456", CIPHER)
    assert sealed == [] and "081234567890" in text
    text, (number,) = seal_numbers("nik 357101570890000", CIPHER)
    assert "357101570890000" not in text and number.problem is not None
