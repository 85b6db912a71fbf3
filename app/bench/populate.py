"""A deterministic synthetic population of holders and their records, for benchmarks.

`populate(engine, holders=N, seed=S, jurisdiction=CODE, ...)` writes N holders with realistic
mixes of records: 1–6 residence periods (about one in ten in another city, SPEC §6.1), 1–12
insurance periods across types with gaps, 0–2 adjustments, and permits that are valid, expired,
suspended or revoked. Every row obeys SPEC §4 and the tables' constraints.

Deterministic: the same seed, jurisdiction, districts, codes and per-holder ranges give the
same rows (UUIDs included, drawn from the seeded generator), on any day and whatever the chunk
size, because dates are drawn relative to the fixed `REFERENCE_DATE`, not to today. The first
n holders of a larger run are the n holders of a smaller one.

Loading streams chunks of holders (memory stays bounded whatever N): PostgreSQL takes them
through `COPY ... FROM STDIN`, the fastest path it offers; other databases through `executemany`.
Either way the whole population is one transaction: it is loaded entirely or not at all.
`seq` is left to the database, so it follows generation order.
"""

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from math import gcd
from typing import Any

import sqlalchemy as sa
from stdnum.iso7064 import mod_11_2

from app.domain.codes import jurisdiction_prefix
from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod

# Dates are drawn before this day, so that no start is after today (SPEC §4) on any day after
# it, and a seed gives the same rows whenever it runs. Valid permits run 0–5 years past it.
REFERENCE_DATE = date(2026, 1, 1)
CHUNK_HOLDERS = 10_000
SOURCE = "jifen-bench"

BIRTH_FIRST = date(1950, 1, 1)
BIRTH_LAST = date(2005, 12, 31)
HISTORY_START = date(2005, 1, 1)  # no record starts before this
EARLIEST_ISSUE = date(2012, 1, 1)  # permits issued from this day
ADULT_DAYS = 16 * 365 + 4  # records start once a person is 16

# Records in other cities (SPEC §6.1): Guangzhou Tianhe, Shenzhen Futian, Shanghai Xuhui,
# Beijing Chaoyang, Hangzhou Xihu, Chengdu Wuhou, Wuhan Jianghan, Xiamen Siming.
OTHER_CITY_DISTRICTS = (
    "440106", "440304", "310104", "110105", "330106", "510107", "420106", "350203",
)  # fmt: skip
OTHER_CITY_RESIDENCE_SHARE = 0.10
OTHER_CITY_INSURANCE_SHARE = 0.05

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN_NAME_CHARACTERS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉海燕志斌辉鹏宇晨欣怡涵浩然梓轩雨萱俊思远嘉佳琪婷雪慧颖晓东峰林文博"  # noqa: E501


def _table(weights: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    """A lookup table of 20 slots: a weighted choice is one `random()` and an index."""
    table = tuple(value for value, slots in weights for _ in range(slots))
    assert len(table) == 20
    return table


# Permit mix at REFERENCE_DATE: 70% valid, 15% expired, 10% suspended, 5% revoked.
PERMIT_KINDS = _table([("valid", 14), ("expired", 3), ("suspended", 2), ("revoked", 1)])
HOUSING = _table([("rented", 9), ("owned", 4), ("employer", 3), ("collective", 1), ("other", 3)])
INSURANCE_TYPES = _table(
    [("pension", 6), ("medical", 6), ("unemployment", 3), ("work_injury", 3), ("maternity", 2)]
)
ADJUSTMENT_COUNTS = (0,) * 12 + (1,) * 6 + (2,) * 2  # 60% none, 30% one, 10% two

HOLDER_COLUMNS = (
    "id", "jurisdiction", "id_number", "name", "permit_number", "permit_issued_on",
    "permit_valid_until", "permit_status", "version", "created_at", "updated_at",
)  # fmt: skip
RESIDENCE_COLUMNS = ("id", "holder_id", "district", "start_date", "end_date", "housing", "source")
INSURANCE_COLUMNS = ("id", "holder_id", "district", "type", "start_month", "end_month", "source")
ADJUSTMENT_COLUMNS = ("id", "holder_id", "code", "effective_from", "effective_to", "note")
TABLES = {
    "holders": HOLDER_COLUMNS,
    "residence_periods": RESIDENCE_COLUMNS,
    "insurance_periods": INSURANCE_COLUMNS,
    "adjustments": ADJUSTMENT_COLUMNS,
}


@dataclass
class Chunk:
    """Rows of a run of consecutive holders, one list of tuples per table (TABLES' columns)."""

    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in TABLES}
    )


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


