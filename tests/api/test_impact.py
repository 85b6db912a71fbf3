"""Issue 17, first slice: the impact of a draft, on a population whose answer is known by
construction (worked by hand from the example policy, on both databases)."""

import io
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

from app.cli import ProgressBar, main
from app.core.errors import InvalidInput
from app.impact.report import render_html
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
    http: TestClient,
    auth: dict[str, str],
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
    # Not a terminal: no bar redrawn with carriage returns, one line a tenth at most.
    assert "\r" not in done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("impact:")]
    assert progress == ["impact: 3 / 3 holders (100%)"]
    assert json.loads(out.read_text(encoding="utf-8")) == impact(engine, draft_document())
    report = page.read_text(encoding="utf-8")
    assert_self_contained(report)
    # Charts: total points; education's and housing's gainers and losers by district (no
    # township is recorded, so none by kind of township), and their points and insurance
    # shortfalls, which the draft moves. Healthcare and settlement change nothing: no chart.
    assert report.count("<svg") == 7
    assert "Impact of a draft policy" in report and "草案影响评估" in report
    assert "gainers and losers" in report and "得益与受损" in report
    assert "江城区 Jiangcheng" in report  # the draft's names for districts and tiers
    assert "公办幼儿园 · Public kindergarten" in report
    # The draft named as the API names it: the same document sent as JSON has the same digest.
    run = http.post(
        "/v1/jurisdictions/441700/impact",
        params={"as_of": AS_OF.isoformat()}, json=draft_document(), headers=auth,
    )  # fmt: skip
    assert f"<code>sha256:{run.json()['draft']['digest']}</code>" in report
    # The summary, as worked by hand: (gain, lose, unchanged) per domain.
    assert summary(report) == {
        "education": (0, 1, 2), "healthcare": (0, 0, 3), "housing": (0, 1, 2), "settlement": (0, 0, 3)
    }  # fmt: skip
    # The changed cells, A's 2->1 in education and B's 1->0 in housing, marked by a sign,
    # and their holders listed by id under the matrix.
    assert report.count('<td class="loss">▼ 1</td>') == 2
    assert report.count('class="gain">▲') == 0
    assert f"2 → 1（▼ 1）：<code>{population['A']}</code>" in report
    assert f"1 → 0（▼ 1）：<code>{population['B']}</code>" in report
    assert population["C"] not in report  # C changes level nowhere


