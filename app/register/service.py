"""The register's rules for holders (SPEC §4, §7): creating, finding, listing and changing them.
Their records are `records.py`'s.

Services take a session and return table models; routes only translate HTTP. Every check that
can fail runs before anything is written, so a refused request leaves nothing behind.
"""

import uuid
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clients.models import ApiClient
from app.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    invalid,
)
from app.core.i18n import tr
from app.core.paging import after_seq, page_of
from app.db.base import utcnow
from app.domain.records import PermitStatus
from app.policies.catalogue import Catalogue
from app.register.id_numbers import id_number_problem, normalize_id_number
from app.register.models import Adjustment, Endorsement, Holder, InsurancePeriod, ResidencePeriod
from app.register.schemas import (
    AdjustmentCreate,
    HolderCreate,
    HolderLookup,
    HolderPatch,
    InsurancePeriodCreate,
    ResidencePeriodCreate,
)

Record = TypeVar("Record", ResidencePeriod, InsurancePeriod, Adjustment, Endorsement)
NewRecord = ResidencePeriodCreate | InsurancePeriodCreate | AdjustmentCreate


# --- holders -------------------------------------------------------------------------------


def _check_jurisdiction(
    catalogue: Catalogue, client: ApiClient, jurisdiction: str, field: str = "jurisdiction"
) -> None:
    """Step 3 of SPEC §7's order: an unknown jurisdiction is 422, one not held is 403."""
    if not catalogue.known(jurisdiction):
        raise invalid(
            field, tr("Unknown jurisdiction: no published policy.", "未知辖区：没有已发布的政策。")
        )
    if not client.holds(jurisdiction):
        raise Forbidden(
            tr(
                f"This client does not hold jurisdiction {jurisdiction}.",
                f"此客户端无权访问辖区 {jurisdiction}。",
            )
        )


def _permit_errors(issued_on: date, valid_until: date, today: date) -> list[FieldError]:
    errors = []
    if issued_on > today:
        errors.append(
            FieldError(
                field="permit.issued_on", message=tr("Cannot be after today.", "不能晚于今天。")
            )
        )
    if valid_until < issued_on:
        errors.append(
            FieldError(
                field="permit.valid_until",
                message=tr("Cannot be before permit.issued_on.", "不能早于 permit.issued_on。"),
            )
        )
    return errors


def holder_errors(body: HolderCreate, catalogue: Catalogue, today: date) -> list[FieldError]:
    """SPEC §4's checks of a new holder that need no stored data."""
    errors = _permit_errors(body.permit.issued_on, body.permit.valid_until, today)
    if problem := id_number_problem(normalize_id_number(body.id_number), today):
        errors.append(FieldError(field="id_number", message=problem))
    if not catalogue.known(body.jurisdiction):
        errors.append(
            FieldError(
                field="jurisdiction",
                message=tr(
                    "Unknown jurisdiction: no published policy.", "未知辖区：没有已发布的政策。"
                ),
            )
        )
    return errors


def new_holder(body: HolderCreate) -> Holder:
    return Holder(
        jurisdiction=body.jurisdiction,
        id_number=normalize_id_number(body.id_number),
        name=body.name,
        permit_number=body.permit.number,
        permit_issued_on=body.permit.issued_on,
        permit_valid_until=body.permit.valid_until,
        permit_status=body.permit.status.value,
    )


def create_holder(
    session: Session, client: ApiClient, body: HolderCreate, catalogue: Catalogue, today: date
) -> Holder:
    if errors := holder_errors(body, catalogue, today):
        raise InvalidInput(errors)
    _check_jurisdiction(catalogue, client, body.jurisdiction)
    holder = new_holder(body)
    session.add(holder)
    try:
        session.commit()
    except IntegrityError:
        # The database decides, even between concurrent requests.
        session.rollback()
        raise Conflict(
            tr(
                "This ID number is already registered in the jurisdiction.",
                "该身份证号码已在本辖区登记。",
            )
        ) from None
    return holder


