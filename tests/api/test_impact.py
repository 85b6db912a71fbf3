"""Issue 17, first slice: the impact of a draft, on a population whose answer is known by
construction (worked by hand from the example policy, on both databases)."""

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.errors import InvalidInput
from app.impact.service import impact_of_draft
from app.policies.document import load_policy_yaml, parse_policy
from app.policies.service import PolicyCache
from tests.conftest import FIXTURES, store_holder

AS_OF = date(2024, 1, 1)
JIANGCHENG = "441702"


def draft_document() -> dict[str, Any]:
    """The example policy with education's second tier at 26 points (was 20) and housing's
    tier at 36 (was 30): A (25 points) loses its kindergarten place, B (35) its rent subsidy.
    The draft's cases no longer check housing's projection, which the change moves."""
    path = FIXTURES / "example_policy.yaml"
    data = load_policy_yaml(path.read_text(encoding="utf-8"), path.name).served()
    data["version"] = "draft"
    data["domains"]["education"][1]["requires"]["min_points"] = 26
    data["domains"]["housing"][0]["requires"]["min_points"] = 36
    for case in data["tests"]:
        case["output"].pop("projected_on", None)
    return data


def residence(start: str) -> dict[str, Any]:
    return {"district": JIANGCHENG, "start_date": start, "housing": "rented"}


PENSION_SINCE_2019 = {"district": JIANGCHENG, "type": "pension", "start_month": "2019-01"}


@pytest.fixture
def population(http: TestClient, auth: dict[str, str], example_policy: str) -> dict[str, str]:
    """At 2024-01-01, under the example policy (by hand):
    A: 60 months here (10 points) and 60 months of pension (15): 25 points; education 2,
       housing 0 (needs 30), settlement 1 (Jiangcheng, 36 months of insurance).
    B: A and a college degree (+10): 35 points; education 2 (level 3 needs 40), housing 1,
       settlement 1.
    C: 12 months here (2 points), no insurance: education 1, housing 0, settlement 0.
    D: like A, but the permit ended in 2023: not counted."""
    a = {"residence_periods": [residence("2019-01-01")], "insurance_periods": [PENSION_SINCE_2019]}
    b = a | {"adjustments": [{"code": "college_degree", "effective_from": "2020-01-01"}]}
    c = {"residence_periods": [residence("2023-01-01")]}
    return {
        "A": store_holder(http, auth, a),
        "B": store_holder(http, auth, b),
        "C": store_holder(http, auth, c),
        "D": store_holder(http, auth, a, valid_until="2023-06-01"),
    }


def impact(engine: sa.Engine, draft: dict[str, Any]) -> dict[str, Any]:
    with Session(engine) as session:
        book = PolicyCache().get(session)
        result = impact_of_draft(session, book, parse_policy(draft, "draft"), AS_OF)
    return result.as_json()


def test_the_transitions_are_those_worked_by_hand(
    engine: sa.Engine, population: dict[str, str]
) -> None:
    result = impact(engine, draft_document())
    assert result["holders"] == 3
    assert result["policy"] == "441700@example"
    domains = result["domains"]
    assert domains["education"]["transitions"] == {"1->1": 1, "2->1": 1, "2->2": 1}
    assert domains["healthcare"]["transitions"] == {"1->1": 3}
    assert domains["housing"]["transitions"] == {"0->0": 2, "1->0": 1}
    assert domains["settlement"]["transitions"] == {"0->0": 1, "1->1": 2}
    assert domains["education"]["examples"]["2->1"] == [population["A"]]
    assert domains["housing"]["examples"]["1->0"] == [population["B"]]
    assert population["D"] not in str(result)


def test_gainers_losers_points_and_shortfalls(
    engine: sa.Engine, population: dict[str, str]
) -> None:
    result = impact(engine, draft_document())
    education, housing = result["domains"]["education"], result["domains"]["housing"]
    assert education["by_district"] == {JIANGCHENG: {"gainers": 0, "losers": 1}}
    assert housing["by_district"] == {JIANGCHENG: {"gainers": 0, "losers": 1}}
    assert result["domains"]["settlement"]["by_district"] == {}
    # Points do not change (only tiers do): 2, 25 and 35 points, in bins of 10.
    assert result["total_points"] == {
        "before": {"0": 1, "20": 1, "30": 1}, "after": {"0": 1, "20": 1, "30": 1}
    }  # fmt: skip
    # Rent subsidy: A is 5 points short of 30, then 11 of 36; B is 1 short of 36; C is 28,
    # then 34 short, and 24 months of insurance short either way.
    assert housing["shortfalls"]["before"]["points"] == {"5": 1, "28": 1}
    assert housing["shortfalls"]["after"]["points"] == {"1": 1, "11": 1, "34": 1}
    assert housing["shortfalls"]["after"]["insurance_months"] == {"24": 1}


def test_a_draft_whose_own_cases_fail_says_nothing(
    engine: sa.Engine, population: dict[str, str]
) -> None:
    draft = draft_document()
    draft["tests"][1]["output"]["total_points"] = 99
    with pytest.raises(InvalidInput) as raised:
        impact(engine, draft)
    assert [e.field for e in raised.value.errors or []] == ["tests"]


def test_the_command_line_writes_the_same_result(
    engine: sa.Engine,
    population: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(draft_document(), allow_unicode=True), encoding="utf-8")
    out, page = tmp_path / "impact.json", tmp_path / "impact.html"
    done = subprocess.run(
        [Path(sys.executable).with_name("jifen"), "policies", "impact", str(draft),
         "--as-of", AS_OF.isoformat(), "--json", str(out), "--html", str(page)],
        env={**os.environ, "JIFEN_DATABASE_URL": database_url},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "education: 1->1: 1, 2->1: 1, 2->2: 1" in done.stdout
    assert json.loads(out.read_text(encoding="utf-8")) == impact(engine, draft_document())
    report = page.read_text(encoding="utf-8")
    # Charts drawn on the server, both languages, and nothing fetched from elsewhere.
    assert report.count("<svg") == 3  # total points, and education's and housing's districts
    assert "Impact of a draft policy" in report and "草案影响评估" in report
    assert "gainers and losers" in report and "得益与受损" in report
    assert not re.search(
        r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", report
    )
    assert '<td class="changed">1</td>' in report  # A's 2->1 in education
