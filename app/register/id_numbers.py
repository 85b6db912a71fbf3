"""ID numbers (GB 11643, SPEC §4 "Codes"): the check a holder's number must pass."""

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_11_2

from app.core.i18n import tr
from app.domain.codes import PROVINCE_CODES

# SPEC §4 writes 1900-01-01 as the earliest birth date but also names GB 11643's own example
# 440524188001010014 (born 1880) as valid. The standard's example wins: births from 1800 on.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)


def normalize_id_number(value: str) -> str:
    """A lower-case check character `x` is stored as `X` (before the uniqueness check)."""
    return value[:-1] + "X" if value.endswith("x") else value


def id_number_problem(id_number: str, today: date) -> str | None:
    """Why `id_number` is not a valid GB 11643 number, or None when it is.

    Only the province of the region code is checked: numbers keep the codes of divisions that
    have since been abolished, so python-stdnum's full `validate` (which looks the region up)
    would refuse real people. The check character is ISO 7064 MOD 11-2 over the first 17
    digits; the birth date is read with python-stdnum.
    """
    if len(id_number) != 18 or not id_number.isascii():
        return tr("An ID number has 18 characters.", "身份证号码为 18 位。")
    if not id_number[:17].isdigit() or not (id_number[17].isdigit() or id_number[17] == "X"):
        return tr(
            "An ID number is 17 digits and a check character (0-9 or X).",
            "身份证号码为 17 位数字加一位校验码（0-9 或 X）。",
        )
    if int(id_number[:2]) not in PROVINCE_CODES:
        return tr(
            "An ID number starts with a province-level code.",
            "身份证号码须以省级行政区划代码开头。",
        )
    try:
        born = ric.get_birth_date(id_number)
    except StdnumError:
        return tr(
            "The birth date in the ID number is not a real date.",
            "身份证号码中的出生日期不是真实日期。",
        )
    if not EARLIEST_BIRTH_DATE <= born <= today:
        return tr(
            "The birth date in the ID number is outside 1800-01-01..today.",
            "身份证号码中的出生日期不在 1800-01-01 至今天之间。",
        )
    # `mod_11_2.calc_check_digit` takes the digits without the check character (unlike
    # `ric.calc_check_digit`, which drops the last character of what it is given).
    if mod_11_2.calc_check_digit(id_number[:17]) != id_number[17]:
        return tr("The check character of the ID number is wrong.", "身份证号码校验码错误。")
    return None
