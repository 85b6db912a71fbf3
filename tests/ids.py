"""Valid GB 11643 ID numbers for tests, made up (never a real person's).

The check character is computed here from the standard's own description, written out, so
that the tests do not share code with the service (which uses python-stdnum): ISO 7064
MOD 11-2 over the first 17 digits, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum
mod 11 indexing "10X98765432".
"""

import itertools
from datetime import date, timedelta

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

_serial = itertools.count(1)


def check_character(first17: str) -> str:
    """GB 11643's check character of 17 digits."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id_number(region: str = "441702", born: date | None = None) -> str:
    """A new, valid number each call: region, birth date, a serial and the check character."""
    n = next(_serial)
    born = born or date(1990, 1, 1) + timedelta(days=n // 1000)
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return body + check_character(body)
