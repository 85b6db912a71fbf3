"""Valid GB 11643 ID numbers for tests, made up (never a real person's)."""

import itertools
from datetime import date, timedelta

from stdnum.cn import ric

_serial = itertools.count(1)


def make_id_number(region: str = "441702", born: date | None = None) -> str:
    """A new, valid number each call: region, birth date, a serial and the check character."""
    n = next(_serial)
    born = born or date(1990, 1, 1) + timedelta(days=n // 1000)
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body)
