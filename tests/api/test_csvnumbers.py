"""The numbers_csv upload rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.api.csvnumbers import CsvError, parse_numbers_csv

DOC_EXAMPLE = (
    "0,lastname,firstname,birthdate,gender,vip\n"
    '"+33612345678",Doe,John,1990-10-22,male,1\n'
    "+33 6 12 34 56 79,Roe,,,female\n"
)


def test_documentation_example():
    assert parse_numbers_csv(DOC_EXAMPLE.encode()) == [
        (
            "+33612345678",
            {
                "lastname": "Doe",
                "firstname": "John",
                "birthdate": "1990-10-22",
                "gender": "male",
                "vip": "1",
            },
        ),
        ("+33612345679", {"lastname": "Roe", "gender": "female"}),
    ]


def test_bom_crlf_and_quoted_newlines():
    content = '\ufeffnum,"first name",note\r\n+33612345678,Jean,"a,b\r\nc"\r\n'.encode()
    assert parse_numbers_csv(content) == [
        ("+33612345678", {"firstname": "Jean", "note": "a,b\r\nc"})
    ]


def test_header_keys_lose_non_word_characters():
    content = "n,Prénom-1,é.t!é,a b\n+33612345678,x,y,z\n"
    assert parse_numbers_csv(content) == [("+33612345678", {"Prénom1": "x", "été": "y", "ab": "z"})]


def test_duplicate_header_takes_first_position_last_value():
    content = "n,a,a\n+33612345678,x,y\n"
    assert parse_numbers_csv(content) == [("+33612345678", {"a": "y"})]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("n\n0612345678\n", "Erreur à la ligne 2 colonne 1, numéro de téléphone invalide."),
        (
            "n\n+33612345678\n\n+33612345679\n",
            "Erreur à la ligne 3 colonne 1, numéro de téléphone invalide.",
        ),
        (
            'n,a\n+33612345678,"x\ny"\n33612345678,z\n',
            "Erreur à la ligne 3 colonne 1, numéro de téléphone invalide.",
        ),
        ("n\n", "no valid number in csv file."),
        ("", "no valid number in csv file."),
        ("n,a\n+33612345678,x,y\n", "Erreur à la ligne 2, 3 colonnes pour 2 colonnes d'en-tête."),
        ("n;a\n+33612345678;x\n", "Erreur à la ligne 2 colonne 1, numéro de téléphone invalide."),
    ],
)
def test_refusals(content, message):
    with pytest.raises(CsvError) as caught:
        parse_numbers_csv(content)
    assert str(caught.value) == message


def test_trailing_blank_lines_are_ignored():
    assert parse_numbers_csv("n\n+33612345678\n\n\n") == [("+33612345678", {})]


def test_limits_and_encoding():
    with pytest.raises(CsvError, match="UTF-8"):
        parse_numbers_csv(b"n,a\n+33612345678,\xe9\n")
    with pytest.raises(CsvError, match="octets"):
        parse_numbers_csv(b"n\n" + b"+33612345678\n" * 10, max_bytes=50)
    with pytest.raises(CsvError, match="plus de 2 lignes"):
        parse_numbers_csv("n\n" + "+33612345678\n" * 3, max_rows=2)


def test_default_region_extension():
    assert parse_numbers_csv("n\n0612345678\n", default_region="FR") == [("+33612345678", {})]


@given(st.binary(max_size=200))
def test_any_bytes_give_numbers_or_csv_error(content):
    try:
        result = parse_numbers_csv(content)
    except CsvError:
        return
    assert all(number.startswith("+") for number, _ in result)
