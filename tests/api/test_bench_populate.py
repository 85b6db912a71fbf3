"""The synthetic population of `jifen bench populate` (issue #7): deterministic, valid under
SPEC §4, with the stated mixes, and scored by the API like any other holder."""

import hashlib
import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.bench.cli import population_catalogue
from app.bench.populate import REFERENCE_DATE, TABLES, populate
from app.db.base import metadata
from app.domain.codes import jurisdiction_prefix
from app.policies.service import PolicyBook, PolicyCache
from app.register.id_numbers import id_number_problem
from app.register.records import record_errors
from app.register.schemas import AdjustmentCreate, InsurancePeriodCreate, ResidencePeriodCreate
from tests.conftest import today
from tests.ids import check_character

HOLDERS = 200
SEED = 20260101
JURISDICTION = "441700"


def _book(engine: sa.Engine) -> PolicyBook:
    with Session(engine) as session:
        return PolicyCache().get(session)


def _populate(engine: sa.Engine, seed: int = SEED) -> dict[str, int]:
    districts, codes = population_catalogue(_book(engine), JURISDICTION)
    return populate(
        engine,
        holders=HOLDERS,
        seed=seed,
        jurisdiction=JURISDICTION,
        districts=districts,
        adjustment_codes=codes,
    )


def _rows(engine: sa.Engine, table: str) -> list[dict[str, Any]]:
    """Every row but its `seq`, in insertion order, typed as the models type them."""
    columns = metadata.tables[table].c
    query = sa.select(*(columns[name] for name in TABLES[table])).order_by(columns.seq)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _as_sent(row: dict[str, Any], *fields: str) -> str:
    """The record as another system would send it: JSON, dates as ISO strings."""
    return json.dumps(
        {f: row[f].isoformat() if hasattr(row[f], "isoformat") else row[f] for f in fields}
    )


def _digest(engine: sa.Engine) -> str:
    digest = hashlib.sha256()
    for table in TABLES:
        for row in _rows(engine, table):
            digest.update(repr(sorted((k, str(v)) for k, v in row.items())).encode())
    return digest.hexdigest()


def _clear(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(TABLES):
            connection.execute(sa.text(f"DELETE FROM {table}"))


def test_the_same_seed_writes_the_same_rows(engine: sa.Engine, shipped_policies: list[str]) -> None:
    counts = _populate(engine)
    first = _digest(engine)
    _clear(engine)
    assert _populate(engine) == counts
    assert _digest(engine) == first
    _clear(engine)
    _populate(engine, seed=SEED + 1)
    assert _digest(engine) != first


def test_every_record_passes_the_entry_checks(
    engine: sa.Engine, shipped_policies: list[str]
) -> None:
    _populate(engine)
    on = today()
    catalogue = _book(engine).catalogue(on)
    holders = _rows(engine, "holders")
    id_numbers = [h["id_number"] for h in holders]
    assert len(set(id_numbers)) == HOLDERS
    districts = catalogue.districts[JURISDICTION]
    for holder in holders:
        assert id_number_problem(holder["id_number"], on) is None, holder["id_number"]
        # ...and by the standard's weights, not only by the code under test.
        assert holder["id_number"][17] == check_character(holder["id_number"][:17])
        assert holder["id_number"][:6] in districts
        assert holder["permit_issued_on"] <= holder["permit_valid_until"]
        assert holder["permit_issued_on"] <= on
    for row in _rows(engine, "residence_periods"):
        record = ResidencePeriodCreate.model_validate_json(
            _as_sent(row, "district", "start_date", "end_date", "housing", "source")
        )
        assert record_errors(catalogue, JURISDICTION, record) == [], row
        assert record.start_date <= on
    for row in _rows(engine, "insurance_periods"):
        for month in ("start_month", "end_month"):
            assert row[month] is None or row[month].day == 1
            row[month] = row[month] and f"{row[month]:%Y-%m}"
        record = InsurancePeriodCreate.model_validate_json(
            _as_sent(row, "district", "type", "start_month", "end_month", "source")
        )
        assert record_errors(catalogue, JURISDICTION, record) == [], row
        assert str(record.start_month) <= f"{on:%Y-%m}"
    for row in _rows(engine, "adjustments"):
        record = AdjustmentCreate.model_validate_json(
            _as_sent(row, "code", "effective_from", "effective_to")
        )
        assert record_errors(catalogue, JURISDICTION, record) == [], row


def test_the_stated_mixes(engine: sa.Engine, shipped_policies: list[str]) -> None:
    _populate(engine)
    holders = _rows(engine, "holders")
    per_holder = {
        table: Counter(row["holder_id"] for row in _rows(engine, table))
        for table in ("residence_periods", "insurance_periods", "adjustments")
    }
    for holder in holders:
        assert 1 <= per_holder["residence_periods"][holder["id"]] <= 6
        assert 1 <= per_holder["insurance_periods"][holder["id"]] <= 12
        assert 0 <= per_holder["adjustments"][holder["id"]] <= 2
    assert set(per_holder["residence_periods"].values()) == {1, 2, 3, 4, 5, 6}
    assert {0, 1, 2} <= {per_holder["adjustments"][h["id"]] for h in holders}

    def kind(holder: dict[str, Any]) -> str:
        if holder["permit_status"] != "active":
            return str(holder["permit_status"])
        return "valid" if holder["permit_valid_until"] >= REFERENCE_DATE else "expired"

    kinds = Counter(kind(h) for h in holders)
    assert set(kinds) == {"valid", "expired", "suspended", "revoked"}
    assert kinds["valid"] > HOLDERS / 2

    residence = _rows(engine, "residence_periods")
    elsewhere = sum(
        not r["district"].startswith(jurisdiction_prefix(JURISDICTION)) for r in residence
    )
    assert 0.03 < elsewhere / len(residence) < 0.2  # about one in ten (SPEC §6.1)
    assert {r["end_date"] is None for r in residence} == {True, False}
    types = {row["type"] for row in _rows(engine, "insurance_periods")}
    assert types == {"pension", "medical", "unemployment", "work_injury", "maternity"}


def test_generated_holders_are_scored(
    http: TestClient, auth: dict[str, str], engine: sa.Engine, shipped_policies: list[str]
) -> None:
    _populate(engine)
    for holder in _rows(engine, "holders")[:5]:
        response = http.get(f"/v1/holders/{holder['id']}/score", headers=auth)
        assert response.status_code == 200, response.text
        assert response.json()["jurisdiction"] == JURISDICTION
    ranking = http.get(f"/v1/jurisdictions/{JURISDICTION}/ranking", headers=auth)
    assert ranking.status_code == 200, ranking.text
    assert ranking.json()["items"]
