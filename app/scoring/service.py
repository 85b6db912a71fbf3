"""Scores of stored holders, simulations and assessments (SPEC §7), through the pure engine."""

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from app import engine
from app.clients.models import ApiClient
from app.core import metrics
from app.core.errors import FieldError, Forbidden, InvalidInput, NotFound, invalid
from app.core.grouped import Grouped
from app.core.i18n import tr
from app.db.aio import AsyncPostgres, postgres_sql
from app.db.base import table_of
from app.db.versions import versions_table
from app.domain.calendar import Month
from app.domain.policy import Policy
from app.policies.catalogue import Catalogue
from app.policies.service import PolicyBook
from app.register import models as db
from app.register.records import record_errors
from app.register.service import parse_id
from app.scoring.models import Assessment
from app.scoring.schemas import AssessmentAnswer, SimulationRequest


def policy_in_force(book: PolicyBook, jurisdiction: str, as_of: date, field: str) -> Policy:
    policy = book.in_force(jurisdiction, as_of)
    if policy is None:
        raise invalid(
            field,
            tr(
                f"No policy of {jurisdiction} is in force on {as_of.isoformat()}.",
                f"{as_of.isoformat()} 没有 {jurisdiction} 的生效政策。",
            ),
        )
    return policy


def compute_score(
    records: engine.Records, policy: Policy, as_of: date, holder_id: uuid.UUID | None = None
) -> engine.ScoreAnswer:
    """The engine's score, counted and timed for /metrics."""
    started = time.perf_counter()
    result = engine.score(records, policy, as_of, holder_id)
    labels = {"jurisdiction": policy.jurisdiction.code, "policy_version": policy.version}
    metrics.SCORES.labels(**labels).inc()
    metrics.SCORE_SECONDS.labels(**labels).observe(time.perf_counter() - started)
    return result


# Kinds of the rows of `_record_rows`, in shared columns (kind, seq, c1..c5, place): `place`
# says which holder of a group of reads (from 1) a row is about.
RESIDENCE, INSURANCE, ADJUSTMENT, HOLDER, VERSION = range(5)


def _kind(number: int) -> Any:
    # Written into the SQL (not a parameter): one value fewer for the driver to send.
    return sa.literal_column(str(number), sa.Integer).label("kind")


_one = sa.literal_column("1", sa.Integer)


class _Holders:
    """Which holders a statement reads: one (`holder_id`), or a group (`holder_ids`, on
    PostgreSQL), and the place of each row's holder in it."""

    def __init__(self, group: bool) -> None:
        self.group = group
        if group:
            self.param = sa.bindparam("holder_ids", type_=postgresql.ARRAY(sa.Uuid))
        else:
            self.param = sa.bindparam("holder_id", type_=sa.Uuid)

    def match(self, column: Any) -> Any:
        return column == (sa.any_(self.param) if self.group else self.param)

    def place(self, column: Any) -> Any:
        place = sa.func.array_position(self.param, column) if self.group else _one
        return place.label("place")


ONE, GROUP = _Holders(group=False), _Holders(group=True)


def _record_rows(holders: _Holders) -> list[Any]:
    """SELECTs of the holders' records, the three kinds side by side in shared columns."""

    def kind(number: int, model: Any, *columns: Any) -> Any:
        where = holders.match(model.holder_id)
        return sa.select(_kind(number), model.seq, *columns, holders.place(model.holder_id)).where(
            where
        )

    residence, insurance, adjustments = db.ResidencePeriod, db.InsurancePeriod, db.Adjustment
    return [
        kind(RESIDENCE, residence, residence.district, residence.start_date, residence.end_date,
             residence.housing, residence.township),
        kind(INSURANCE, insurance, insurance.district, insurance.start_month, insurance.end_month,
             insurance.type, sa.null()),
        kind(ADJUSTMENT, adjustments, adjustments.code, adjustments.effective_from,
             adjustments.effective_to, sa.null(), sa.null()),
    ]  # fmt: skip


def _records(permit: engine.Permit, rows: Iterable[Any]) -> engine.Records:
    residence, insurance, adjustments = [], [], []
    for kind, _, c1, c2, c3, c4, c5, *_ in rows:
        if kind == RESIDENCE:
            residence.append(engine.ResidencePeriod(c1, c2, c3, c4, c5))
        elif kind == INSURANCE:
            end = Month.of(c3) if c3 else None
            insurance.append(engine.InsurancePeriod(c1, c4, Month.of(c2), end))
        else:
            adjustments.append(engine.AdjustmentRecord(c1, c2, c3))
    return engine.Records(permit, tuple(residence), tuple(insurance), tuple(adjustments))


def _permit(holder: Any) -> engine.Permit:
    return engine.Permit(holder.permit_issued_on, holder.permit_valid_until, holder.permit_status)