class PopulationGenerator:
    """Holders and their records, one after another from a single seeded generator."""

    def __init__(
        self,
        *,
        seed: int,
        jurisdiction: str,
        districts: Sequence[str],
        adjustment_codes: Sequence[str],
        residence_per_holder: tuple[int, int],
        insurance_per_holder: tuple[int, int],
        reference: date = REFERENCE_DATE,
    ) -> None:
        if not districts:
            raise ValueError("a population needs at least one district of the jurisdiction")
        for low, high in (residence_per_holder, insurance_per_holder):
            if not 1 <= low <= high:
                raise ValueError("per-holder ranges are (low, high) with 1 <= low <= high")
        # The jurisdiction is part of the seed: two jurisdictions populated with one seed into
        # one database do not share UUIDs.
        self.rng = random.Random(f"jifen-bench:{seed}:{jurisdiction}")
        self.random = self.rng.random
        self.jurisdiction = jurisdiction
        self.districts = tuple(sorted(districts))
        self.adjustment_codes = tuple(adjustment_codes)
        prefix = jurisdiction_prefix(jurisdiction)
        self.other_cities = tuple(d for d in OTHER_CITY_DISTRICTS if not d.startswith(prefix))
        self.residence_per_holder = residence_per_holder
        self.insurance_per_holder = insurance_per_holder
        self.reference = reference.toordinal()
        self.reference_month = reference.year * 12 + reference.month - 1
        # ID numbers: holder i gets slot (a*i + b) mod N of the space district x birth day x
        # serial, a permutation of it (a is coprime with N), so numbers never repeat.
        self.birth_days = BIRTH_LAST.toordinal() - BIRTH_FIRST.toordinal() + 1
        self.id_space = len(self.districts) * self.birth_days * 1000
        a = self.rng.randrange(1, self.id_space)
        while gcd(a, self.id_space) != 1:
            a = self.rng.randrange(1, self.id_space)
        self.id_step, self.id_offset = a, self.rng.randrange(self.id_space)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    # random.randint, choice and sample are exact but slow; these are one random() each, which
    # is uniform enough here and keeps a million holders a matter of a minute or two.
    def _between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def _pick(self, values: Sequence[str]) -> str:
        return values[int(self.random() * len(values))]

    def _cuts(self, span: int, count: int) -> list[int]:
        """`count` distinct sorted integers in [1, span - 1] (count < span)."""
        cuts: set[int] = set()
        while len(cuts) < count:
            cuts.add(1 + int(self.random() * (span - 1)))
        return sorted(cuts)

    def id_number(self, index: int) -> tuple[str, int]:
        """The GB 11643 number of holder `index`, and its birth day as an ordinal."""
        if index >= self.id_space:
            raise ValueError(f"at most {self.id_space} holders fit this jurisdiction's districts")
        slot = (self.id_step * index + self.id_offset) % self.id_space
        slot, serial = divmod(slot, 1000)
        district, day = divmod(slot, self.birth_days)
        born = BIRTH_FIRST.toordinal() + day
        body = f"{self.districts[district]}{date.fromordinal(born):%Y%m%d}{serial:03d}"
        return body + mod_11_2.calc_check_digit(body), born

    def holder(self, index: int, chunk: Chunk) -> None:
        """Append holder `index` and its records to `chunk`."""
        between, pick, random_ = self._between, self._pick, self.random
        reference = self.reference
        holder_id = self._uuid()
        id_number, born = self.id_number(index)
        name = pick(SURNAMES) + pick(GIVEN_NAME_CHARACTERS)
        if random_() < 0.7:
            name += pick(GIVEN_NAME_CHARACTERS)

        adult = born + ADULT_DAYS
        issued = between(max(adult, EARLIEST_ISSUE.toordinal()), reference - 30)
        kind = PERMIT_KINDS[int(random_() * 20)]
        if kind == "valid":
            status, valid_until = "active", between(reference, reference + 5 * 365)
        elif kind == "expired":
            status, valid_until = "active", between(issued, reference - 1)
        else:
            status, valid_until = kind, between(issued, reference + 5 * 365)
        issued_on = date.fromordinal(issued)
        created_at = datetime.combine(issued_on, time(1, 0), tzinfo=UTC)
        chunk.rows["holders"].append((
            holder_id, self.jurisdiction, id_number, name,
            f"{self.jurisdiction}-{issued_on.year}-{index + 1:07d}", issued_on,
            date.fromordinal(valid_until), status, 1, created_at, created_at,
        ))  # fmt: skip

        # The history starts once the person is adult, at least half a year before the permit.
        first = max(adult, HISTORY_START.toordinal())
        start = between(first, max(first, issued - 180))
        self._residence(holder_id, start, chunk)
        self._insurance(holder_id, start, chunk)
        self._adjustments(holder_id, start, chunk)

    def _district(self, other_city_share: float) -> str:
        if self.other_cities and self.random() < other_city_share:
            return self._pick(self.other_cities)
        return self._pick(self.districts)

    def _residence(self, holder_id: uuid.UUID, start: int, chunk: Chunk) -> None:
        """Consecutive stays from `start` to the reference date, some with gaps between them;
        the last one usually ongoing."""
        between, random_ = self._between, self.random
        span = self.reference - start
        count = min(between(*self.residence_per_holder), span)
        bounds = [0, *self._cuts(span, count - 1), span]
        rows = chunk.rows["residence_periods"]
        for i in range(count):
            begins, ends = start + bounds[i], start + bounds[i + 1]
            if random_() < 0.35 and ends - begins > 1:
                ends -= between(1, min(120, ends - begins - 1))
            ongoing = i == count - 1 and random_() < 0.8
            rows.append((
                self._uuid(), holder_id, self._district(OTHER_CITY_RESIDENCE_SHARE),
                date.fromordinal(begins), None if ongoing else date.fromordinal(ends),
                HOUSING[int(random_() * 20)], SOURCE,
            ))  # fmt: skip

    def _insurance(self, holder_id: uuid.UUID, start: int, chunk: Chunk) -> None:
        """Periods of each type run in parallel; within a type, consecutive spells with gaps
        (some longer than a continuous count allows), the last one often ongoing."""
        between, random_ = self._between, self.random
        start_day = date.fromordinal(start)
        first = start_day.year * 12 + start_day.month - 1
        last = self.reference_month - 1  # the last month ended before the reference date
        months = last - first + 1
        count = between(*self.insurance_per_holder)
        per_type: dict[str, int] = {}
        for _ in range(count):
            kind = INSURANCE_TYPES[int(random_() * 20)]
            per_type[kind] = per_type.get(kind, 0) + 1
        periods = []
        for kind, spells in per_type.items():
            if months >= spells:
                bounds = [0, *self._cuts(months, spells - 1), months]
            else:  # more spells than months: they overlap
                bounds = [*sorted(int(random_() * months) for _ in range(spells)), months]
            for i in range(spells):
                begins = first + bounds[i]
                ends = max(begins, first + bounds[i + 1] - 1)
                if random_() < 0.35 and ends > begins:
                    ends -= between(1, min(6, ends - begins))
                ongoing = i == spells - 1 and random_() < 0.7
                periods.append((begins, kind, None if ongoing else ends))
        periods.sort(key=lambda p: p[0])  # stable: recorded in the order they began
        rows = chunk.rows["insurance_periods"]
        for begun, kind, ended in periods:
            rows.append((
                self._uuid(), holder_id, self._district(OTHER_CITY_INSURANCE_SHARE), kind,
                _month_start(begun), None if ended is None else _month_start(ended), SOURCE,
            ))  # fmt: skip

    def _adjustments(self, holder_id: uuid.UUID, start: int, chunk: Chunk) -> None:
        if not self.adjustment_codes:
            return
        rows = chunk.rows["adjustments"]
        for _ in range(ADJUSTMENT_COUNTS[int(self.random() * 20)]):
            code = self._pick(self.adjustment_codes)
            begins = self._between(start, self.reference - 1)
            ends = None if self.random() < 0.8 else begins + self._between(30, 3650)
            rows.append((
                self._uuid(), holder_id, code, date.fromordinal(begins),
                None if ends is None else date.fromordinal(ends), None,
            ))  # fmt: skip

    def chunks(self, holders: int, size: int = CHUNK_HOLDERS) -> Iterator[Chunk]:
        for first in range(0, holders, size):
            chunk = Chunk()
            for index in range(first, min(first + size, holders)):
                self.holder(index, chunk)
            yield chunk


