"""Reading a holder or a score costs a fixed, small number of SQL statements, however many
records the holder has (no N+1; issue #7)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import store_holder

PERMIT = {"issued_on": "2019-03-01", "valid_until": "2030-12-31", "status": "active"}


def records(n: int) -> dict[str, Any]:
    return {
        "residence_periods": [
            {
                "district": "441702",
                "start_date": f"{2000 + i}-01-01",
                "end_date": f"{2000 + i}-06-01",
            }
            for i in range(n)
        ],
        "insurance_periods": [
            {
                "district": "441702",
                "type": "pension",
                "start_month": f"{2000 + i}-01",
                "end_month": f"{2000 + i}-03",
            }
            for i in range(n)
        ],
        "adjustments": [
            {"code": "college_degree", "effective_from": f"{2000 + i}-01-01"} for i in range(n)
        ],
    }


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The statements sent through the engine and, on PostgreSQL, through the event loop's
    pool (app/db/aio.py), whose `fetch` and `execute` each send one."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # SQLite's BEGIN is sent by us (app/db/session.py), PostgreSQL's by its driver unseen:
        # neither is a round trip of the request's own work.
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine, postgres = app.state.engine, app.state.postgres
    sa.event.listen(engine, "before_cursor_execute", count)
    if postgres is not None:
        for name in ("fetch", "execute"):
            sent = getattr(postgres, name)

            async def counted(sql: str, params: Any, sent: Any = sent) -> Any:
                seen.append(f"event loop: {sql}")
                return await sent(sql, params)

            setattr(postgres, name, counted)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        if postgres is not None:
            for name in ("fetch", "execute"):
                delattr(postgres, name)


def test_statements_do_not_grow_with_records(
    http: TestClient, auth: dict[str, str], app: Any, example_policy: str
) -> None:
    few = store_holder(http, auth, records(1), **PERMIT)
    many = store_holder(http, auth, records(20), **PERMIT)
    costs, seen = {}, {}
    for name, holder_id in (("few", few), ("many", many)):
        for path in ("", "/score?as_of=2024-01-01"):
            with statements(app) as seen[name, path]:
                assert http.get(f"/v1/holders/{holder_id}{path}", headers=auth).status_code == 200
            costs[name, path] = len(seen[name, path])
    assert costs["few", ""] == costs["many", ""]
    assert costs["few", "/score?as_of=2024-01-01"] == costs["many", "/score?as_of=2024-01-01"]
    # The worker keeps the key's client and the policies while their versions stand (issue
    # 18): a holder is the versions, the holder and the audit row; a score one statement (the
    # versions, the holder and every record) and the audit row.
    assert costs["many", ""] <= 3
    assert costs["many", "/score?as_of=2024-01-01"] == 2
    if app.state.postgres is not None:  # both on the event loop
        assert all(s.startswith("event loop: ") for s in seen["many", "/score?as_of=2024-01-01"])
