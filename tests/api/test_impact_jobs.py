# ruff: noqa: F811 (population, a fixture of test_impact.py, is named by the tests)
"""Issue 17: the impact of a draft as a job over HTTP: 202 and Location, progress, the result
(the population of test_impact.py, worked by hand), the report page, the list, cancelling,
interrupted runs, scopes and jurisdictions, bad drafts, and the audit of example reads."""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

import app.impact.service as impact_service
from app.impact import runs
from app.impact.compare import Comparison
from app.policies.document import load_policy_yaml
from tests.api.test_impact import AS_OF, draft_document, population  # noqa: F401 (a fixture)
from tests.conftest import BACKEND, SHIPPED_POLICIES

URL = "/v1/jurisdictions/441700/impact"
FINISHED = {"done", "failed", "cancelled"}


class HeldExecutor(Executor):
    """Runs what it was given only when the test says so: a run stays queued meanwhile."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append((fn, args))
        return Future()

    def run(self) -> None:
        while self.jobs:
            fn, args = self.jobs.pop(0)
            fn(*args)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.jobs.clear()


@pytest.fixture
def held(app: Any) -> Iterator[HeldExecutor]:
    executor = HeldExecutor()
    runner = app.state.impact_runner
    runner.stop()
    runner.new_executor = lambda: executor
    yield executor
    runner.stop()
    runner.new_executor = __import__("app.impact.jobs", fromlist=["one_thread"]).one_thread


def start(http: TestClient, auth: dict[str, str], draft: dict[str, Any] | None = None) -> Any:
    return http.post(
        URL, params={"as_of": AS_OF.isoformat()}, json=draft or draft_document(), headers=auth
    )


def finished(http: TestClient, auth: dict[str, str], location: str) -> dict[str, Any]:
    """The run once it has finished (the runner is a thread of the app)."""
    deadline = time.monotonic() + 60
    while True:
        run: dict[str, Any] = http.get(location, headers=auth).json()
        if run["state"] in FINISHED or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def test_a_run_answers_202_and_its_result_is_the_one_worked_by_hand(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    answer = start(http, auth)
    assert answer.status_code == 202, answer.text
    location = answer.headers["location"]
    created = answer.json()
    assert location.endswith(f"{URL}/{created['id']}")
    assert created["state"] in {"queued", "running", "done"}
    assert created["policy_id"] == "441700@example"
    assert created["draft"]["id"] == "441700@draft"
    assert created["as_of"] == AS_OF.isoformat()
    run = finished(http, auth, location)
    assert run["state"] == "done", run.get("error")
    assert run["progress"] == {"done": 3, "total": 3}
    result = run["result"]
    assert result["holders"] == 3
    education = result["domains"]["education"]
    assert education["transitions"] == {"1->1": 1, "2->1": 1, "2->2": 1}
    assert education["examples"]["2->1"] == [population["A"]]
    assert result["domains"]["housing"]["transitions"] == {"0->0": 2, "1->0": 1}
    assert result["domains"]["housing"]["by_district"] == {"441702": {"gainers": 0, "losers": 1}}
    # Kept as it was: a second read is the same, and so is the run in the list (no result).
    assert http.get(location, headers=auth).json() == run
    listed = http.get(URL, headers=auth).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert "result" not in listed["items"][0]
    assert listed["items"][0]["state"] == "done"


def test_the_report_page_of_a_done_run(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    location = start(http, auth).headers["location"]
    run = finished(http, auth, location)
    assert run["state"] == "done", run.get("error")
    page = http.get(f"{location}/report", headers=auth)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "草案影响评估" in page.text and "Impact of a draft policy" in page.text
    assert "441700@draft" in page.text
    assert page.text.count('<td class="loss">▼ 1</td>') == 2  # A's 2->1, B's 1->0
    assert page.text.count("<svg") == 7  # as the command line draws them (test_impact.py)
    assert "江城区 Jiangcheng" in page.text  # the draft's names
    assert f"sha256:{run['draft']['digest']}" in page.text


def test_the_draft_is_named_by_the_digest_of_its_document(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    """The same draft sent as JSON and as YAML has one digest; another draft another."""
    as_json = start(http, auth).json()["draft"]["digest"]
    as_yaml = http.post(
        URL,
        params={"as_of": AS_OF.isoformat()},
        content=yaml.safe_dump(draft_document(), allow_unicode=True).encode(),
        headers={**auth, "Content-Type": "application/yaml"},
    ).json()["draft"]["digest"]
    other = draft_document()
    other["domains"]["housing"][0]["requires"]["min_points"] = 37
    assert len(as_json) == 64 and int(as_json, 16) >= 0
    assert as_json == as_yaml
    assert start(http, auth, other).json()["draft"]["digest"] != as_json


def test_a_queued_run_cancelled_never_runs(
    http: TestClient, auth: dict[str, str], population: dict[str, str], held: HeldExecutor
) -> None:
    answer = start(http, auth)
    location = answer.headers["location"]
    assert http.get(location, headers=auth).json()["state"] == "queued"
    cancelled = http.post(f"{location}/cancel", headers=auth)
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    held.run()  # the runner gets to it: it stays cancelled, with no result
    run = http.get(location, headers=auth).json()
    assert run["state"] == "cancelled" and "result" not in run
    assert http.post(f"{location}/cancel", headers=auth).json()["state"] == "cancelled"
    assert http.get(f"{location}/report", headers=auth).status_code == 409


def test_a_running_run_stops_at_its_next_step_when_cancelled(
    http: TestClient,
    auth: dict[str, str],
    population: dict[str, str],
    held: HeldExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    location = start(http, auth).headers["location"]
    monkeypatch.setattr(impact_service, "PROGRESS_EVERY", 1)
    compared = []
    add_facts = Comparison.add_facts

    # Holder by holder (SQLite) or group by group (PostgreSQL, after its one statement).
    def add_then_cancel(self: Comparison, *args: Any) -> None:
        add_facts(self, *args)
        compared.append(args)
        if len(compared) == 1:  # another request cancels while the first holder is done
            assert http.post(f"{location}/cancel", headers=auth).status_code == 200

    monkeypatch.setattr(Comparison, "add_facts", add_then_cancel)
    held.run()
    run = http.get(location, headers=auth).json()
    assert run["state"] == "cancelled" and "result" not in run
    if BACKEND == "sqlite":  # on PostgreSQL the step is the whole statement
        assert len(compared) == 1  # it stopped at the next step
    assert run["progress"]["done"] == 0 and run["progress"]["total"] == 3


def test_a_finished_run_cannot_be_cancelled(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    location = start(http, auth).headers["location"]
    assert finished(http, auth, location)["state"] == "done"
    refused = http.post(f"{location}/cancel", headers=auth)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert http.get(location, headers=auth).json()["state"] == "done"


def test_a_run_whose_process_stopped_is_failed_as_interrupted(
    app: Any,
    http: TestClient,
    auth: dict[str, str],
    population: dict[str, str],
    held: HeldExecutor,
) -> None:
    """No heartbeat for over a minute (the injectable clock moves on; nobody sleeps)."""
    location = start(http, auth).headers["location"]
    now = app.state.clock()
    app.state.clock = lambda: now + runs.STALE - timedelta(seconds=1)
    try:
        assert http.get(location, headers=auth).json()["state"] == "queued"
        app.state.clock = lambda: now + runs.STALE + timedelta(seconds=1)
        run = http.get(location, headers=auth).json()
    finally:
        del app.state.clock
        app.state.clock = __import__("app.db.base", fromlist=["utcnow"]).utcnow
    assert run["state"] == "failed"
    assert run["error"].startswith("interrupted")
    held.run()  # the queued job, were its process alive after all, does not run it
    assert http.get(location, headers=auth).json()["state"] == "failed"


def test_shutting_down_fails_the_runs_it_held(
    app: Any,
    http: TestClient,
    auth: dict[str, str],
    population: dict[str, str],
    held: HeldExecutor,
) -> None:
    location = start(http, auth).headers["location"]
    app.state.impact_runner.stop()
    run = http.get(location, headers=auth).json()
    assert run["state"] == "failed" and run["error"].startswith("interrupted")


@pytest.mark.parametrize(
    ("scopes", "jurisdictions", "status"),
    [
        (["policies:simulate"], ["441700"], 202),
        (["policies:write"], ["441700"], 202),
        (["scores:read", "holders:read"], ["441700"], 403),
        (["policies:simulate"], ["621000"], 403),
    ],
)
def test_who_may_run_an_impact(
    http: TestClient,
    make_key: Callable[..., dict[str, str]],
    population: dict[str, str],
    scopes: list[str],
    jurisdictions: list[str],
    status: int,
) -> None:
    key = make_key(scopes, jurisdictions)
    answer = start(http, key)
    assert answer.status_code == status, answer.text
    if status == 202:
        assert finished(http, key, answer.headers["location"])["state"] == "done"
        assert http.get(URL, headers=key).status_code == 200
    else:
        assert answer.headers["content-type"] == "application/problem+json"
        assert http.get(URL, headers=key).status_code == 403


def test_runs_of_another_jurisdiction_are_not_found(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    location = start(http, auth).headers["location"]
    run_id = location.rsplit("/", 1)[1]
    other = f"/v1/jurisdictions/621000/impact/{run_id}"
    assert http.get(other, headers=auth).status_code == 404
    assert http.get(f"{URL}/{uuid.uuid4()}", headers=auth).status_code == 404
    assert http.get(f"{URL}/not-a-uuid", headers=auth).status_code == 404
    assert http.post("/v1/jurisdictions/999900/impact", json={}, headers=auth).status_code == 404


def failing_case() -> dict[str, Any]:
    draft = draft_document()
    draft["tests"][1]["output"]["total_points"] = 99
    return draft


def other_city() -> dict[str, Any]:
    """A valid policy of Qingyang, sent to Yangjiang's route."""
    path = next(SHIPPED_POLICIES.glob("621000*.yaml"))
    return load_policy_yaml(path.read_text(encoding="utf-8"), path.name).served()


