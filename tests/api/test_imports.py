"""Bulk imports of NDJSON (SPEC §7): line by line, all of a line or none of it."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clients.service import create_client
from app.imports.models import ImportBatch
from app.imports.run import ImportRun
from app.imports.service import claim_batch
from app.policies.service import PolicyCache
from app.register.models import Holder, InsurancePeriod, ResidencePeriod
from app.register.schemas import HolderCreate
from app.register.service import new_holder
from tests.conftest import holder_body, today
from tests.ids import make_id_number

NDJSON = {"Content-Type": "application/x-ndjson"}
NOW = datetime.now(UTC)
LEASE = timedelta(seconds=60)


def ndjson(*lines: Any) -> bytes:
    return "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ).encode()


def _rows(engine: sa.Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_a_batch_stores_good_lines_and_reports_bad_ones(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, new_holder: Any
) -> None:
    number, earlier = make_id_number(), make_id_number()
    http.post("/v1/holders", json=holder_body(id_number=earlier), headers=auth)
    ref = {"jurisdiction": "441700", "id_number": number}
    body = ndjson(
        {"kind": "holder", "holder": holder_body(id_number=number)},                                   # 1 stored
        {"kind": "residence_period", "holder": ref, "record": {"district": "441702", "start_date": "2020-01-01"}},  # 2
        "",                                                                                              # 3 blank
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "pension",
                                                               "start_month": "2020-13"}},               # 4 bad month
        {"kind": "residence_period", "holder": {"jurisdiction": "441700", "id_number": make_id_number()},
         "record": {"district": "441702", "start_date": "2020-01-01"}},                                  # 5 no holder
        "{not json",                                                                                     # 6
        {"kind": "pet", "holder": ref},                                                                  # 7 bad kind
        {"kind": "holder", "holder": holder_body(id_number=number)},                                     # 8 registered
        {"kind": "adjustment", "holder": {"jurisdiction": "441700", "id_number": earlier},
         "record": {"code": "college_degree", "effective_from": "2020-01-01"}},                         # 9 earlier holder
        {"kind": "residence_period", "holder": ref, "record": {"district": "441799", "start_date": "2999-01-01"}},  # 10
    )  # fmt: skip
    response = http.post("/v1/imports", content=body, headers={**auth, **NDJSON})
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["lines"] == 9 and report["stored"] == 3
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (4, "record.start_month"), (5, "holder"), (6, "line"), (7, "kind"), (8, "holder.id_number"),
        (10, "record.district"), (10, "record.start_date"),
    ]  # fmt: skip
    assert number not in response.text and "441799" not in response.text
    assert _rows(engine, Holder) == 2 and _rows(engine, ResidencePeriod) == 1
    again = http.get(response.headers["location"], headers=auth)
    assert again.status_code == 200 and again.json() == report


def test_a_record_line_needs_its_holder_before_it(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    number = make_id_number()
    ref = {"jurisdiction": "441700", "id_number": number}
    body = ndjson(
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "medical", "start_month": "2020-01"}},
        {"kind": "holder", "holder": holder_body(id_number=number)},
        {"kind": "insurance_period", "holder": ref, "record": {"district": "441702", "type": "medical", "start_month": "2020-01"}},
    )  # fmt: skip
    report = http.post("/v1/imports", content=body, headers={**auth, **NDJSON}).json()
    assert report["stored"] == 2
    assert [r["line"] for r in report["rejected"]] == [1]
    assert _rows(engine, InsurancePeriod) == 1


def test_jurisdictions_not_held(
    http: TestClient, make_key: Any, auth: dict[str, str], new_holder: Any
) -> None:
    elsewhere = make_id_number()
    http.post("/v1/holders", json=holder_body("621000", id_number=elsewhere), headers=auth)
    key = make_key(["holders:write"], ["441700"])
    body = ndjson(
        {"kind": "holder", "holder": holder_body("621000")},
        {"kind": "residence_period", "holder": {"jurisdiction": "621000", "id_number": elsewhere},
         "record": {"district": "621002", "start_date": "2020-01-01"}},
    )  # fmt: skip
    report = http.post("/v1/imports", content=body, headers={**key, **NDJSON}).json()
    assert report["stored"] == 0
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (1, "holder.jurisdiction"),
        (2, "holder"),
    ]


def test_the_batch_key_replays_the_first_report(
    http: TestClient, auth: dict[str, str], engine: sa.Engine
) -> None:
    body = ndjson({"kind": "holder", "holder": holder_body()})
    headers = {**auth, **NDJSON, "Idempotency-Key": "nightly-2026-11-24"}
    first = http.post("/v1/imports", content=body, headers=headers)
    retry = http.post("/v1/imports", content=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    assert _rows(engine, Holder) == 1
    other = http.post("/v1/imports", content=body + b"\n", headers=headers)
    assert other.status_code == 422


def test_reports_belong_to_their_client(
    http: TestClient, auth: dict[str, str], make_key: Any
) -> None:
    created = http.post(
        "/v1/imports",
        content=ndjson({"kind": "holder", "holder": holder_body()}),
        headers={**auth, **NDJSON},
    )
    assert http.get(created.headers["location"], headers=make_key()).status_code == 404
    assert http.get("/v1/imports/not-an-id", headers=auth).status_code == 404


def test_imports_take_ndjson_only(http: TestClient, auth: dict[str, str]) -> None:
    response = http.post("/v1/imports", json={"kind": "holder"}, headers=auth)
    assert response.status_code == 415


def test_chunks_are_stored_in_order_across_a_long_batch(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, monkeypatch: Any
) -> None:
    """Holders of one chunk, their records in later ones, a bad line in each chunk: while a
    chunk is stored the next one is prepared, and line numbers run on across chunks."""
    monkeypatch.setattr("app.imports.pipeline.CHUNK_LINES", 7)
    numbers = [make_id_number() for _ in range(10)]
    lines: list[Any] = [{"kind": "holder", "holder": holder_body(id_number=n)} for n in numbers]
    for month in range(1, 5):
        for n in numbers:
            lines.append({
                "kind": "insurance_period", "holder": {"jurisdiction": "441700", "id_number": n},
                "record": {"district": "441702", "type": "pension", "start_month": f"2020-{month:02d}",
                           "end_month": f"2020-{month:02d}"},
            })  # fmt: skip
    for bad in (5, 19, 33, 47):  # 1-based line numbers, one in each of several chunks
        lines.insert(bad - 1, "{not json")
    report = http.post("/v1/imports", content=ndjson(*lines), headers={**auth, **NDJSON}).json()
    assert report["lines"] == 54 and report["stored"] == 50
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (5, "line"), (19, "line"), (33, "line"), (47, "line"),
    ]  # fmt: skip
    assert _rows(engine, Holder) == 10 and _rows(engine, InsurancePeriod) == 40


def test_a_chunk_whose_holder_is_taken_meanwhile_is_stored_line_by_line(
    engine: sa.Engine, shipped_policies: list[str]
) -> None:
    """The order a pipelined import allows: chunk 2 is checked while chunk 1 is not yet stored,
    and another request registers chunk 1's holder in between. Chunk 1's holder line and chunk
    2's records of that holder are reported, every other line is stored."""
    with Session(engine, expire_on_commit=False) as session:
        client, _ = create_client(
            session, f"import-{uuid.uuid4().hex[:8]}", ["holders:write"], ["all"]
        )
        catalogue = PolicyCache().get(session).catalogue(today())
        batch, _ = claim_batch(session, client, None, NOW, LEASE)
    run = ImportRun(client, catalogue, today(), "en", batch, LEASE)
    taken, free = make_id_number(), make_id_number()

    def line(kind: str, number: str) -> bytes:
        if kind == "holder":
            return ndjson({"kind": "holder", "holder": holder_body(id_number=number)})
        return ndjson({"kind": "residence_period", "holder": {"jurisdiction": "441700", "id_number": number},
                       "record": {"district": "441702", "start_date": "2020-01-01"}})  # fmt: skip

    with Session(engine) as session:
        first = run.prepare(session, [(1, line("holder", taken)), (2, line("holder", free))], 2, "")
    with Session(engine) as session:  # another request registers the same person
        session.add(
            new_holder(HolderCreate.model_validate_json(json.dumps(holder_body(id_number=taken))))
        )
        session.commit()
    with Session(engine) as session:
        second = run.prepare(
            session, [(3, line("record", taken)), (4, line("record", free))], 4, ""
        )
    for chunk in (first, second):
        with Session(engine) as session:
            run.store(session, chunk, NOW)
    report = run.report("stored")
    assert report["stored"] == 2
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (1, "holder.id_number"),
        (3, "holder"),
    ]
    assert _rows(engine, Holder) == 2 and _rows(engine, ResidencePeriod) == 1