# Built once: building a statement of five SELECTs costs more than running it.
RECORDS = sa.union_all(*_record_rows(ONE)).order_by("kind", "seq")


def holder_records(session: Session, holder: db.Holder) -> engine.Records:
    """Every record of the holder in insertion order, in one statement however many rows."""
    rows = session.connection().execute(RECORDS, {"holder_id": holder.id})
    return _records(_permit(holder), rows)


@dataclass(frozen=True)
class ScoreRead:
    """What a score needs from the database, read in one round trip (issue 18)."""

    versions: dict[str, int]  # of what workers keep in memory (app/db/versions)
    jurisdiction: str | None  # the holder's; None: no such holder
    records: engine.Records | None


def _score_read_of(holders: _Holders) -> Any:
    """The cache versions, the holders and their records: the holder's row and the versions
    ride in the records' shared columns (a version in `seq`)."""
    table = table_of(db.Holder)
    return sa.union_all(
        *_record_rows(holders),  # first: its column types read the dates (SQLite)
        sa.select(
            _kind(HOLDER), table.c.seq, table.c.jurisdiction, table.c.permit_issued_on,
            table.c.permit_valid_until, table.c.permit_status, sa.null(), holders.place(table.c.id),
        ).where(holders.match(table.c.id)),
        sa.select(
            _kind(VERSION), versions_table.c.version, versions_table.c.name,
            sa.null(), sa.null(), sa.null(), sa.null(), sa.null(),
        ),
    ).order_by("kind", "seq")  # fmt: skip


SCORE_READ = _score_read_of(ONE)
# Scores read together on the event loop's pool (PostgreSQL, app/db/aio.py), compiled once.
_GROUP_SQL = postgres_sql(_score_read_of(GROUP))


def read_for_score(connection: sa.Connection, holder_id: uuid.UUID | None) -> ScoreRead:
    """The cache versions, the holder and its records in one statement: the score's only
    round trip when the worker knows the client and the policies already. A holder id of
    None (text that is no UUID) reads the versions only."""
    rows = connection.execute(SCORE_READ, {"holder_id": holder_id}).all()
    return _score_reads(rows, [holder_id])[0]


async def read_for_scores(
    postgres: AsyncPostgres, holder_ids: list[uuid.UUID | None]
) -> list[ScoreRead]:
    """The same for a group of concurrent scores, in one statement (`ScoreReads`)."""
    distinct = list(dict.fromkeys(h for h in holder_ids if h is not None))
    # As an array literal: the driver sends one text value instead of adapting each UUID.
    ids = "{" + ",".join(map(str, distinct)) + "}"
    rows = await postgres.fetch(_GROUP_SQL, {"holder_ids": ids})
    reads = dict(zip(distinct, _score_reads(rows, distinct), strict=True))
    versions = _versions(rows)
    return [reads[h] if h is not None else ScoreRead(versions, None, None) for h in holder_ids]


def _versions(rows: Sequence[Any]) -> dict[str, int]:
    return {row[2]: row[1] for row in rows if row[0] == VERSION}


def _score_reads(rows: Sequence[Any], holder_ids: Sequence[uuid.UUID | None]) -> list[ScoreRead]:
    """Each holder's read from the rows of a statement of `_score_read_of`, which placed
    them by `holder_ids` (from 1)."""
    versions = _versions(rows)
    holders: list[Any] = [None] * len(holder_ids)
    records: list[list[Any]] = [[] for _ in holder_ids]
    for row in rows:
        if row[0] == HOLDER:
            holders[row[7] - 1] = row
        elif row[0] < HOLDER:
            records[row[7] - 1].append(row)
    reads = []
    for holder, rows_of_holder in zip(holders, records, strict=True):
        if holder is None:
            reads.append(ScoreRead(versions, None, None))
        else:
            permit = engine.Permit(holder[3], holder[4], holder[5])
            reads.append(ScoreRead(versions, holder[2], _records(permit, rows_of_holder)))
    return reads


class ScoreReads(Grouped[uuid.UUID | None, ScoreRead]):
    """Scores on the event loop read together: those that arrive while a group's statement
    runs go in the next one (one round trip and one statement for many, issue 18)."""

    def __init__(self, postgres: AsyncPostgres) -> None:
        super().__init__(lambda holder_ids: read_for_scores(postgres, holder_ids))


def score_records(
    book: PolicyBook, jurisdiction: str, records: engine.Records, as_of: date, holder: uuid.UUID
) -> engine.ScoreAnswer:
    policy = policy_in_force(book, jurisdiction, as_of, "as_of")
    return compute_score(records, policy, as_of, holder)