def no_version() -> dict[str, Any]:
    draft = draft_document()
    del draft["version"]
    return draft


@pytest.mark.parametrize(
    ("draft", "as_of", "field"),
    [
        (failing_case, AS_OF.isoformat(), "tests"),
        (other_city, AS_OF.isoformat(), "jurisdiction.code"),
        (no_version, AS_OF.isoformat(), "version"),
        (draft_document, "2000-01-01", "as_of"),
    ],
)
def test_a_draft_that_cannot_be_compared_is_refused_with_its_field(
    http: TestClient,
    auth: dict[str, str],
    population: dict[str, str],
    draft: Callable[[], dict[str, Any]],
    as_of: str,
    field: str,
) -> None:
    answer = http.post(URL, params={"as_of": as_of}, json=draft(), headers=auth)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert http.get(URL, headers=auth).json()["items"] == []  # nothing was started


def test_bodies_that_are_not_documents(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    text = {**auth, "Content-Type": "text/plain"}
    assert http.post(URL, content=b"hello", headers=text).status_code == 415
    broken = {**auth, "Content-Type": "application/json"}
    assert http.post(URL, content=b"{", headers=broken).status_code == 400


def test_reading_a_result_is_audited_with_its_example_ids(
    http: TestClient,
    auth: dict[str, str],
    population: dict[str, str],
    make_key: Callable[..., dict[str, str]],
    engine: sa.Engine,
) -> None:
    since = datetime.now(UTC).isoformat()
    location = start(http, auth).headers["location"]
    run = finished(http, auth, location)
    examples = sum(
        len(ids) for d in run["result"]["domains"].values() for ids in d["examples"].values()
    )
    auditor = make_key(["audit:read"])
    rows = http.get("/v1/audit", params={"since": since, "limit": 500}, headers=auditor)
    rows = rows.json()["items"]
    reads = [r for r in rows if r["route"] == "/v1/jurisdictions/{code}/impact/{impact_id}"]
    assert reads and all(r["jurisdictions"] == ["441700"] for r in reads)
    assert reads[-1]["rows"] == examples == 4 + 1 + 3 + 2 + 2  # hand-counted cells' examples


def test_a_retry_with_the_same_key_gets_the_same_run(
    http: TestClient, auth: dict[str, str], population: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    first = start(http, headers)
    again = start(http, headers)
    assert first.status_code == again.status_code == 202
    assert again.headers.get("idempotent-replayed") == "true"
    assert json.loads(again.content)["id"] == first.json()["id"]
    assert len(http.get(URL, headers=auth).json()["items"]) == 1
