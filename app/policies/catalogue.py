"""What the register checks entries against (SPEC §4 "Entry checks that need a policy"):
known jurisdictions, their districts, adjustment codes and endorsement months.

The published policies are the source; while none is loaded, the built-in table stands in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.policies.builtin import BUILTIN_ENDORSEMENT_MONTHS, BUILTIN_JURISDICTIONS


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: dict[str, str]
    districts: list[dict[str, object]]


@dataclass(frozen=True)
class Catalogue:
    jurisdictions: dict[str, Jurisdiction]
    # Every district of every published version: history stays recordable.
    districts: dict[str, frozenset[str]]
    # None while no policy is loaded: codes are stored unchecked until a catalogue exists.
    adjustment_codes: dict[str, frozenset[str]] | None = None
    # The endorsement_months of the version in force; None: the built-in table's months.
    endorsement_months_of: Callable[[str, date], int | None] | None = None

    def known(self, jurisdiction: str) -> bool:
        return jurisdiction in self.jurisdictions

    def endorsement_months(self, jurisdiction: str, on: date) -> int | None:
        """`endorsement_months` of the version in force on `on`; None when none is."""
        if self.endorsement_months_of is None:
            return BUILTIN_ENDORSEMENT_MONTHS
        return self.endorsement_months_of(jurisdiction, on)


def builtin_catalogue() -> Catalogue:
    jurisdictions = {
        code: Jurisdiction(
            code=code,
            name={"zh": zh, "en": en},
            districts=[
                {"code": d, "name": {"zh": dzh, "en": den}} for d, (dzh, den) in districts.items()
            ],
        )
        for code, (zh, en, districts) in BUILTIN_JURISDICTIONS.items()
    }
    return Catalogue(
        jurisdictions=jurisdictions,
        districts={code: frozenset(d[2]) for code, d in BUILTIN_JURISDICTIONS.items()},
    )