# Anything a browser would fetch or run: a src/href to another host, a CSS url() or @import,
# a script. (The SVG namespace `xmlns="http://www.w3.org/2000/svg"` is a name, not a fetch.)
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(|@import|<script""", re.I)


def assert_self_contained(report: str) -> None:
    assert not EXTERNAL.search(report), EXTERNAL.search(report)
    assert "<!--" not in report  # pygal's signature comment names its home page


def summary(report: str) -> dict[str, tuple[int, ...]]:
    """The summary table's rows: domain -> (gain, lose, unchanged)."""
    table = report[report.index('<table class="summary">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr><th class="text">(\w+)</th>((?:<td[^>]*>[\d,]+</td>){3})</tr>', table)
    return {
        name: tuple(int(n.replace(",", "")) for n in re.findall(r">([\d,]+)<", cells))
        for name, cells in rows
    }


def made_up_result() -> dict[str, Any]:
    """A result as `Impact.as_json()` gives it, with what the hand-worked population lacks:
    counts by kind of township, a wide range of shortfalls, keys that are not numbers."""
    return {
        "as_of": "2025-06-01",
        "policy": "441700@2016-04-11",
        "holders": 1200,
        "total_points": {"before": {"0": 200, "30": 1000}, "after": {"0": 200, "40": 1000}},
        "domains": {
            "housing": {
                "transitions": {"0->0": 150, "0->1": 950, "1->0": 60, "1->1": 40},
                "examples": {"0->1": ["id-gain-1", "id-gain-2"], "1->0": ["id-loss-1"]},
                "by_district": {"441702": {"gainers": 950, "losers": 0}, "none": {"gainers": 0, "losers": 60}},
                "by_area_kind": {"town": {"gainers": 900, "losers": 10}, "subdistrict": {"gainers": 50, "losers": 50}},
                "shortfalls": {
                    "before": {"points": {"1": 500, "95": 600}, "valid_permit": {"1": 7}},
                    "after": {"points": {"3": 40, "120": 70}, "any_of": {"1": 20}},
                },
            },
            "festivals": {  # a domain the policy adds, unchanged
                "transitions": {"1->1": 1200}, "examples": {"1->1": ["id-same"]},
                "by_district": {}, "by_area_kind": {},
                "shortfalls": {"before": {}, "after": {}},
            },
        },
    }  # fmt: skip


def test_the_page_is_a_function_of_the_result_alone() -> None:
    result = made_up_result()
    page = render_html(result, "441700@draft")
    assert render_html(result, "441700@draft") == page  # no random chart ids
    assert_self_contained(page)
    assert "草案摘要" not in page  # no digest given, none shown
    assert summary(page) == {"housing": (950, 60, 190), "festivals": (0, 0, 1200)}
    # Total points, housing's gainers and losers by district and by township kind, and its
    # points shortfall; the other keys (permit, any_of) are counts in the table, not charts.
    assert page.count("<svg") == 4
    assert "街道 subdistrict" in page and "镇 town" in page
    assert "441702" in page and "市外 · none in the city" in page  # codes: no draft, no names
    # Shortfalls of 1 to 120 points, in bins of 10 (at most 20 bars), empty ones drawn too.
    assert "1–10" in page and "51–60" in page and "111–120" in page
    # Total points: the bin between 0 and 40 that nobody is in is still on the axis.
    assert "10–19" in page and "20–29" in page
    assert "<code>valid_permit</code>" in page and "no valid permit" in page
    assert "No holder changes level here" in page  # festivals
    assert "<code>id-gain-1</code>, <code>id-gain-2</code>" in page
    assert "id-same" not in page  # unchanged cells list nobody


def test_the_page_names_the_digest_it_is_given() -> None:
    page = render_html(made_up_result(), "441700@draft", digest="sha256:" + "ab" * 32)
    assert "草案摘要 · draft digest" in page and "sha256:" + "ab" * 32 in page


class Terminal(io.StringIO):
    """What a terminal would be shown."""

    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_redrawn_in_place_on_a_terminal() -> None:
    screen, now = Terminal(), iter([0.0, 10.0, 20.0, 40.0])
    bar = ProgressBar(screen, clock=lambda: next(now))
    bar(1_000, 4_000)
    bar(2_000, 4_000)
    bar(4_000, 4_000)
    assert "\n" not in screen.getvalue()  # one line, drawn again and again
    bar.close()
    draws = screen.getvalue().split("\r")
    assert draws[0] == ""
    assert (
        draws[1]
        == "[" + "#" * 8 + "." * 22 + "]  25%  1,000 / 4,000 holders  0:10, about 0:30 left"
    )
    assert draws[2].startswith("[" + "#" * 15 + "." * 15 + "]  50%  2,000 / 4,000 holders  0:20")
    # Spaces over the end of the longer line before it.
    last = "[" + "#" * 30 + "] 100%  4,000 / 4,000 holders  0:40"
    assert draws[3] == last.ljust(len(draws[2])) + "\n"


def test_elsewhere_a_line_a_tenth_at_most() -> None:
    log = io.StringIO()
    bar = ProgressBar(log)
    for done in range(0, 20_001, 1_000):
        bar(done, 20_000)
    bar.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "impact: 2,000 / 20,000 holders (10%)"
    assert lines[-1] == "impact: 20,000 / 20,000 holders (100%)"
    assert len(lines) == 10 and "\r" not in log.getvalue()


def test_the_command_line_draws_the_bar_on_a_terminal(
    population: dict[str, str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(draft_document(), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("JIFEN_DATABASE_URL", database_url)
    monkeypatch.setattr(sys, "stderr", screen := Terminal())
    assert main(["policies", "impact", str(draft), "--as-of", AS_OF.isoformat()]) == 0
    # The count first (0 of 3), then the end, each drawn over the line before.
    first, last = screen.getvalue().split("\r")[1:]
    assert first.startswith("[" + "." * 30 + "]   0%  0 / 3 holders  0:0")
    assert last.startswith("[" + "#" * 30 + "] 100%  3 / 3 holders  0:0")
    assert screen.getvalue().endswith("\n")  # the summary that follows starts a line
    assert "3 holders with a valid permit" in capsys.readouterr().out
