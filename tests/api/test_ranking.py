"""Rankings: order, tie-breaks, consistent walks, expiry (SPEC §7)."""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.scoring.models import RankingSnapshot
from tests.api.test_simulation_equivalence import random_holder
from tests.conftest import store_holder

PERMIT = {"issued_on": "2019-01-01", "valid_until": "2030-12-31", "status": "active"}
AS_OF = "2024-01-01"


def _walk(
    http: TestClient, auth: dict[str, str], code: str = "441700", limit: int = 2, **params: Any
) -> list[dict[str, Any]]:
    page = http.get(
        f"/v1/jurisdictions/{code}/ranking",
        params={"as_of": AS_OF, "limit": limit, **params},
        headers=auth,
    )
    assert page.status_code == 200, page.text
    rows = page.json()["items"]
    while cursor := page.json()["next_cursor"]:
        page = http.get(
            f"/v1/jurisdictions/{code}/ranking",
            params={"cursor": cursor, "limit": limit},
            headers=auth,
        )
        rows += page.json()["items"]
    return rows


def test_order_and_tie_breaks(http: TestClient, auth: dict[str, str], example_policy: str) -> None:
    degree = {"adjustments": [{"code": "college_degree", "effective_from": "2019-01-01"}]}
    five_years = {"residence_periods": [{"district": "441702", "start_date": "2019-01-01"}]}
    insurance = {
        "insurance_periods": [{"district": "441702", "type": "pension", "start_month": "2020-01"}]
    }
    graduate = store_holder(http, auth, degree, **PERMIT)  # 10 points, 0 months
    resident = store_holder(http, auth, five_years, **PERMIT)  # 10 points, 60 residence months
    insured = store_holder(http, auth, insurance, **PERMIT)  # 12 points
    twins = [store_holder(http, auth, five_years, **PERMIT) for _ in range(2)]
    store_holder(http, auth, insurance, **{**PERMIT, "status": "suspended"})
    store_holder(http, auth, insurance, **{**PERMIT, "valid_until": "2023-12-31"})
    store_holder(
        http, auth, insurance, **{**PERMIT, "issued_on": "2024-01-02", "valid_until": "2025-01-01"}
    )

    rows = _walk(http, auth)
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0] == {
        "rank": 1,
        "holder_id": insured,
        "total_points": 12,
        "insurance_months": 48,
        "residence_months": 0,
    }
    assert [r["holder_id"] for r in rows[1:4]] == sorted([resident, *twins])
    assert rows[4]["holder_id"] == graduate


def test_walk_is_consistent_while_records_change(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    ids = [store_holder(http, auth, {"residence_periods": [
        {"district": "441702", "start_date": f"{2023 - years}-01-01"}]}, **PERMIT) for years in (4, 3, 2, 1)]  # fmt: skip
    first = http.get(
        "/v1/jurisdictions/441700/ranking", params={"as_of": AS_OF, "limit": 2}, headers=auth
    ).json()
    assert [r["holder_id"] for r in first["items"]] == ids[:2]
    assert (
        first["as_of"] == AS_OF and first["policy_id"] == "441700@example" and first["computed_at"]
    )
    # The last holder gains a degree: a new walk sees it, the old one does not.
    http.post(
        f"/v1/holders/{ids[3]}/adjustments",
        json={"code": "college_degree", "effective_from": "2020-01-01"},
        headers=auth,
    )
    second = http.get(
        "/v1/jurisdictions/441700/ranking",
        params={"cursor": first["next_cursor"], "limit": 2},
        headers=auth,
    ).json()
    assert [r["holder_id"] for r in second["items"]] == ids[2:]
    assert second["computed_at"] == first["computed_at"]
    assert _walk(http, auth)[0]["holder_id"] == ids[3]


def test_expired_walk_is_410(
    http: TestClient, auth: dict[str, str], example_policy: str, engine: sa.Engine
) -> None:
    for _ in range(3):
        store_holder(http, auth, {}, **PERMIT)
    first = http.get(
        "/v1/jurisdictions/441700/ranking", params={"as_of": AS_OF, "limit": 1}, headers=auth
    ).json()
    with engine.begin() as connection:  # the walk was last used an hour and a minute ago
        long_ago = datetime.now(UTC) - timedelta(hours=1, minutes=1)
        connection.execute(sa.update(RankingSnapshot).values(last_used_at=long_ago))
    http.get(
        "/v1/jurisdictions/441700/ranking", params={"as_of": AS_OF}, headers=auth
    )  # a new walk tidies up
    gone = http.get(
        "/v1/jurisdictions/441700/ranking", params={"cursor": first["next_cursor"]}, headers=auth
    )
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"


def test_ranking_refusals(http: TestClient, make_key: Any, example_policy: str) -> None:
    key = make_key(["scores:read"], ["441700"])
    assert http.get("/v1/jurisdictions/999999/ranking", headers=key).status_code == 404
    assert (
        http.get(
            "/v1/jurisdictions/441700/ranking", headers=make_key(["scores:read"], ["621000"])
        ).status_code
        == 403
    )
    assert (
        http.get("/v1/jurisdictions/441700/ranking", headers=make_key(["holders:read"])).status_code
        == 403
    )
    early = http.get(
        "/v1/jurisdictions/441700/ranking", params={"as_of": "2010-01-01"}, headers=key
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "as_of"
    assert (
        http.get(
            "/v1/jurisdictions/441700/ranking", params={"cursor": "nope"}, headers=key
        ).status_code
        == 422
    )
    assert (
        http.get("/v1/jurisdictions/441700/ranking", params={"limit": 501}, headers=key).status_code
        == 422
    )


def test_ranking_agrees_with_the_engine_on_a_random_population(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    rng = random.Random(7)
    codes = [
        a["code"]
        for a in http.get("/v1/policies/441700@2016-04-11", headers=auth).json()["adjustments"]
    ]
    holders = []
    for _ in range(40):
        records = random_holder(rng, "441700", codes)
        holders.append(
            store_holder(http, auth, records, jurisdiction="441700", **records["permit"])
        )
    as_of = (date(2024, 6, 1) - timedelta(days=rng.randrange(1500))).isoformat()
    expected = []
    for holder_id in holders:
        score = http.get(
            f"/v1/holders/{holder_id}/score", params={"as_of": as_of}, headers=auth
        ).json()
        if score["permit_valid"]:
            residence, insurance = (c["months"] for c in score["components"][:2])
            expected.append((-score["total_points"], -insurance, -residence, holder_id))
    rows = _walk(http, auth, limit=7, as_of=as_of)
    assert [r["holder_id"] for r in rows] == [e[3] for e in sorted(expected)]
    assert [-r["total_points"] for r in rows] == [e[0] for e in sorted(expected)]
    assert len(rows) >= 5