def populate(
    engine: sa.Engine,
    *,
    holders: int,
    seed: int,
    jurisdiction: str,
    districts: list[str],
    adjustment_codes: list[str],
    residence_per_holder: tuple[int, int] = (1, 6),
    insurance_per_holder: tuple[int, int] = (1, 12),
    reference: date = REFERENCE_DATE,
    chunk_holders: int = CHUNK_HOLDERS,
) -> dict[str, int]:
    """Write `holders` synthetic holders of `jurisdiction` and their records, in one
    transaction; the number of rows written to each table."""
    generator = PopulationGenerator(
        seed=seed,
        jurisdiction=jurisdiction,
        districts=districts,
        adjustment_codes=adjustment_codes,
        residence_per_holder=residence_per_holder,
        insurance_per_holder=insurance_per_holder,
        reference=reference,
    )
    chunks = generator.chunks(holders, chunk_holders)
    postgres = engine.dialect.name == "postgresql"
    counts = _copy_into_postgres(engine, chunks) if postgres else _insert_many(engine, chunks)
    # The planner's statistics, as autovacuum would gather them after a while: without them
    # it takes the tables for nearly empty and plans the population's reads one holder at a time.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f"ANALYZE {', '.join(TABLES)}" if postgres else "ANALYZE"))
    return counts