def simulate(
    body: SimulationRequest, client: ApiClient, book: PolicyBook, catalogue: Catalogue, today: date
) -> engine.ScoreAnswer:
    """The score of records sent in the body; nothing is stored. Records are checked as on
    entry, except that they may lie in the future (SPEC §4); then the jurisdiction (403)."""
    as_of = body.as_of or today
    errors: list[FieldError] = []
    if not catalogue.known(body.jurisdiction):
        errors.append(
            FieldError(field="jurisdiction", message=tr("Unknown jurisdiction.", "未知辖区。"))
        )
    else:
        errors += simulation_record_errors(body, catalogue)
    if body.permit.valid_until < body.permit.issued_on:
        errors.append(
            FieldError(
                field="permit.valid_until",
                message=tr("Cannot be before permit.issued_on.", "不能早于 permit.issued_on。"),
            )
        )
    if errors:
        raise InvalidInput(errors)
    policy = policy_in_force(book, body.jurisdiction, as_of, "as_of")
    if not client.holds(body.jurisdiction):
        raise Forbidden(
            tr(
                f"This client does not hold jurisdiction {body.jurisdiction}.",
                f"此客户端无权访问辖区 {body.jurisdiction}。",
            )
        )
    records = engine.records_from_dicts(
        body.permit.model_dump(),
        [r.model_dump() for r in body.residence_periods],
        [p.model_dump() for p in body.insurance_periods],
        [a.model_dump() for a in body.adjustments],
    )
    return compute_score(records, policy, as_of)


def simulation_record_errors(body: SimulationRequest, catalogue: Catalogue) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in ("residence_periods", "insurance_periods", "adjustments"):
        for i, record in enumerate(getattr(body, name)):
            errors += record_errors(catalogue, body.jurisdiction, record, f"{name}[{i}].")
    return errors


def inputs_digest(policy_id: str, as_of: date, records: engine.Records) -> str:
    """SPEC §7: sha256 of the canonical JSON (RFC 8785 for this data: sorted keys, no
    insignificant white space, non-ASCII kept) of the inputs, records in insertion order."""
    permit = records.permit
    inputs = {
        "policy_id": policy_id,
        "as_of": as_of.isoformat(),
        "permit": {
            "issued_on": permit.issued_on.isoformat(),
            "valid_until": permit.valid_until.isoformat(),
            "status": permit.status,
        },
        "residence_periods": [
            {
                "district": r.district,
                "start_date": r.start_date.isoformat(),
                "end_date": r.end_date.isoformat() if r.end_date else None,
                "housing": r.housing,
                # Only when recorded, so that digests made before townships still verify.
                **({"township": r.township} if r.township is not None else {}),
            }
            for r in records.residence_periods
        ],
        "insurance_periods": [
            {
                "district": p.district,
                "type": p.type,
                "start_month": str(p.start_month),
                "end_month": str(p.end_month) if p.end_month else None,
            }
            for p in records.insurance_periods
        ],
        "adjustments": [
            {
                "code": a.code,
                "effective_from": a.effective_from.isoformat(),
                "effective_to": a.effective_to.isoformat() if a.effective_to else None,
            }
            for a in records.adjustments
        ],
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def assess(
    session: Session, book: PolicyBook, holder: db.Holder, as_of: date, client: ApiClient
) -> Assessment:
    """Compute and store an assessment: it never changes afterwards, whatever happens to the
    records or the policies."""
    policy = policy_in_force(book, holder.jurisdiction, as_of, "as_of")
    records = holder_records(session, holder)
    result = compute_score(records, policy, as_of).to_json(holder.id)
    assessment = Assessment(
        holder_id=holder.id,
        policy_id=policy.id,
        as_of=as_of,
        client=client.name,
        inputs_digest=inputs_digest(policy.id, as_of, records),
        score=json.dumps(result, ensure_ascii=False),
    )
    session.add(assessment)
    session.commit()
    return assessment


def get_assessment(
    session: Session, client: ApiClient, assessment_id: str
) -> tuple[Assessment, str]:
    """An assessment of a holder the client may see, with the holder's jurisdiction; or 404."""
    found = session.exec(
        select(Assessment, db.Holder.jurisdiction)
        .join(db.Holder, col(db.Holder.id) == col(Assessment.holder_id))
        .where(Assessment.id == parse_id(assessment_id, "assessment"))
    ).first()
    if found is None or not client.holds(found[1]):
        raise NotFound(tr("No such assessment.", "没有这个积分认定。"))
    return found[0], found[1]


def assessment_answer(assessment: Assessment) -> AssessmentAnswer:
    return AssessmentAnswer(
        id=assessment.id,
        holder_id=assessment.holder_id,
        policy_id=assessment.policy_id,
        as_of=assessment.as_of,
        created_at=assessment.created_at,
        client=assessment.client,
        inputs_digest=assessment.inputs_digest,
        score=engine.ScoreAnswer.model_validate_json(assessment.score),
    )
