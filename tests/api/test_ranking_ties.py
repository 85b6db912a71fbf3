"""Rankings of holders with identical periods: the gaps-and-islands windows of the SQL ranking
order their rows uniquely, so the months cannot depend on the plan (SPEC §6.2, §7; issue 15)."""

import re
from typing import Any

from fastapi.testclient import TestClient

from app.scoring.ranking_sql import RANK_INTO_SNAPSHOT
from tests.api.test_ranking import AS_OF, PERMIT, _walk
from tests.conftest import store_holder

# The example policy (SPEC §5): residence cumulative, 2 points a year (cap 20); insurance
# pension only, continuous with gaps of at most 3 months, 3 points a year (cap 45). D 2024-01-01.
RESIDENCE = [
    {"district": "441702", "start_date": "2015-01-01", "end_date": "2016-01-01"},
    # Twins after an earlier island: numbered in another order than they were marked, the
    # twin would join the 2015 island and count 2015-01-01..2021-05-01 (76 months, not 12 + 37).
    {"district": "441702", "start_date": "2018-03-15", "end_date": "2019-03-15"},
    {"district": "441702", "start_date": "2018-03-15", "end_date": "2019-03-15"},
    {"district": "441702", "start_date": "2018-06-01", "end_date": "2020-01-10"},  # overlaps
    {"district": "441702", "start_date": "2020-01-10", "end_date": "2021-05-01"},  # touches
    {"district": "441702", "start_date": "2022-01-31"},  # ongoing twins
    {"district": "441702", "start_date": "2022-01-31"},
]
# Islands [2015-01-01, 2016-01-01) 12 months, [2018-03-15, 2021-05-01) 37 months
# (2018-03-15 + 37 months = 2021-04-15 <= 2021-05-01 < 2021-05-15), and [2022-01-31, D)
# 23 months (2022-01-31 + 23 months = 2023-12-31 < D < 2024-01-31): 72 months, 6 years.
RESIDENCE_MONTHS = 12 + 37 + 23

INSURANCE = [
    {"district": "441702", "type": "pension", "start_month": "2019-01", "end_month": "2019-06"},
    {"district": "441702", "type": "pension", "start_month": "2019-09", "end_month": "2020-08"},
    {"district": "441702", "type": "pension", "start_month": "2019-09", "end_month": "2020-08"},
    {"district": "441702", "type": "pension", "start_month": "2020-06", "end_month": "2021-02"},
    {"district": "441702", "type": "pension", "start_month": "2021-03", "end_month": "2021-12"},
    {"district": "441702", "type": "pension", "start_month": "2022-03"},
    {"district": "441702", "type": "pension", "start_month": "2022-03"},
    {"district": "441702", "type": "medical", "start_month": "2010-01"},  # not a counted type
]
# 2019-01..06 (6), gap of 2; 2019-09..2021-12 (28), gap of 2; 2022-03..2023-12 (22): every gap
# within 3, so the whole run counts: 56 months, 4 years. Merging a twin into 2019-01..06 would
# count the two gap months as well (58).
INSURANCE_MONTHS = 6 + 28 + 22
TOTAL = 2 * (RESIDENCE_MONTHS // 12) + 3 * (INSURANCE_MONTHS // 12)  # 12 + 12 = 24


def _reversed(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {key: list(reversed(value)) for key, value in records.items()}


def test_identical_periods_count_once_in_the_ranking(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    records = {"residence_periods": RESIDENCE, "insurance_periods": INSURANCE}
    # Recorded in list order and in reverse: the insertion sequence is the windows' tie-break,
    # and which twin comes first must not matter.
    holders = [
        store_holder(http, auth, records, **PERMIT),
        store_holder(http, auth, _reversed(records), **PERMIT),
    ]
    assert (RESIDENCE_MONTHS, INSURANCE_MONTHS, TOTAL) == (72, 56, 24)
    for holder_id in holders:  # the engine's count, which the ranking must equal
        score = http.get(
            f"/v1/holders/{holder_id}/score", params={"as_of": AS_OF}, headers=auth
        ).json()
        residence, insurance = score["components"][:2]
        assert (residence["months"], insurance["months"], score["total_points"]) == (
            RESIDENCE_MONTHS, INSURANCE_MONTHS, TOTAL
        )  # fmt: skip
    rows = _walk(http, auth)
    assert [(r["holder_id"], r["total_points"]) for r in rows] == [
        (h, TOTAL) for h in sorted(holders)
    ]
    for row in rows:
        assert (row["residence_months"], row["insurance_months"]) == (
            RESIDENCE_MONTHS, INSURANCE_MONTHS
        )  # fmt: skip


def test_every_window_of_the_ranking_statement_has_a_unique_order() -> None:
    """Periods are ordered with their insertion sequence as the last key; merged islands are
    disjoint, so their start alone is unique; the final order ends with the holder id."""
    windows = re.findall(r"OVER \(\s*(.*?)\s*\)", RANK_INTO_SNAPSHOT.text, flags=re.S)
    orders = [re.search(r"ORDER BY (.*?)(?: ROWS|$)", " ".join(w.split())) for w in windows]
    assert [o.group(1) if o else None for o in orders] == [
        # marked, islands' next start, numbered, runs: for residence, then for insurance
        *["s, e, seq", "s", "s, e, seq", "s DESC"] * 2,
        "total DESC, insurance DESC, residence DESC, id",
    ]
