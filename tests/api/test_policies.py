"""Policy documents: shipped files, publication, versions in force (SPEC §5, §7)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.policies.document import load_policy_yaml
from app.policies.service import case_failures
from tests.conftest import FIXTURES, SHIPPED_POLICIES, holder_body

SHIPPED = sorted(SHIPPED_POLICIES.glob("*.yaml"))
SEED_CITIES = {"441700", "621000", "431000", "370300", "441200"}


def _document(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_every_seed_city_ships_a_policy() -> None:
    codes = {
        load_policy_yaml(p.read_text(encoding="utf-8"), p.name).jurisdiction.code for p in SHIPPED
    }
    assert codes == SEED_CITIES
    assert len(SHIPPED) > len(SEED_CITIES), "one city needs a second, later version"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_policy_cases_pass(path: Path) -> None:
    policy = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
    assert path.stem == policy.id
    assert len(policy.tests) >= 4
    assert case_failures(policy) == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_policy_is_served_as_loaded(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str], path: Path
) -> None:
    policy = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
    response = http.get(f"/v1/policies/{policy.id}", headers=auth)
    assert response.status_code == 200
    assert response.json() == policy.served()
    assert list(response.json()["domains"])[:4] == [
        "education",
        "healthcare",
        "housing",
        "settlement",
    ]


def test_zhaoqing_settlement_never_depends_on_points() -> None:
    for path in SHIPPED_POLICIES.glob("441200@*.yaml"):
        assert "min_points" not in yaml.safe_dump(_document(path)["domains"]["settlement"])


def test_jurisdictions_and_versions(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    listed = http.get("/v1/jurisdictions", headers=auth).json()
    assert [j["code"] for j in listed["items"]] == sorted(SEED_CITIES)
    assert listed["next_cursor"] is None
    first = http.get("/v1/jurisdictions", params={"limit": 2}, headers=auth).json()
    rest = http.get(
        "/v1/jurisdictions", params={"cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert [j["code"] for j in first["items"] + rest["items"]] == sorted(SEED_CITIES)

    versions = http.get("/v1/jurisdictions/441200/policies", headers=auth).json()["items"]
    assert [v["effective_from"] for v in versions] == sorted(v["effective_from"] for v in versions)
    assert len(versions) == 2
    assert set(versions[0]) == {"id", "version", "effective_from", "effective_to"}
    assert http.get("/v1/jurisdictions/999999/policies", headers=auth).status_code == 404
    assert http.get("/v1/policies/441700@nothing", headers=auth).status_code == 404


def test_builtin_table_stands_in_before_any_policy(http: TestClient, auth: dict[str, str]) -> None:
    listed = http.get("/v1/jurisdictions", headers=auth).json()["items"]
    assert [j["code"] for j in listed] == sorted(SEED_CITIES)
    assert http.get("/v1/jurisdictions/441700/policies", headers=auth).json()["items"] == []


def _as_json(document: dict[str, Any]) -> Any:
    """YAML gives dates; JSON carries them as ISO text."""
    return json.loads(json.dumps(document, default=str))


def _next_version(path: Path, version: str, effective_from: str) -> dict[str, Any]:
    document = _document(path)
    document["version"] = version
    document["effective_from"] = effective_from
    for case in document["tests"]:
        case["as_of"] = max(str(case["as_of"]), effective_from)
    return document


def test_extra_domains_are_served_after_the_core_four_by_name(
    http: TestClient, make_key: Any, example_policy: str
) -> None:
    # Stored documents have sorted keys: "elderly_care" sorts before "healthcare", and must not
    # be served there.
    key = make_key(["policies:write"])
    document = _document(FIXTURES / "example_policy.yaml")
    document.update(version="2031", effective_from="2031-01-01")
    document["tests"] = [{"name": "a new holder", "as_of": "2031-01-01",
                          "input": {"permit": {"issued_on": "2030-06-01", "valid_until": "2031-06-01",
                                               "status": "active"}},
                          "output": {"levels": {"elderly_care": 0, "assistance": 0}}}]  # fmt: skip
    document["domains"]["elderly_care"] = []
    document["domains"]["assistance"] = []
    created = http.post("/v1/policies", json=document, headers=key)
    assert created.status_code == 201, created.text
    order = ["education", "healthcare", "housing", "settlement", "assistance", "elderly_care"]
    assert list(created.json()["domains"]) == order
    assert list(http.get(created.headers["location"], headers=key).json()["domains"]) == order


def test_publish_a_new_version_as_yaml(
    http: TestClient, make_key: Any, example_policy: str
) -> None:
    key = make_key(["policies:write", "scores:read", "holders:write"])
    document = _document(FIXTURES / "example_policy.yaml")
    document.update(version="2030", effective_from="2030-01-01")
    document["indicators"]["residence"]["points_per_year"] = 3
    document["tests"] = [{
        "name": "ten years of residence under the new values",
        "as_of": "2030-01-01",
        "input": {"permit": {"issued_on": "2019-06-01", "valid_until": "2031-06-01", "status": "active"},
                  "residence_periods": [{"district": "441702", "start_date": "2020-01-01"}]},
        "output": {"total_points": 20, "residence_months": 120},
    }]  # fmt: skip
    text = yaml.safe_dump(document, allow_unicode=True)
    created = http.post(
        "/v1/policies", content=text.encode(), headers={**key, "Content-Type": "application/yaml"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/v1/policies/441700@2030")
    # Publishing the same document again is a no-op.
    again = http.post("/v1/policies", json=created.json(), headers=key)
    assert again.status_code == 200
    assert again.json() == created.json()

    # The version in force depends on the date.
    body = {"jurisdiction": "441700", "permit": {"issued_on": "2019-06-01", "valid_until": "2031-06-01",
            "status": "active"}, "residence_periods": [{"district": "441702", "start_date": "2010-01-01"}]}  # fmt: skip
    before = http.post("/v1/simulations", json={**body, "as_of": "2029-12-31"}, headers=key).json()
    after = http.post("/v1/simulations", json={**body, "as_of": "2030-01-01"}, headers=key).json()
    assert (before["policy"]["id"], before["total_points"]) == (
        "441700@example",
        20,
    )  # capped at 20
    assert (after["policy"]["id"], after["total_points"]) == ("441700@2030", 20)
    assert after["components"][0]["points"] == 20
    assert (
        http.post("/v1/simulations", json={**body, "as_of": "2025-01-01"}, headers=key).json()[
            "total_points"
        ]
        == 20
    )


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"version": "example", "notes": {"en": "changed"}}, 409, None),  # same id, other content
        ({"version": "example", "indicators": "broken"}, 409, None),  # same id, invalid: still 409
        ({"version": "2010", "effective_from": "2010-01-01"}, 422, "effective_from"),  # back-dated
        ({"version": "2031", "effective_from": "2031-01-01", "indicators": {"residence": {}}}, 422,
         "indicators.residence.points_per_year"),
        ({"version": "2031", "effective_from": "2031-01-01", "tests": [{
            "name": "wrong on purpose", "as_of": "2031-02-01",
            "input": {"permit": {"issued_on": "2030-01-01", "valid_until": "2032-01-01", "status": "active"}},
            "output": {"total_points": 99}}]}, 422, "tests"),
        ({"version": "2031", "effective_from": "2031-01-01", "tests": []}, 422, "tests"),
    ],
)  # fmt: skip
def test_publishing_refusals(
    http: TestClient,
    make_key: Any,
    example_policy: str,
    change: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    document = {**_document(FIXTURES / "example_policy.yaml"), **change}
    response = http.post(
        "/v1/policies", json=_as_json(document), headers=make_key(["policies:write"])
    )
    assert response.status_code == status, response.text
    if field:
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (
        http.get("/v1/jurisdictions/441700/policies", headers=make_key()).json()["items"][-1]["id"]
        == "441700@example"
    )


def test_publishing_needs_scope_and_jurisdiction(
    http: TestClient, make_key: Any, example_policy: str
) -> None:
    document = _next_version(FIXTURES / "example_policy.yaml", "2040", "2040-01-01")
    body = _as_json(document)
    assert (
        http.post("/v1/policies", json=body, headers=make_key(["scores:read"])).status_code == 403
    )
    response = http.post(
        "/v1/policies", json=body, headers=make_key(["policies:write"], ["621000"])
    )
    assert response.status_code == 403
    assert "441700" in response.json()["detail"]


def test_policies_replace_the_builtin_table_for_entry_checks(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    # Only Yangjiang has a policy now: Qingyang is unknown.
    assert http.post("/v1/holders", json=holder_body("621000"), headers=auth).status_code == 422
    holder = http.post("/v1/holders", json=holder_body("441700"), headers=auth).json()
    unknown_code = http.post(f"/v1/holders/{holder['id']}/adjustments",
                             json={"code": "astronaut", "effective_from": "2020-01-01"}, headers=auth)  # fmt: skip
    assert unknown_code.status_code == 422
    assert unknown_code.json()["errors"][0]["field"] == "code"
    known = http.post(f"/v1/holders/{holder['id']}/adjustments",
                      json={"code": "college_degree", "effective_from": "2020-01-01"}, headers=auth)  # fmt: skip
    assert known.status_code == 201


def test_endorsement_uses_the_policy_in_force(
    http: TestClient, auth: dict[str, str], example_policy: str
) -> None:
    holder = http.post("/v1/holders", json=holder_body("441700", issued_on="2015-01-01", valid_until="2016-12-31"),
                       headers=auth).json()  # fmt: skip
    before_policy = http.post(
        f"/v1/holders/{holder['id']}/endorsements", json={"endorsed_on": "2016-01-01"}, headers=auth
    )
    assert before_policy.status_code == 422
    assert before_policy.json()["errors"][0]["field"] == "endorsed_on"
    done = http.post(
        f"/v1/holders/{holder['id']}/endorsements", json={"endorsed_on": "2016-06-01"}, headers=auth
    )
    assert done.json()["valid_until"] == "2017-12-31"


def test_cli_check_prints_each_case(tmp_path: Path) -> None:
    broken = _document(FIXTURES / "example_policy.yaml")
    broken["tests"][0]["output"]["total_points"] = 5
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app.cli", "policies", "check", str(FIXTURES / "example_policy.yaml"),
                          str(path)], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert sum(line.startswith("pass ") for line in lines) == 2 * len(broken["tests"]) - 1
    assert sum(line.startswith("FAIL ") for line in lines) == 1


def _load(database_url: str, directory: Path) -> "subprocess.CompletedProcess[str]":
    env = {
        "JIFEN_DATABASE_URL": database_url,
        "JIFEN_POLICY_DIR": str(directory),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "policies", "load"],
        capture_output=True,
        text=True,
        env=env,
    )


def test_startup_refuses_a_changed_published_file(
    tmp_path: Path, database_url: str, engine: Any
) -> None:
    shutil.copy(FIXTURES / "example_policy.yaml", tmp_path / "441700@example.yaml")
    assert _load(database_url, tmp_path).returncode == 0
    assert _load(database_url, tmp_path).returncode == 0  # the same file again: a no-op
    edited = (
        (tmp_path / "441700@example.yaml")
        .read_text(encoding="utf-8")
        .replace("points: 10", "points: 11", 1)
    )
    (tmp_path / "441700@example.yaml").write_text(edited, encoding="utf-8")
    refused = _load(database_url, tmp_path)
    assert refused.returncode == 1
    assert "441700@example" in refused.stderr and "never changes" in refused.stderr
    # It says where the file differs and what to do: restore it or publish a new version, or
    # start from an empty database when a release corrected a shipped file.
    assert "(in: adjustments)" in refused.stderr
    assert "GET /v1/policies/441700@example" in refused.stderr
    assert "new version" in refused.stderr and "CHANGELOG.md" in refused.stderr


def test_startup_names_the_file_field_and_reason_of_an_invalid_file(
    tmp_path: Path, database_url: str
) -> None:
    document = _document(FIXTURES / "example_policy.yaml")
    document["domains"]["education"][1]["requires"]["min_points"] = "twenty"
    (tmp_path / "broken.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    refused = _load(database_url, tmp_path)
    assert refused.returncode == 1
    assert "broken.yaml" in refused.stderr
    assert "domains.education[1].requires.min_points" in refused.stderr


def test_cli_check_lists_every_problem_of_an_invalid_file(tmp_path: Path) -> None:
    # A new version whose cases are all still dated before it: each one is named.
    document = _document(FIXTURES / "example_policy.yaml")
    document.update(version="2040", effective_from="2040-01-01")
    path = tmp_path / "441700@2040.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app.cli", "policies", "check", str(path)],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 1
    named = [line.strip() for line in run.stdout.splitlines() if ".as_of:" in line]
    assert len(named) == len(document["tests"]) == 4
    assert named[0].startswith("tests[0].as_of:") and named[3].startswith("tests[3].as_of:")
