"""Many rows into one table by the fastest path the database offers: COPY on PostgreSQL,
multi-row inserts elsewhere. Used where a request writes thousands of rows (imports, ranking
snapshots)."""

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

INSERT_CHUNK = 5000


def insert_rows(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Insert `rows` (values in `columns` order) inside the connection's transaction; a
    constraint violation raises SQLAlchemy's IntegrityError on every database."""
    if connection.dialect.name == "postgresql":
        import psycopg

        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(statement, None, exc) from exc
        return
    rows = iter(rows)
    while chunk := [dict(zip(columns, row, strict=True)) for row in islice(rows, INSERT_CHUNK)]:
        connection.execute(sa.insert(table), chunk)
