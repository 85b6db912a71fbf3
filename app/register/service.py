"""The register's rules (SPEC §4, §7): creating, reading and changing holders and their records.

Services take a session and return table models; routes only translate HTTP. Every check that
can fail runs before anything is written, so a refused request leaves nothing behind.
"""

import uuid
from datetime import date
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

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
from app.domain.calendar import Month, add_months
from app.domain.codes import is_division_code, jurisdiction_prefix, township_problem
from app.domain.records import PermitStatus
from app.policies.catalogue import Catalogue
from app.register.id_numbers import id_number_problem, normalize_id_number
from app.register.models import Adjustment, Endorsement, Holder, InsurancePeriod, ResidencePeriod
from app.register.schemas import (
    AdjustmentCreate,
    EndorsementCreate,
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


def parse_id(value: str, what: str) -> uuid.UUID:
    """An id that is not a UUID is an unknown id: 404, like any other."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(tr(f"No such {what}.", "没有这个资源。")) from None


def get_holder(session: Session, client: ApiClient, holder_id: str) -> Holder:
    """A holder the client may see, or 404: nothing says a person exists elsewhere (SPEC §7)."""
    holder = session.exec(select(Holder).where(Holder.id == parse_id(holder_id, "holder"))).first()
    if holder is None or not client.holds(holder.jurisdiction):
        raise NotFound(tr("No such holder.", "没有这个持证人。"))
    return holder


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
    return _bump(session, holder, values)


def _bump(session: Session, holder: Holder, values: dict[str, Any]) -> Holder:
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


# --- records -------------------------------------------------------------------------------


def _district_errors(
    catalogue: Catalogue, jurisdiction: str, district: str, field: str
) -> list[FieldError]:
    """SPEC §4: well formed; inside the jurisdiction, one of its districts in some published
    version. Records in other cities are kept (never counted, §6.1)."""
    if not is_division_code(district):
        return [
            FieldError(
                field=field,
                message=tr("Not a division code (GB/T 2260).", "不是行政区划代码（GB/T 2260）。"),
            )
        ]
    districts = catalogue.districts.get(jurisdiction, frozenset())
    if district.startswith(jurisdiction_prefix(jurisdiction)) and district not in districts:
        return [
            FieldError(
                field=field,
                message=tr(
                    "Inside the jurisdiction but not one of its districts.",
                    "位于本辖区内，但不是其区县。",
                ),
            )
        ]
    return []


def record_errors(
    catalogue: Catalogue, jurisdiction: str, record: NewRecord, prefix: str = ""
) -> list[FieldError]:
    """The checks of SPEC §4 that hold for stored and simulated records alike: codes and the
    order of dates. `prefix` places the fields inside a larger body."""
    errors = []
    if isinstance(record, ResidencePeriodCreate | InsurancePeriodCreate):
        errors += _district_errors(catalogue, jurisdiction, record.district, prefix + "district")
    if isinstance(record, ResidencePeriodCreate):
        if record.township is not None and (
            problem := township_problem(record.township, record.district)
        ):
            errors.append(FieldError(field=prefix + "township", message=problem))
        if record.end_date is not None and record.end_date <= record.start_date:
            errors.append(
                FieldError(
                    field=prefix + "end_date",
                    message=tr("Must be after start_date.", "必须晚于 start_date。"),
                )
            )
    elif isinstance(record, InsurancePeriodCreate):
        if record.end_month is not None and record.end_month < record.start_month:
            errors.append(
                FieldError(
                    field=prefix + "end_month",
                    message=tr("Cannot be before start_month.", "不能早于 start_month。"),
                )
            )
    else:
        codes = catalogue.adjustment_codes
        if codes is not None and record.code not in codes.get(jurisdiction, frozenset()):
            errors.append(
                FieldError(
                    field=prefix + "code",
                    message=tr(
                        "Not in the catalogue of any published version.",
                        "不在任何已发布政策版本的目录中。",
                    ),
                )
            )
        if record.effective_to is not None and record.effective_to <= record.effective_from:
            errors.append(
                FieldError(
                    field=prefix + "effective_to",
                    message=tr("Must be after effective_from.", "必须晚于 effective_from。"),
                )
            )
    return errors


def stored_record_errors(
    catalogue: Catalogue, jurisdiction: str, body: NewRecord, today: date, prefix: str = ""
) -> list[FieldError]:
    """Every check of SPEC §4 for a record to store: those of `record_errors`, and no start in
    the future (simulations may describe one)."""
    errors = record_errors(catalogue, jurisdiction, body, prefix)
    if isinstance(body, ResidencePeriodCreate) and body.start_date > today:
        errors.append(
            FieldError(
                field=prefix + "start_date", message=tr("Cannot be after today.", "不能晚于今天。")
            )
        )
    if isinstance(body, InsurancePeriodCreate) and body.start_month > str(Month.of(today)):
        errors.append(
            FieldError(
                field=prefix + "start_month",
                message=tr("Cannot be after this month.", "不能晚于本月。"),
            )
        )
    return errors


def add_record(
    session: Session, holder: Holder, body: NewRecord, catalogue: Catalogue, today: date
) -> ResidencePeriod | InsurancePeriod | Adjustment:
    """Check and store one record of the holder: all of it, or nothing."""
    if errors := stored_record_errors(catalogue, holder.jurisdiction, body, today):
        raise InvalidInput(errors)
    record = new_record(holder.id, body)
    session.add(record)
    session.commit()
    return record


def record_row(holder_id: uuid.UUID, body: NewRecord) -> tuple[type[SQLModel], dict[str, Any]]:
    """The table and column values of a new record: the one place a request body becomes a
    row, for single writes and bulk imports alike (which insert the values directly: building
    table objects costs more than the rest of an import line)."""
    values: dict[str, Any] = {"id": uuid.uuid4(), "holder_id": holder_id}
    if isinstance(body, ResidencePeriodCreate):
        return ResidencePeriod, values | {
            "district": body.district,
            "start_date": body.start_date,
            "end_date": body.end_date,
            "housing": body.housing.value,
            "township": body.township,
            "source": body.source,
        }
    if isinstance(body, InsurancePeriodCreate):
        end = body.end_month
        return InsurancePeriod, values | {
            "district": body.district,
            "type": body.type.value,
            # Stored as the month's first day; MonthText has checked the text already.
            "start_month": date.fromisoformat(f"{body.start_month}-01"),
            "end_month": date.fromisoformat(f"{end}-01") if end is not None else None,
            "source": body.source,
        }
    return Adjustment, values | {
        "code": body.code,
        "effective_from": body.effective_from,
        "effective_to": body.effective_to,
        "note": body.note,
    }


def new_record(
    holder_id: uuid.UUID, body: NewRecord
) -> ResidencePeriod | InsurancePeriod | Adjustment:
    model, values = record_row(holder_id, body)
    return cast(ResidencePeriod | InsurancePeriod | Adjustment, model(**values))


def list_records(
    session: Session, model: type[Record], holder: Holder, limit: int, cursor: str | None
) -> tuple[list[Record], str | None]:
    after = after_seq(cursor)
    rows = session.exec(
        select(model)
        .where(model.holder_id == holder.id, col(model.seq) > after)
        .order_by(col(model.seq))
        .limit(limit + 1)
    ).all()
    return page_of(rows, limit)


def get_record(session: Session, model: type[Record], holder: Holder, record_id: str) -> Record:
    record = session.exec(
        select(model).where(model.holder_id == holder.id, model.id == parse_id(record_id, "record"))
    ).first()
    if record is None:
        raise NotFound(tr("No such record for this holder.", "该持证人没有这条记录。"))
    return record


def delete_record(session: Session, record: SQLModel) -> None:
    session.delete(record)
    session.commit()


def endorse(
    session: Session,
    holder: Holder,
    body: EndorsementCreate,
    client: ApiClient,
    catalogue: Catalogue,
    today: date,
) -> Endorsement:
    """SPEC §7: valid_until = max(valid_until, endorsed_on) + the policy's endorsement months."""
    endorsed_on = body.endorsed_on or today
    errors = []
    if endorsed_on > today:
        errors.append(
            FieldError(field="endorsed_on", message=tr("Cannot be after today.", "不能晚于今天。"))
        )
    if endorsed_on < holder.permit_issued_on:
        errors.append(
            FieldError(
                field="endorsed_on",
                message=tr(
                    "Cannot be before the permit's issued_on.", "不能早于居住证的签发日期。"
                ),
            )
        )
    months = catalogue.endorsement_months(holder.jurisdiction, endorsed_on)
    if months is None and not errors:
        errors.append(
            FieldError(
                field="endorsed_on",
                message=tr("No policy in force on this date.", "该日期没有生效的政策。"),
            )
        )
    if errors:
        raise InvalidInput(errors)
    if holder.permit_status != PermitStatus.active:
        raise invalid(
            "permit.status",
            tr(
                f"A {holder.permit_status} permit cannot be endorsed.",
                "已暂停或已注销的居住证不能签注。",
            ),
        )
    previous = holder.permit_valid_until
    assert months is not None
    endorsement = Endorsement(
        holder_id=holder.id,
        endorsed_on=endorsed_on,
        previous_valid_until=previous,
        valid_until=add_months(max(previous, endorsed_on), months),
        client=client.name,
        note=body.note,
    )
    session.add(endorsement)
    # The endorsement and the new valid_until land together, or neither does.
    session.flush()
    _bump(session, holder, {"permit_valid_until": endorsement.valid_until})
    return endorsement


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
