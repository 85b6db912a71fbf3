"""Bulk imports (SPEC §7): NDJSON read as it streams, each line checked like its single-record
route and stored whole or not at all; the batch goes on past a bad line.

Lines are parsed as they arrive and stored a chunk at a time: one query resolves the holders
a chunk names, one COPY (multi-row insert elsewhere) per table stores it. Memory stays bounded
by a chunk or two, whatever the size of the batch.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clients.models import ApiClient
from app.core.errors import FieldError, NotFound, errors_from_pydantic
from app.core.i18n import in_language, tr
from app.db.bulk import insert_rows
from app.imports.models import ImportBatch
from app.imports.schemas import IMPORT_LINE, HolderLine
from app.policies.catalogue import Catalogue
from app.register.codes import normalize_id_number
from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod
from app.register.service import holder_errors, new_holder, record_row, stored_record_errors

CHUNK_LINES = 5000  # lines stored together: one holder query and one insert per table
KINDS = ("holder", "residence_period", "insurance_period", "adjustment")

NOT_JSON = tr("The line is not a JSON object (UTF-8).", "该行不是 JSON 对象（UTF-8）。")
NO_HOLDER = tr(
    "No stored holder with this jurisdiction and ID number.",
    "没有此辖区和身份证号码的已登记持证人。",
)
NOT_HELD = tr("This client does not hold the jurisdiction.", "此客户端无权访问该辖区。")
REGISTERED = tr(
    "This ID number is already registered in the jurisdiction.", "该身份证号码已在本辖区登记。"
)

HolderKey = tuple[str, str]  # (jurisdiction, ID number)


# A chunk's lines once checked: (line number, table, row values) each, in line order.
Chunk = list[tuple[int, Any, dict[str, Any]]]


@dataclass
class ImportRun:
    """One batch as it is read, a chunk of lines at a time: `prepare` parses and checks a
    chunk, `store` writes it. The caller may prepare the next chunk while the last one is
    being stored (PostgreSQL checking foreign keys and indexes): holders of earlier chunks are
    known here from the moment they are checked, and a row that their failed store leaves
    without a holder fails the foreign key and is reported line by line."""

    client: ApiClient
    catalogue: Catalogue
    today: date
    language: str
    batch: ImportBatch = field(default_factory=lambda: ImportBatch(client_id=uuid.uuid4()))
    rejected: list[dict[str, Any]] = field(default_factory=list)
    holders: dict[HolderKey, uuid.UUID | None] = field(default_factory=dict)
    jurisdictions: set[str] = field(default_factory=set)
    held: dict[str, bool] = field(default_factory=dict)  # the client's answers, asked once
    lines: int = 0  # counted here, not on `batch`: prepare and store may run side by side
    stored: int = 0

    def __post_init__(self) -> None:
        self.batch.client_id = self.client.id

    def reject(self, line: int, errors: list[FieldError]) -> None:
        self.rejected += [
            {"line": line, "field": e.field, "message": in_language(e.message, self.language)}
            for e in errors
        ]

    def prepare(self, session: Session, lines: list[tuple[int, bytes]]) -> Chunk:
        """Parse and check a chunk of non-blank lines against what is stored."""
        parsed_lines = []
        for number, raw in lines:
            self.lines += 1
            try:
                parsed = IMPORT_LINE.validate_json(raw)
            except ValidationError as exc:
                self.reject(number, _line_errors(exc))
                continue
            self.jurisdictions.add(parsed.holder.jurisdiction)
            parsed_lines.append((number, parsed))
        self._resolve(session, parsed_lines)
        return [
            (number, *row)
            for number, parsed in parsed_lines
            if (row := self._checked(number, parsed)) is not None
        ]

    def store(self, session: Session, chunk: Chunk) -> None:
        """Store a prepared chunk in one transaction, or line by line if that fails."""
        try:
            connection = session.connection()
            # Holders first: a record line may name a holder stored earlier in the chunk.
            for model in (Holder, ResidencePeriod, InsurancePeriod, Adjustment):
                if values := [row for _, table, row in chunk if table is model]:
                    columns = list(values[0])
                    data = ([row[c] for c in columns] for row in values)
                    insert_rows(connection, model.__table__, columns, data)
            session.commit()
            self.stored += len(chunk)
        except IntegrityError:
            # Another request stored a conflicting holder meanwhile, or an earlier chunk's
            # holder could not be stored: line by line, to keep every line that still can be.
            session.rollback()
            self._store_one_by_one(session, chunk)

    def _holds(self, jurisdiction: str) -> bool:
        if jurisdiction not in self.held:
            self.held[jurisdiction] = self.client.holds(jurisdiction)
        return self.held[jurisdiction]

    def _store_one_by_one(
        self, session: Session, accepted: list[tuple[int, Any, dict[str, Any]]]
    ) -> None:
        for number, model, values in accepted:
            try:
                session.connection().execute(sa.insert(model.__table__), [values])
                session.commit()
                self.stored += 1
            except IntegrityError:
                session.rollback()
                field_name = "holder.id_number" if model is Holder else "holder"
                self.reject(
                    number,
                    [
                        FieldError(
                            field=field_name, message=REGISTERED if model is Holder else NO_HOLDER
                        )
                    ],
                )
                if model is Holder:
                    self.holders.pop((values["jurisdiction"], values["id_number"]), None)

    def _resolve(self, session: Session, lines: list[tuple[int, Any]]) -> None:
        """One query for every holder the chunk names that is not known yet."""
        wanted = {_key(parsed) for _, parsed in lines} - self.holders.keys()
        by_jurisdiction: dict[str, list[str]] = {}
        for jurisdiction, id_number in wanted:
            by_jurisdiction.setdefault(jurisdiction, []).append(id_number)
        # One query a jurisdiction, on the unique (jurisdiction, id_number) index: PostgreSQL
        # plans a list of row values far worse.
        for jurisdiction, numbers in by_jurisdiction.items():
            found = session.connection().execute(
                select(Holder.id_number, Holder.id).where(
                    Holder.jurisdiction == jurisdiction, col(Holder.id_number).in_(numbers)
                )
            )
            for id_number, holder_id in found:
                self.holders[jurisdiction, id_number] = holder_id
        for key in wanted:
            self.holders.setdefault(key, None)

    def _checked(self, number: int, parsed: Any) -> tuple[Any, dict[str, Any]] | None:
        """The row a line stores, or None once its problems are reported."""
        key = _key(parsed)
        jurisdiction = key[0]
        if isinstance(parsed, HolderLine):
            errors = [
                FieldError(field=f"holder.{e.field}", message=e.message)
                for e in holder_errors(parsed.holder, self.catalogue, self.today)
            ]
            if not errors and not self._holds(jurisdiction):
                errors = [FieldError(field="holder.jurisdiction", message=NOT_HELD)]
            if not errors and self.holders.get(key) is not None:
                errors = [FieldError(field="holder.id_number", message=REGISTERED)]
            if errors:
                self.reject(number, errors)
                return None
            holder = new_holder(parsed.holder)
            self.holders[key] = holder.id
            return Holder, holder.model_dump(exclude={"seq"})
        holder_id = self.holders.get(key)
        if holder_id is None or not self._holds(jurisdiction):
            # Outside the client's jurisdictions is the same answer: nothing says who exists.
            self.reject(number, [FieldError(field="holder", message=NO_HOLDER)])
            return None
        errors = stored_record_errors(
            self.catalogue, jurisdiction, parsed.record, self.today, "record."
        )
        if errors:
            self.reject(number, errors)
            return None
        return record_row(holder_id, parsed.record)

    def report(self) -> dict[str, Any]:
        return {
            "id": str(self.batch.id),
            "lines": self.lines,
            "stored": self.stored,
            "rejected": sorted(self.rejected, key=lambda r: r["line"]),
        }

    def save(self, session: Session, complete: bool) -> None:
        self.batch.lines, self.batch.stored = self.lines, self.stored
        self.batch.rejected = json.dumps(self.report()["rejected"], ensure_ascii=False)
        self.batch.complete = complete
        session.add(self.batch)
        session.commit()


def _key(parsed: Any) -> HolderKey:
    return parsed.holder.jurisdiction, normalize_id_number(parsed.holder.id_number)


def _line_errors(exc: ValidationError) -> list[FieldError]:
    """Fields named inside the line (`record.end_date`), without the union's kind tag."""
    errors = []
    for error in exc.errors():
        if error["type"] == "json_invalid":
            return [FieldError(field="line", message=NOT_JSON)]
        if error["type"] in (
            "union_tag_not_found",
            "union_tag_invalid",
            "model_attributes_type",
            "model_type",
        ):
            errors.append(
                FieldError(
                    field="kind",
                    message=tr(f"One of {', '.join(KINDS)}.", f"应为 {', '.join(KINDS)} 之一。"),
                )
            )
            continue
        loc = tuple(error["loc"])
        if loc and loc[0] in KINDS:
            loc = loc[1:]
        errors += errors_from_pydantic([{**error, "loc": loc}])
    return errors


def get_report(session: Session, client: ApiClient, import_id: str) -> dict[str, Any]:
    """The report again, to the client that made the import; 404 to any other."""
    try:
        wanted = uuid.UUID(import_id)
    except ValueError:
        wanted = None
    batch = (
        session.exec(select(ImportBatch).where(ImportBatch.id == wanted)).first()
        if wanted
        else None
    )
    if batch is None or batch.client_id != client.id:
        raise NotFound(tr("No such import.", "没有这个导入批次。"))
    return {
        "id": str(batch.id),
        "lines": batch.lines,
        "stored": batch.stored,
        "rejected": json.loads(batch.rejected),
    }
