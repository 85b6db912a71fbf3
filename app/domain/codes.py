"""Division and township codes (SPEC §4 "Codes", §6.1): the shared basics of every feature."""

from app.core.i18n import tr

# Province-level codes of GB/T 2260.
PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
     *range(61, 66), 71, 81, 82]
)  # fmt: skip


def is_division_code(code: str) -> bool:
    """6 digits whose first two are a province-level code."""
    return len(code) == 6 and code.isascii() and code.isdigit() and int(code[:2]) in PROVINCE_CODES


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
