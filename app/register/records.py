"""Records of a holder (SPEC §4): residence and insurance periods, adjustments, endorsements;
checked, stored, listed, deleted."""

import uuid
from datetime import date
from typing import Any, TypeVar, cast

from sqlmodel import Session, SQLModel, col, select

from app.clients.models import ApiClient
from app.core.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    invalid,
)
from app.core.i18n import tr
from app.core.paging import page_of
from app.domain.calendar import Month, add_months
from app.domain.codes import is_division_code, jurisdiction_prefix, township_problem
from app.domain.records import PermitStatus
from app.policies.catalogue import Catalogue
from app.register.models import Adjustment, Endorsement, Holder, InsurancePeriod, ResidencePeriod
from app.register.schemas import (
    AdjustmentCreate,
    EndorsementCreate,
    InsurancePeriodCreate,
    ResidencePeriodCreate,
)
from app.register.service import bump_version, parse_id

Record = TypeVar("Record", ResidencePeriod, InsurancePeriod, Adjustment, Endorsement)
NewRecord = ResidencePeriodCreate | InsurancePeriodCreate | AdjustmentCreate


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
    if isinstance(body, InsurancePeriodCreate) and body.start_month > Month.of(today):
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
            # Stored as the month's first day.
            "start_month": body.start_month.first_day,
            "end_month": end.first_day if end is not None else None,
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
    session: Session, model: type[Record], holder: Holder, limit: int, after: int
) -> tuple[list[Record], str | None]:
    """A page of the holder's records of a kind, after the insertion sequence `after`."""
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
    bump_version(session, holder, {"permit_valid_until": endorsement.valid_until})
    return endorsement
