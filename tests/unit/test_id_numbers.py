"""GB 11643 ID numbers (SPEC §4), checked against the standard rather than our own code.

The oracle is the standard's published examples and its weights written out in
`tests/ids.py`; the service computes the check character with python-stdnum.
"""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.register.id_numbers import id_number_problem, normalize_id_number
from tests.ids import CHECK_CHARACTERS, WEIGHTS, check_character

TODAY = date(2026, 12, 2)

# Published valid numbers: GB 11643-1999's own examples, and python-stdnum's documentation.
PUBLISHED_VALID = ["11010519491231002X", "440524188001010014", "360426199101010071"]


def test_the_oracle_reproduces_the_standards_examples() -> None:
    # Worked by hand for 11010519491231002: 1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1
    # + 4*6 + 9*3 + 1*7 + 2*9 + 3*10 + 1*5 + 0*8 + 0*4 + 2*2 = 167; 167 mod 11 = 2 -> "X".
    assert sum(int(d) * w for d, w in zip("11010519491231002", WEIGHTS, strict=True)) == 167
    assert CHECK_CHARACTERS[167 % 11] == "X"
    for number in PUBLISHED_VALID:
        assert check_character(number[:17]) == number[17]


@pytest.mark.parametrize("number", PUBLISHED_VALID)
def test_published_numbers_are_valid(number: str) -> None:
    assert id_number_problem(number, TODAY) is None


@pytest.mark.parametrize("number", PUBLISHED_VALID)
@pytest.mark.parametrize("position", range(18))
def test_any_one_character_changed_is_refused(number: str, position: int) -> None:
    # MOD 11-2 catches every single substitution: no changed character may pass.
    for replacement in "0123456789X":
        if replacement == number[position]:
            continue
        changed = number[:position] + replacement + number[position + 1 :]
        assert id_number_problem(changed, TODAY) is not None, changed


def test_lower_case_x_is_normalised() -> None:
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"
    assert id_number_problem(normalize_id_number("11010519491231002x"), TODAY) is None


province = st.sampled_from(["11", "15", "31", "44", "62", "65", "82"])
birth = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
rest = st.text("0123456789", min_size=7, max_size=7)


@given(province=province, born=birth, rest=rest)
def test_exactly_one_check_character_is_accepted(province: str, born: date, rest: str) -> None:
    first17 = f"{province}{rest[:4]}{born:%Y%m%d}{rest[4:]}"
    accepted = [c for c in "0123456789X" if id_number_problem(first17 + c, TODAY) is None]
    assert accepted == [check_character(first17)]


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("44170218991231001", "17 characters"),
        ("99052418800101001" + check_character("99052418800101001"), "no such province"),
        ("44170219900230001" + check_character("44170219900230001"), "1990-02-30"),
        ("44170217991231001" + check_character("44170217991231001"), "born 1799"),
        ("44170220990101001" + check_character("44170220990101001"), "born after today"),
    ],
)
def test_other_rules_still_refuse(number: str, why: str) -> None:
    assert id_number_problem(number, TODAY) is not None, why
