"""Reading a holder or a score costs a fixed, small number of SQL statements, however many
records the holder has (no N+1; issue #7)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import store_holder
from tests.statements import statements

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


READS = (
    "", "/score?as_of=2024-01-01", "/residence-periods", "/insurance-periods", "/adjustments",
)  # fmt: skip


def test_statements_do_not_grow_with_records(
    http: TestClient, auth: dict[str, str], app: Any, example_policy: str
) -> None:
    few = store_holder(http, auth, records(1), **PERMIT)
    many = store_holder(http, auth, records(20), **PERMIT)
    costs, seen = {}, {}
    for name, holder_id in (("few", few), ("many", many)):
        for path in READS:
            with statements(app) as seen[name, path]:
                assert http.get(f"/v1/holders/{holder_id}{path}", headers=auth).status_code == 200
            costs[name, path] = len(seen[name, path])
    for path in READS:
        assert costs["few", path] == costs["many", path], path
    # The worker keeps the key's client and the policies while their versions stand (issue
    # 18). On PostgreSQL every hot read is one statement on the event loop (the versions with
    # the holder, its records or a page of them) and the audit row; on SQLite the versions,
    # the holder, the page and the audit row are statements of their own.
    hot = app.state.postgres is not None
    assert costs["many", "/score?as_of=2024-01-01"] == 2
    assert costs["many", ""] == (2 if hot else 3)
    assert costs["many", "/residence-periods"] == (2 if hot else 4)
    if hot:
        assert all(s.startswith("event loop: ") for path in READS for s in seen["many", path])


def test_a_simulation_reads_only_the_versions(
    http: TestClient, auth: dict[str, str], app: Any, example_policy: str
) -> None:
    body = {"jurisdiction": "441700", "as_of": "2024-01-01", "permit": PERMIT, **records(20)}
    http.post("/v1/simulations", json=body, headers=auth)  # the policies kept from here on
    with statements(app) as seen:
        assert http.post("/v1/simulations", json=body, headers=auth).status_code == 200
    # The versions (on PostgreSQL in the scores' grouped read) and the audit row.
    assert len(seen) == 2
    if app.state.postgres is not None:
        assert all(s.startswith("event loop: ") for s in seen)
