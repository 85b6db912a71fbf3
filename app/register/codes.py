"""Identity and division codes (SPEC §4 "Codes")."""

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_11_2

from app.core.i18n import tr

# Province-level codes of GB/T 2260.
PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
     *range(61, 66), 71, 81, 82]
)  # fmt: skip


# SPEC §4 writes 1900-01-01 as the earliest birth date but also names GB 11643's own example
# 440524188001010014 (born 1880) as valid. The standard's example wins: births from 1800 on.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)


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


def jurisdiction_prefix(code: str) -> str:
    """SPEC §6.1: the code with trailing `00` pairs removed (`441700` -> `4417`)."""
    while code.endswith("00"):
        code = code[:-2]
    return code


# SPEC §4 (GB/T 10114): the kind of a township-level unit from the last 3 of its 9 digits.
AREA_KINDS = ("subdistrict", "town", "township", "other")


def area_kind(township: str) -> str:
    """`001`-`099` subdistrict (街道), `100`-`199` town (镇), `200`-`399` township (乡, 民族乡
    included), `400`-`999` other (farms, zones' administrative units). The code is checked."""
    number = int(township[6:])
    if number < 100:
        return "subdistrict"
    if number < 200:
        return "town"
    if number < 400:
        return "township"
    return "other"


def township_problem(township: str, district: str) -> str | None:
    """Why `township` is not a township code of `district`, or None when it is. The service
    keeps no list of townships: only the shape and that it lies in the district are checked."""
    if len(township) != 9 or not township.isascii() or not township.isdigit():
        return tr("A township code is 9 digits.", "乡级区划代码为 9 位数字。")
    if township[6:] == "000":
        return tr("A township code does not end in 000.", "乡级区划代码后三位不能为 000。")
    if not township.startswith(district):
        return tr("Must begin with the period's district.", "必须以该记录的 district 开头。")
    return None
