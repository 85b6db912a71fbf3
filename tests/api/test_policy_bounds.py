"""The largest numbers a policy may carry, published and ranked on both databases (issue 15).

Unbounded, `points: 3000000000` was published and the ranking then answered 500 on PostgreSQL
(integer out of range) while SQLite ranked it. Now every number of a policy is bounded in the
schema (`app/domain/policy.py`), the ranking's SQL sums in BIGINT and NUMERIC, and a total
that only a repeatable adjustment in some 200,000 records can reach is held at the ceiling of
the entries' INTEGER column (`engine.TOTAL_POINTS_MAX`), in scores and rankings alike.
"""

import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.engine.counting import TOTAL_POINTS_MAX
from app.policies.document import load_policy_yaml
from tests.api.test_ranking import AS_OF, PERMIT, _walk
from tests.conftest import FIXTURES, store_holder

PUBLISHED = "441700@bounds"


def largest_policy() -> dict[str, Any]:
    """The example policy (SPEC §5) with every number at its bound: points 10,000 either way,
    months 1,200, gaps of 3,660 days and 120 months, endorsements of 120 months."""
    text = (FIXTURES / "example_policy.yaml").read_text(encoding="utf-8")
    data = load_policy_yaml(text, "example_policy.yaml").served()
    data["version"] = "bounds"
    data["permit"] = {"min_residence_months": 1_200, "endorsement_months": 120}
    data["indicators"] = {
        "residence": {
            "points_per_year": 10_000, "cap": 10_000,
            "counting": "continuous", "max_gap_days": 3_660,
        },
        "insurance": {
            "types": ["pension"], "points_per_year": 10_000, "cap": 10_000,
            "counting": "continuous", "max_gap_months": 120,
        },
    }  # fmt: skip
    data["adjustments"] = [
        {"code": "college_degree", "points": 10_000, "name": {"zh": "学历", "en": "Degree"}},
        {
            "code": "false_materials", "points": -10_000, "repeatable": True,
            "name": {"zh": "提供虚假材料", "en": "False materials"},
        },
        {
            "code": "donation", "points": 10_000, "repeatable": True,
            "name": {"zh": "捐赠", "en": "Donation"},
        },
    ]  # fmt: skip
    education = data["domains"]["education"]
    education[1]["requires"] = {"min_points": 10_000, "min_insurance_months": 1_200}
    education[2]["requires"] = {
        "min_points": 10_000, "min_insurance_months": 1_200, "min_residence_months": 1_200
    }  # fmt: skip
    data["domains"]["housing"][0]["requires"] = {"min_points": 10_000}
    data["domains"]["settlement"][0]["requires"]["any_of"][1]["min_insurance_months"] = 1_200
    case = {
        "name": "twenty years of both, a degree twice, three donations, one false claim",
        "as_of": "2020-01-01",
        "input": {
            "permit": {"issued_on": "2019-06-01", "valid_until": "2020-06-01", "status": "active"},
            "residence_periods": [{"district": "441702", "start_date": "2000-01-01"}],
            "insurance_periods": [
                {"district": "441702", "type": "pension", "start_month": "2000-01"}
            ],
            "adjustments": [
                {"code": code, "effective_from": "2019-01-01"}
                for code in ["college_degree"] * 2 + ["donation"] * 3 + ["false_materials"]
            ],
        },
        # 240 months each: 20 years x 10,000 held at the cap; the degree once, three donations,
        # one false claim: 10,000 + 10,000 + 10,000 + 30,000 - 10,000.
        "output": {
            "total_points": 50_000, "residence_months": 240, "insurance_months": 240,
            "levels": {"education": 1, "healthcare": 1, "housing": 1, "settlement": 1},
        },
    }  # fmt: skip
    data["tests"] = [data["tests"][0], case]
    return data


