"""Versions of what the workers keep in memory (issue 18): API clients and the policy book.

A worker keeps clients and the parsed policies between requests and reads these versions in
the same round trip as a request's own data: a key revoked or a policy published by another
worker or replica is seen on the next request, never seconds later. Triggers in the database
bump a version with every change of its table (migration 0012), so no writer can forget to,
an operator's own SQL included.
"""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import table_of

CLIENTS = "clients"  # api_clients: anything authentication reads (not last_used_at)
POLICIES = "policies"  # the policies table (published versions)


class CacheVersion(SQLModel, table=True):
    __tablename__ = "cache_versions"

    name: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    version: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


versions_table = table_of(CacheVersion)


def read_versions(connection: sa.Connection) -> dict[str, int]:
    """Every version; a name without its row (an emptied table) reads as absent: nothing of
    it may then be kept."""
    rows = connection.execute(sa.select(versions_table.c.name, versions_table.c.version))
    return {name: version for name, version in rows}