def _copy_into_postgres(engine: sa.Engine, chunks: Iterator[Chunk]) -> dict[str, int]:
    """One COPY per table and chunk on one connection (a connection runs one COPY at a time,
    and records need their holders first, for the foreign keys), all in one transaction."""
    counts = dict.fromkeys(TABLES, 0)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            # A bulk load is long by nature: no statement timeout (the service sets one).
            cursor.execute("SET LOCAL statement_timeout = 0")
            for chunk in chunks:
                for table, rows in chunk.rows.items():
                    if not rows:
                        continue
                    columns = ", ".join(TABLES[table])
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    counts[table] += len(rows)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    return counts


def _insert_many(engine: sa.Engine, chunks: Iterator[Chunk]) -> dict[str, int]:
    """executemany through SQLAlchemy Core (which stores UUIDs and dates as the models do)."""
    models: dict[str, Any] = {
        "holders": Holder, "residence_periods": ResidencePeriod,
        "insurance_periods": InsurancePeriod, "adjustments": Adjustment,
    }  # fmt: skip
    counts = dict.fromkeys(TABLES, 0)
    with engine.begin() as connection:
        for chunk in chunks:
            for table, rows in chunk.rows.items():
                if rows:
                    columns = TABLES[table]
                    connection.execute(
                        sa.insert(models[table]), [dict(zip(columns, r, strict=True)) for r in rows]
                    )
                    counts[table] += len(rows)
    return counts
