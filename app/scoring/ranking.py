"""Rankings of a jurisdiction's holders by points (SPEC §7).

A new walk ranks the whole population and stores the order as a snapshot, so that the pages
of one walk agree. On PostgreSQL that is one statement (`ranking_sql`: months and points
counted in SQL, nothing read into the service). On SQLite, whose date arithmetic cannot count
months, the population is read in four streamed, set-based statements (holders and each kind
of record, in holder order), never one holder at a time, and each holder's records feed
`engine.facts_at`. The tests hold the two to the same answers.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import engine
from app.core import paging
from app.core.errors import ApiError
from app.core.i18n import tr
from app.db.base import table_of, utcnow
from app.db.bulk import insert_rows
from app.db.deadline import allow_long_statements
from app.domain.calendar import Month
from app.domain.codes import jurisdiction_prefix
from app.domain.policy import Policy
from app.domain.records import PermitStatus
from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod
from app.scoring.models import RankingEntry, RankingSnapshot
from app.scoring.ranking_sql import rank_into_snapshot

SNAPSHOT_KEPT = timedelta(hours=1)
STREAM_BATCH = 10_000


class Gone(ApiError):
    status = 410


@dataclass(frozen=True)
class RankedHolder:
    holder_id: uuid.UUID
    total_points: int
    insurance_months: int
    residence_months: int

    def order_key(self) -> tuple[int, int, int, str]:
        """Points desc, then insurance months desc, residence months desc, holder id asc."""
        return (
            -self.total_points,
            -self.insurance_months,
            -self.residence_months,
            str(self.holder_id),
        )


def _grouped(rows: Any) -> Iterator[tuple[uuid.UUID, list[Any]]]:
    for holder_id, group in groupby(rows, key=lambda row: row.holder_id):
        yield holder_id, list(group)


def valid_permit_at(jurisdiction: str, as_of: date) -> Any:
    """The holders of the jurisdiction whose permit is valid at `as_of` (SPEC §6.3)."""
    return sa.and_(
        col(Holder.jurisdiction) == jurisdiction,
        col(Holder.permit_status) == PermitStatus.active.value,
        col(Holder.permit_issued_on) <= as_of,
        col(Holder.permit_valid_until) >= as_of,
    )


def population(
    session: Session, jurisdiction: str, as_of: date
) -> Iterator[tuple[uuid.UUID, engine.Records]]:
    """Every holder with a valid permit at `as_of`, with their records, in holder-id order:
    four streamed statements merged in step, whatever the population."""
    holders = (
        select(
            col(Holder.id),
            col(Holder.permit_issued_on),
            col(Holder.permit_valid_until),
            col(Holder.permit_status),
        )
        .where(valid_permit_at(jurisdiction, as_of))
        .order_by(col(Holder.id))
    )
    ids = holders.with_only_columns(col(Holder.id)).order_by(None).scalar_subquery()
    prefix = jurisdiction_prefix(jurisdiction)
    # Core rows, streamed from server-side cursors: the ORM's per-row work is not needed here.
    connection = session.connection()

    def records_of(
        model: Any, *columns: Any, matching: bool = True
    ) -> Iterator[tuple[uuid.UUID, list[Any]]]:
        query = select(model.holder_id, *columns).where(col(model.holder_id).in_(ids))
        if matching:  # records in other cities never count (SPEC §6.1)
            query = query.where(col(model.district).startswith(prefix))
        query = query.order_by(col(model.holder_id), col(model.seq))
        return _grouped(connection.execute(query.execution_options(yield_per=STREAM_BATCH)))

    streams = {
        "residence": records_of(
            ResidencePeriod, ResidencePeriod.district, ResidencePeriod.start_date,
            ResidencePeriod.end_date, ResidencePeriod.housing, ResidencePeriod.township,
        ),
        "insurance": records_of(
            InsurancePeriod, InsurancePeriod.district, InsurancePeriod.type,
            InsurancePeriod.start_month, InsurancePeriod.end_month,
        ),
        "adjustments": records_of(
            Adjustment, Adjustment.code, Adjustment.effective_from, Adjustment.effective_to,
            matching=False,
        ),
    }  # fmt: skip
    pending: dict[str, tuple[uuid.UUID, list[Any]] | None] = {
        name: next(stream, None) for name, stream in streams.items()
    }

    def take(name: str, holder_id: uuid.UUID) -> list[Any]:
        current = pending[name]
        if current is None or current[0] != holder_id:
            return []
        pending[name] = next(streams[name], None)
        return current[1]

    for holder in connection.execute(holders.execution_options(yield_per=STREAM_BATCH)):
        permit = engine.Permit(
            holder.permit_issued_on, holder.permit_valid_until, holder.permit_status
        )
        yield holder.id, engine.Records(
            permit=permit,
            residence_periods=tuple(
                engine.ResidencePeriod(r.district, r.start_date, r.end_date, r.housing, r.township)
                for r in take("residence", holder.id)
            ),
            insurance_periods=tuple(
                engine.InsurancePeriod(
                    p.district, p.type, Month.of(p.start_month),
                    Month.of(p.end_month) if p.end_month else None,
                )
                for p in take("insurance", holder.id)
            ),
            adjustments=tuple(
                engine.AdjustmentRecord(a.code, a.effective_from, a.effective_to)
                for a in take("adjustments", holder.id)
            ),
        )  # fmt: skip


def rank(session: Session, policy: Policy, as_of: date) -> list[RankedHolder]:
    ranked = []
    for holder_id, records in population(session, policy.jurisdiction.code, as_of):
        facts = engine.facts_at(records, policy, as_of)
        ranked.append(
            RankedHolder(
                holder_id, facts.total_points, facts.insurance_months, facts.residence_months
            )
        )
    ranked.sort(key=RankedHolder.order_key)
    return ranked


def new_snapshot(session: Session, policy: Policy, as_of: date) -> RankingSnapshot:
    """A new walk: rank now, store the order, and forget walks unused for over an hour."""
    now = utcnow()
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    # A city's whole population is read and its order written in this transaction: the
    # deadlines that keep ordinary requests short would cut it.
    allow_long_statements(connection)
    session.execute(
        sa.delete(RankingSnapshot).where(col(RankingSnapshot.last_used_at) < now - SNAPSHOT_KEPT)
    )
    snapshot = RankingSnapshot(
        jurisdiction=policy.jurisdiction.code,
        as_of=as_of,
        policy_id=policy.id,
        computed_at=now,
        last_used_at=now,
    )
    session.add(snapshot)
    session.flush()
    if postgres:  # one statement; SQLite's date arithmetic cannot count months (ranking_sql)
        rank_into_snapshot(connection, snapshot.id, policy, as_of)
    else:
        store_entries(session, snapshot.id, rank(session, policy, as_of))
    session.commit()
    return snapshot


def store_entries(session: Session, snapshot_id: uuid.UUID, ranked: list[RankedHolder]) -> None:
    """The order, one row per holder."""
    rows = (
        (snapshot_id, rank, r.holder_id, r.total_points, r.insurance_months, r.residence_months)
        for rank, r in enumerate(ranked, start=1)
    )
    columns = (
        "snapshot_id",
        "rank",
        "holder_id",
        "total_points",
        "insurance_months",
        "residence_months",
    )
    insert_rows(session.connection(), table_of(RankingEntry), columns, rows)


def snapshot_for_cursor(
    session: Session, jurisdiction: str, cursor: str
) -> tuple[RankingSnapshot, int]:
    snapshot_id, after_rank = paging.after_rank(cursor)
    snapshot = session.exec(
        select(RankingSnapshot).where(RankingSnapshot.id == snapshot_id)
    ).first()
    if snapshot is None or snapshot.jurisdiction != jurisdiction:
        raise Gone(
            tr(
                "This ranking walk has expired; start a new one from the first page.",
                "该排名游标已过期，请从第一页重新开始。",
            )
        )
    snapshot.last_used_at = utcnow()
    session.add(snapshot)
    session.commit()
    return snapshot, after_rank


def ranking_page(
    session: Session, snapshot: RankingSnapshot, after_rank: int, limit: int
) -> dict[str, Any]:
    rows = session.exec(
        select(RankingEntry)
        .where(RankingEntry.snapshot_id == snapshot.id, col(RankingEntry.rank) > after_rank)
        .order_by(col(RankingEntry.rank))
        .limit(limit + 1)
    ).all()
    items = rows[:limit]
    more = len(rows) > limit
    return {
        "as_of": snapshot.as_of.isoformat(),
        "policy_id": snapshot.policy_id,
        "computed_at": _timestamp(snapshot.computed_at),
        "items": [
            {
                "rank": r.rank, "holder_id": str(r.holder_id), "total_points": r.total_points,
                "insurance_months": r.insurance_months, "residence_months": r.residence_months,
            }
            for r in items
        ],
        "next_cursor": paging.ranking_cursor(snapshot.id, items[-1].rank) if more else None,
    }  # fmt: skip


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