def as_uuid(value: str) -> uuid.UUID | None:
    """The id, or None for text that is no UUID (no row can have it)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_id(value: str, what: str) -> uuid.UUID:
    """An id that is not a UUID is an unknown id: 404, like any other."""
    if (key := as_uuid(value)) is None:
        raise NotFound(tr(f"No such {what}.", "没有这个资源。"))
    return key


def find_holder(session: Session, holder_id: uuid.UUID | None) -> Holder | None:
    """The holder of this id, whoever may see it (None: no UUID, so no holder)."""
    if holder_id is None:
        return None
    return session.exec(select(Holder).where(Holder.id == holder_id)).first()


def lookup_holder(
    session: Session, client: ApiClient, body: HolderLookup, catalogue: Catalogue
) -> Holder:
    if not catalogue.known(body.jurisdiction):
        raise invalid(
            "jurisdiction",
            tr("Unknown jurisdiction: no published policy.", "未知辖区：没有已发布的政策。"),
        )
    # A lookup outside the client's jurisdictions is a 404 like any other miss (SPEC §7).
    id_number = normalize_id_number(body.id_number)
    holder = session.exec(
        select(Holder).where(
            Holder.jurisdiction == body.jurisdiction, Holder.id_number == id_number
        )
    ).first()
    if holder is None or not client.holds(holder.jurisdiction):
        raise NotFound(
            tr(
                "No holder with this ID number in the jurisdiction.",
                "本辖区没有持此身份证号码的持证人。",
            )
        )
    return holder


def current_district_sql(today: date) -> sa.ScalarSelect[str]:
    """SPEC §6.3 in SQL: the district of the matching period covering today with the latest
    start (first recorded on ties). Matching means inside the holder's jurisdiction, whose
    prefix is its code without trailing `00` pairs."""
    prefix = jurisdiction_prefix_sql(Holder.jurisdiction)
    return (
        select(ResidencePeriod.district)
        .where(
            ResidencePeriod.holder_id == Holder.id,
            ResidencePeriod.start_date <= today,
            sa.or_(col(ResidencePeriod.end_date).is_(None), col(ResidencePeriod.end_date) > today),
            col(ResidencePeriod.district).startswith(prefix),
        )
        .order_by(col(ResidencePeriod.start_date).desc(), col(ResidencePeriod.seq))
        .limit(1)
        .correlate(Holder)
        .scalar_subquery()
    )


def jurisdiction_prefix_sql(code: Any) -> sa.Case[str]:
    """SPEC §6.1 for a 6-digit code column: trailing `00` pairs removed."""
    return sa.case(
        (sa.func.substr(code, 3, 4) == "0000", sa.func.substr(code, 1, 2)),
        (sa.func.substr(code, 5, 2) == "00", sa.func.substr(code, 1, 4)),
        else_=code,
    )


def list_holders(
    session: Session,
    client: ApiClient,
    catalogue: Catalogue,
    today: date,
    *,
    jurisdiction: str | None,
    district: str | None,
    permit_status: PermitStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Holder], str | None]:
    after = after_seq(cursor)
    if jurisdiction is not None:
        _check_jurisdiction(catalogue, client, jurisdiction)
    query = select(Holder).where(col(Holder.seq) > after)
    if not client.all_jurisdictions:
        query = query.where(col(Holder.jurisdiction).in_(client.jurisdiction_set))
    if jurisdiction is not None:
        query = query.where(Holder.jurisdiction == jurisdiction)
    if permit_status is not None:
        query = query.where(Holder.permit_status == permit_status.value)
    if district is not None:
        query = query.where(current_district_sql(today) == district)
    rows = session.exec(query.order_by(col(Holder.seq)).limit(limit + 1)).all()
    return page_of(rows, limit)


def patch_holder(
    session: Session, holder: Holder, patch: HolderPatch, if_match: str | None, today: date
) -> Holder:
    """JSON Merge Patch of name and permit; `If-Match` must name the current version."""
    errors = [
        FieldError(field=name, message=tr("Cannot be removed.", "不能删除此字段。"))
        for name in patch.model_fields_set
        if getattr(patch, name) is None
    ]
    if patch.permit is not None:
        errors += [
            FieldError(field=f"permit.{name}", message=tr("Cannot be removed.", "不能删除此字段。"))
            for name in patch.permit.model_fields_set
            if getattr(patch.permit, name) is None
        ]
        if patch.permit.issued_on is not None and patch.permit.issued_on > today:
            errors.append(
                FieldError(
                    field="permit.issued_on", message=tr("Cannot be after today.", "不能晚于今天。")
                )
            )
        # Both dates sent: the body breaks the rule by itself (SPEC §7 step 3, before 428);
        # with one of them stored, it waits for the stored fields (step 4).
        sent = patch.permit
        if sent.issued_on and sent.valid_until and sent.valid_until < sent.issued_on:
            errors.append(
                FieldError(
                    field="permit.valid_until",
                    message=tr("Cannot be before permit.issued_on.", "不能早于 permit.issued_on。"),
                )
            )
    if errors:
        raise InvalidInput(errors)
    if if_match is None:
        raise PreconditionRequired(
            tr(
                "A PATCH needs If-Match with the holder's ETag.",
                "PATCH 请求需要带持证人 ETag 的 If-Match。",
            )
        )
    if holder.etag not in (tag.strip() for tag in if_match.split(",")):
        raise PreconditionFailed(
            tr(
                "The holder has changed since this ETag; read it again.",
                "持证人信息在此 ETag 之后已有变更，请重新读取。",
            )
        )
    values: dict[str, Any] = {}
    if patch.name is not None:
        values["name"] = patch.name
    if patch.permit is not None:
        for name, value in patch.permit.model_dump(exclude_none=True).items():
            values[f"permit_{name}"] = value.value if hasattr(value, "value") else value
    issued_on = values.get("permit_issued_on", holder.permit_issued_on)
    valid_until = values.get("permit_valid_until", holder.permit_valid_until)
    if valid_until < issued_on:
        field = "permit.valid_until" if "permit_valid_until" in values else "permit.issued_on"
        raise invalid(
            field,
            tr(
                "permit.valid_until cannot be before permit.issued_on.",
                "permit.valid_until 不能早于 permit.issued_on。",
            ),
        )
    return bump_version(session, holder, values)


def bump_version(session: Session, holder: Holder, values: dict[str, Any]) -> Holder:
    """Write `values` only if nobody else changed the holder meanwhile (compare-and-set on the
    version), so that concurrent writers never lose an update."""
    values = {**values, "version": holder.version + 1, "updated_at": utcnow()}
    result = session.execute(
        sa.update(Holder)
        .where(col(Holder.id) == holder.id, col(Holder.version) == holder.version)
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise PreconditionFailed(
            tr(
                "The holder has changed meanwhile; read it again.",
                "持证人信息已被同时修改，请重新读取。",
            )
        )
    session.commit()
    session.refresh(holder)
    return holder


def holders_with_invalid_id_numbers(session: Session, today: date) -> list[tuple[str, uuid.UUID]]:
    """(jurisdiction, holder id) of every stored holder whose ID number fails SPEC §4's check,
    in insertion order: a database written by an earlier build may hold them. Never the numbers.
    """
    rows = session.execute(
        sa.select(col(Holder.jurisdiction), col(Holder.id), col(Holder.id_number))
        .order_by(col(Holder.seq))
        .execution_options(yield_per=10_000)
    )
    return [
        (jurisdiction, holder_id)
        for jurisdiction, holder_id, id_number in rows
        if id_number_problem(id_number, today) is not None
    ]