def _lines(holders: int, periods_each: int) -> list[dict[str, Any]]:
    numbers = [make_id_number() for _ in range(holders)]
    lines: list[dict[str, Any]] = [
        {"kind": "holder", "holder": holder_body(id_number=n)} for n in numbers
    ]
    lines += [
        {"kind": "residence_period", "holder": {"jurisdiction": "441700", "id_number": n},
         "record": {"district": "441702", "start_date": f"{2000 + i}-01-01", "end_date": f"{2000 + i}-06-01"}}
        for n in numbers for i in range(periods_each)
    ]  # fmt: skip
    return lines


def _interrupted_batch(
    engine: sa.Engine, key: str, body: bytes, now: datetime
) -> tuple[str, dict[str, str]]:
    """A batch whose run stored its first chunk and died: what a worker killed mid-import
    leaves. Its client's headers and the batch id."""
    with Session(engine, expire_on_commit=False) as session:
        client, api_key = create_client(
            session, f"import-{uuid.uuid4().hex[:8]}", ["holders:write"], ["all"]
        )
        catalogue = PolicyCache().get(session).catalogue(today())
        batch, _ = claim_batch(session, client, key, now, LEASE)
    run = ImportRun(client, catalogue, today(), "en", batch, LEASE)
    raw = body.split(b"\n")
    first = 3000  # lines of the chunk it stored before dying
    prefix = hashlib.sha256(b"".join(line + b"\n" for line in raw[:first])).hexdigest()
    with Session(engine) as session:
        chunk = run.prepare(
            session, [(i + 1, line) for i, line in enumerate(raw[:first])], first, prefix
        )
    with Session(engine) as session:
        run.store(session, chunk, now)
    return str(batch.id), {"Authorization": f"Bearer {api_key}"}


