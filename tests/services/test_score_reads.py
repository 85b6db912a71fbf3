"""Scores on the event loop read together (issue 18): one statement for a group of holders
(PostgreSQL), each read the records that were stored for its own holder, in their order;
a holder twice, text that is no UUID and an unknown id in the same group."""

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.aio import AsyncPostgres
from app.scoring.service import ScoreRead, read_for_scores
from tests.conftest import BACKEND, store_holder

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the event loop's pool")


def periods(district: str, years: range) -> dict[str, Any]:
    return {
        "residence_periods": [
            {"district": district, "start_date": f"{y}-01-01", "end_date": f"{y}-06-30"}
            for y in years
        ],
        "insurance_periods": [
            {"district": district, "type": "pension", "start_month": f"{y}-02", "end_month": f"{y}-05"}
            for y in years
        ],
    }  # fmt: skip


def read_together(settings: Settings, holder_ids: list[uuid.UUID | None]) -> list[ScoreRead]:
    async def read() -> list[ScoreRead]:
        postgres = AsyncPostgres(settings)
        await postgres.open()
        try:
            return await read_for_scores(postgres, holder_ids)
        finally:
            await postgres.close()

    return asyncio.run(read())


def test_each_read_of_a_group_is_its_own_holders(
    http: TestClient, auth: dict[str, str], settings: Settings
) -> None:
    first = uuid.UUID(store_holder(http, auth, periods("441702", range(2001, 2004))))
    second = uuid.UUID(store_holder(http, auth, periods("441781", range(2010, 2015)),
                                    jurisdiction="441700", issued_on="2021-05-01"))  # fmt: skip
    unknown = uuid.uuid4()
    reads = read_together(settings, [second, first, None, unknown, second])
    one, two, no_uuid, missing, again = reads
    assert [r.jurisdiction for r in reads] == ["441700", "441700", None, None, "441700"]
    assert no_uuid.records is None and missing.records is None
    assert again == one
    assert one.records is not None and two.records is not None
    assert one.records.permit.issued_on == date(2021, 5, 1)
    assert two.records.permit.issued_on == date(2020, 1, 1)  # holder_body's
    # The periods as they were posted, each holder's own, in their order.
    assert [(p.district, p.start_date) for p in one.records.residence_periods] == [
        ("441781", date(y, 1, 1)) for y in range(2010, 2015)
    ]
    assert [(p.district, p.start_date) for p in two.records.residence_periods] == [
        ("441702", date(y, 1, 1)) for y in range(2001, 2004)
    ]
    assert [str(p.start_month) for p in two.records.insurance_periods] == [
        f"{y}-02" for y in range(2001, 2004)
    ]
    # Every read of the group has the versions of what workers keep.
    assert all(set(r.versions) == {"clients", "policies"} for r in reads)


def test_a_group_of_no_holder_reads_the_versions(settings: Settings) -> None:
    (read,) = read_together(settings, [None])
    assert read.jurisdiction is None and set(read.versions) == {"clients", "policies"}
