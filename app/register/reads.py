"""The register's hot reads on the event loop (issue 18): a holder, or a page of one of its
record kinds, read with the cache versions in one statement on PostgreSQL's async pool, as
the score is. The route then takes the client and checks the holder from what it read; a
worker that does not keep the client yet, and SQLite, take the engine's path in a thread.
"""

import uuid
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db.aio import AsyncPostgres, postgres_sql
from app.db.base import table_of
from app.db.versions import versions_table
from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod

_HOLDERS = table_of(Holder)
_HOLDER_ID = sa.bindparam("holder_id", type_=sa.Uuid)
# One row whatever else the statement finds: the versions, as a JSON object by name.
_VERSIONS = sa.select(
    sa.func.json_object_agg(versions_table.c.name, versions_table.c.version).label("versions")
).subquery("versions")
_WITH_HOLDER = _VERSIONS.outerjoin(_HOLDERS, _HOLDERS.c.id == _HOLDER_ID)


@dataclass(frozen=True)
class HolderRead:
    versions: dict[str, int]
    holder: Holder | None  # None: no such holder


@dataclass(frozen=True)
class RecordsRead:
    versions: dict[str, int]
    jurisdiction: str | None  # the holder's; None: no such holder
    records: list[Any]  # the page, `limit + 1` rows at most (`page_of`)


# Compiled once: compiling costs more than running the statement.
_HOLDER_SQL = postgres_sql(sa.select(_VERSIONS.c.versions, *_HOLDERS.c).select_from(_WITH_HOLDER))


def _records_sql(model: type[Any]) -> str:
    """The versions, the holder's jurisdiction and a page of its records (`after` a sequence,
    `limit` rows), one row a record, or one row of NULL records."""
    table = table_of(model)
    page = (
        sa.select(*table.c)
        .where(table.c.holder_id == _HOLDERS.c.id, table.c.seq > sa.bindparam("after"))
        .order_by(table.c.seq)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .lateral("page")
    )
    statement = (
        sa.select(_VERSIONS.c.versions, _HOLDERS.c.jurisdiction, *page.c)
        .select_from(_WITH_HOLDER.outerjoin(page, sa.true()))
        .order_by(page.c.seq)
    )
    return postgres_sql(statement)


_RECORD_MODELS = (ResidencePeriod, InsurancePeriod, Adjustment)
_RECORDS_SQL = {model: _records_sql(model) for model in _RECORD_MODELS}
# A record as a named tuple of its columns: a table model's instance costs 17 times as much
# to build (26 us), and a page is answered from attributes alike.
_RECORD_ROWS = {
    model: namedtuple(f"{model.__name__}Row", table_of(model).c.keys()) for model in _RECORD_MODELS
}
_HOLDER_COLUMNS = _HOLDERS.c.keys()


async def read_holder(postgres: AsyncPostgres, holder_id: uuid.UUID | None) -> HolderRead:
    (row,) = await postgres.fetch(_HOLDER_SQL, {"holder_id": holder_id})
    versions, values = row[0] or {}, dict(zip(_HOLDER_COLUMNS, row[1:], strict=True))
    return HolderRead(versions, None if values["id"] is None else Holder(**values))


async def read_records(
    postgres: AsyncPostgres, model: type[Any], holder_id: uuid.UUID | None, after: int, limit: int
) -> RecordsRead:
    rows = await postgres.fetch(
        _RECORDS_SQL[model], {"holder_id": holder_id, "after": after, "limit": limit}
    )
    record = _RECORD_ROWS[model]
    # One row of NULL records when the page is empty: `seq`, first, is never NULL otherwise.
    records = [record(*row[2:]) for row in rows if row[2] is not None]
    return RecordsRead(rows[0][0] or {}, rows[0][1], records)