def test_an_interrupted_batch_resumes_with_its_key_and_bytes_storing_every_line_once(
    app: Any, http: TestClient, engine: sa.Engine, shipped_policies: list[str]
) -> None:
    lines = _lines(1000, 5)  # 6,000 lines: the dead run stored the first 3,000
    body = ndjson(*lines)
    now = app.state.clock()
    batch_id, auth = _interrupted_batch(engine, "nightly-7", body, now - LEASE * 2)
    holders, periods = _rows(engine, Holder), _rows(engine, ResidencePeriod)

    shown = http.get(f"/v1/imports/{batch_id}", headers=auth).json()
    assert shown["state"] == "interrupted" and shown["last_line"] == 3000
    assert shown["lines"] == 3000 and shown["stored"] == 3000

    headers = {**auth, **NDJSON, "Idempotency-Key": "nightly-7"}
    # Other bytes under the key: 422, and the batch is left as it was.
    other = ndjson(*lines[:2999], {"kind": "holder", "holder": holder_body()}, *lines[3000:])
    assert http.post("/v1/imports", content=other, headers=headers).status_code == 422
    assert _rows(engine, Holder) == holders

    resumed = http.post("/v1/imports", content=body, headers=headers)
    assert resumed.status_code == 201, resumed.text
    report = resumed.json()
    assert report == {
        "id": batch_id,
        "state": "stored",
        "lines": 6000,
        "stored": 6000,
        "rejected": [],
    }
    # The first chunk held the 1,000 holders and 2,000 periods: only the rest is added.
    assert _rows(engine, Holder) == holders and _rows(engine, ResidencePeriod) == periods + 3000
    again = http.post("/v1/imports", content=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == report
    assert http.get(f"/v1/imports/{batch_id}", headers=auth).json() == report


def test_a_batch_whose_run_holds_it_is_409(
    app: Any, http: TestClient, engine: sa.Engine, shipped_policies: list[str]
) -> None:
    body = ndjson(*_lines(1000, 5))
    batch_id, auth = _interrupted_batch(engine, "nightly-8", body, app.state.clock())
    busy = http.post(
        "/v1/imports", content=body, headers={**auth, **NDJSON, "Idempotency-Key": "nightly-8"}
    )
    assert busy.status_code == 409
    assert http.get(f"/v1/imports/{batch_id}", headers=auth).json()["state"] == "running"


def test_a_batch_read_to_its_end_whose_answer_was_not_kept_answers_its_report(
    app: Any, http: TestClient, engine: sa.Engine, shipped_policies: list[str]
) -> None:
    body = ndjson(*_lines(10, 1))
    batch_id, auth = _interrupted_batch(engine, "nightly-9", body, app.state.clock())
    with Session(engine) as session:  # read to its end, then the process died before the key
        session.execute(sa.update(ImportBatch).where(ImportBatch.id == uuid.UUID(batch_id))
                        .values(state="stored", lease_until=None))  # fmt: skip
        session.commit()
    retried = http.post(
        "/v1/imports", content=body, headers={**auth, **NDJSON, "Idempotency-Key": "nightly-9"}
    )
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["id"] == batch_id and retried.json()["state"] == "stored"
