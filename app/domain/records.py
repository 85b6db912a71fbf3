"""The words of the register (SPEC §4), shared by records, policies and the engine."""

from enum import StrEnum


class PermitStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"


class Housing(StrEnum):
    owned = "owned"
    rented = "rented"
    employer = "employer"
    collective = "collective"
    other = "other"


class InsuranceType(StrEnum):
    pension = "pension"
    medical = "medical"
    unemployment = "unemployment"
    work_injury = "work_injury"
    maternity = "maternity"


class AreaKind(StrEnum):
    """SPEC §4: the kind of a township-level unit, read from its code (`codes.area_kind`)."""

    subdistrict = "subdistrict"
    town = "town"
    township = "township"
    other = "other"
