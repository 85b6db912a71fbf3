"""Identity and division codes (SPEC §4 "Codes")."""

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

# Province-level codes of GB/T 2260.
PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
     *range(61, 66), 71, 81, 82]
)  # fmt: skip


def is_division_code(code: str) -> bool:
    """6 digits whose first two are a province-level code."""
    return len(code) == 6 and code.isascii() and code.isdigit() and int(code[:2]) in PROVINCE_CODES


def normalize_id_number(value: str) -> str:
    """A lower-case check character `x` is stored as `X` (before the uniqueness check)."""
    return value[:-1] + "X" if value.endswith("x") else value


def id_number_problem(id_number: str, today: date) -> str | None:
    """Why `id_number` is not a valid GB 11643 number, or None when it is.

    Only the province of the region code is checked: numbers keep the codes of divisions that
    have since been abolished, so python-stdnum's full `validate` (which looks the region up)
    would refuse real people. Its check-character and birth-date parts are used.
    """
    if len(id_number) != 18 or not id_number.isascii():
        return "An ID number has 18 characters."
    if not id_number[:17].isdigit() or not (id_number[17].isdigit() or id_number[17] == "X"):
        return "An ID number is 17 digits and a check character (0-9 or X)."
    if int(id_number[:2]) not in PROVINCE_CODES:
        return "An ID number starts with a province-level code."
    try:
        born = ric.get_birth_date(id_number)
    except StdnumError:
        return "The birth date in the ID number is not a real date."
    if not date(1900, 1, 1) <= born <= today:
        return "The birth date in the ID number is outside 1900-01-01..today."
    if ric.calc_check_digit(id_number[:17]) != id_number[17]:
        return "The check character of the ID number is wrong."
    return None


def jurisdiction_prefix(code: str) -> str:
    """SPEC §6.1: the code with trailing `00` pairs removed (`441700` -> `4417`)."""
    while code.endswith("00") and code:
        code = code[:-2]
    return code