def test_the_largest_policy_is_published(http: TestClient, auth: dict[str, str]) -> None:
    response = http.post("/v1/policies", json=largest_policy(), headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["adjustments"][1]["points"] == -10_000


def _set(data: dict[str, Any], path: str, value: int) -> None:
    """Set the value at a dotted path such as `domains.housing[0].requires.min_points`."""
    *parents, last = path.replace("[", ".").replace("]", "").split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("adjustments[1].points", 3_000_000_000),
        ("adjustments[1].points", -10_001),
        ("indicators.residence.cap", 10_001),
        ("indicators.insurance.points_per_year", 10_001),
        ("indicators.residence.max_gap_days", 3_661),
        ("indicators.insurance.max_gap_months", 121),
        ("permit.endorsement_months", 121),
        ("permit.min_residence_months", 1_201),
        ("domains.education[2].requires.min_residence_months", 1_201),
        ("domains.housing[0].requires.min_points", 10_001),
        ("domains.settlement[0].requires.any_of[1].min_insurance_months", 1_201),
    ],
)
def test_a_number_beyond_its_bound_is_422_naming_the_field(
    http: TestClient, auth: dict[str, str], path: str, value: int
) -> None:
    data = largest_policy()
    _set(data, path, value)
    response = http.post("/v1/policies", json=data, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == path
    assert http.get(f"/v1/policies/{PUBLISHED}", headers=auth).status_code == 404


TWENTY_FOUR_YEARS = {
    "residence_periods": [{"district": "441702", "start_date": "2000-01-01"}],
    "insurance_periods": [{"district": "441702", "type": "pension", "start_month": "2000-01"}],
}


def _add_adjustments(engine: sa.Engine, holder_id: str, code: str, count: int) -> None:
    """Many active records of one code, made by the database (the entry checks are the
    register's business, not this test's), in statements of 20,000 rows: each well inside the
    service's statement timeout, even on a busy machine."""
    if engine.dialect.name == "postgresql":
        ids = "SELECT gen_random_uuid() AS id FROM generate_series(1, :count)"
    else:  # SQLite keeps a Uuid as 32 hexadecimal digits
        ids = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
                 SELECT lower(hex(randomblob(16))) AS id FROM n"""
    statement = sa.text(f"""
        INSERT INTO adjustments (id, holder_id, code, effective_from)
        SELECT ids.id, :holder_id, :code, :effective_from FROM ({ids}) ids
    """).bindparams(sa.bindparam("holder_id", type_=sa.Uuid()), sa.bindparam("code"))
    with engine.begin() as connection:
        for done in range(0, count, 20_000):
            connection.execute(
                statement,
                {"count": min(20_000, count - done), "holder_id": uuid.UUID(holder_id),
                 "code": code, "effective_from": date(2019, 1, 1)},
            )  # fmt: skip


def test_the_largest_values_rank_alike_on_both_databases(
    http: TestClient,
    auth: dict[str, str],
    engine: sa.Engine,
) -> None:
    published = http.post("/v1/policies", json=largest_policy(), headers=auth)
    assert published.status_code == 201, published.text
    # D = 2024-01-01. Residence since 2000-01-01 and pension since 2000-01, both ongoing:
    # 288 months each, 24 years x 10,000 held at the cap of 10,000.
    # Past the ceiling: 10,000 + 10,000 + 214,749 donations x 10,000 = 2,147,510,000, more
    # than an INTEGER holds (2,147,483,647): held at the ceiling.
    ceiling = store_holder(http, auth, TWENTY_FOUR_YEARS, **PERMIT)
    _add_adjustments(engine, ceiling, "donation", 214_749)
    # Many records: the degree three times counts once (10,000); 1,000 donations (10,000,000)
    # and 999 false claims (-9,990,000): 10,000 + 10,000 + 10,000 + 10,000 = 40,000.
    many = store_holder(
        http,
        auth,
        {**TWENTY_FOUR_YEARS, "adjustments": [
            {"code": "college_degree", "effective_from": "2019-01-01"}] * 3},
        **PERMIT,
    )  # fmt: skip
    _add_adjustments(engine, many, "donation", 1_000)
    _add_adjustments(engine, many, "false_materials", 999)
    # The most negative: 20,000 - 3 x 10,000 = -10,000, floored at 0.
    negative = store_holder(
        http,
        auth,
        {**TWENTY_FOUR_YEARS, "adjustments": [
            {"code": "false_materials", "effective_from": "2019-01-01"}] * 3},
        **PERMIT,
    )  # fmt: skip
    # Gaps at their bounds: residence 2005-01-01..2010-01-01 (60 months), then from
    # 2020-01-09, 3,660 days later, ongoing (2020-01-09 + 47 months = 2023-12-09 < D): one run
    # of 107 months. Pension 2000-01..2001-12 and 2012-01..2013-12, 120 months apart, and
    # 2013-12 is 120 months before 2023-12, the last ended month: one run of 48 months.
    # 10,000 + 10,000 = 20,000.
    gaps_at_bounds = store_holder(
        http,
        auth,
        {
            "residence_periods": [
                {"district": "441702", "start_date": "2005-01-01", "end_date": "2010-01-01"},
                {"district": "441702", "start_date": "2020-01-09"},
            ],
            "insurance_periods": [
                {"district": "441702", "type": "pension", "start_month": "2000-01",
                 "end_month": "2001-12"},
                {"district": "441702", "type": "pension", "start_month": "2012-01",
                 "end_month": "2013-12"},
            ],
        },
        **PERMIT,
    )  # fmt: skip
    # One more day and one more month: only the latest runs count, from 2020-01-10 (47 months)
    # and 2012-02..2013-12 (23 months). Still 10,000 + 10,000 = 20,000, after the other on
    # insurance months.
    gaps_beyond = store_holder(
        http,
        auth,
        {
            "residence_periods": [
                {"district": "441702", "start_date": "2005-01-01", "end_date": "2010-01-01"},
                {"district": "441702", "start_date": "2020-01-10"},
            ],
            "insurance_periods": [
                {"district": "441702", "type": "pension", "start_month": "2000-01",
                 "end_month": "2001-12"},
                {"district": "441702", "type": "pension", "start_month": "2012-02",
                 "end_month": "2013-12"},
            ],
        },
        **PERMIT,
    )  # fmt: skip
    expected = [
        (ceiling, TOTAL_POINTS_MAX, 288, 288),
        (many, 40_000, 288, 288),
        (gaps_at_bounds, 20_000, 48, 107),
        (gaps_beyond, 20_000, 23, 47),
        (negative, 0, 288, 288),
    ]
    assert TOTAL_POINTS_MAX == 2_147_483_647 < 20_000 + 214_749 * 10_000

    rows = _walk(http, auth, limit=2)
    assert [
        (r["holder_id"], r["total_points"], r["insurance_months"], r["residence_months"])
        for r in rows
    ] == expected
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    for holder_id, total, insurance, residence in expected:  # the engine gives the same
        score = http.get(
            f"/v1/holders/{holder_id}/score", params={"as_of": AS_OF}, headers=auth
        ).json()
        months = [c["months"] for c in score["components"][:2]]
        assert (score["total_points"], months) == (total, [residence, insurance])
