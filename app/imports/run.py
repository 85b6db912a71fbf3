"""One import's lines, a chunk at a time (SPEC §7): each line checked like its single-record
route and stored whole or not at all; the batch goes on past a bad line.

Lines are parsed as they arrive and stored a chunk at a time: one query resolves the holders
a chunk names, one COPY (multi-row insert elsewhere) per table stores it. Memory stays bounded
by a chunk or two, whatever the size of the batch.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clients.models import ApiClient
from app.core.errors import FieldError, errors_from_pydantic
from app.core.i18n import in_language, tr
from app.core.text import json_problems
from app.db.base import table_of
from app.db.bulk import insert_rows
from app.imports.models import ImportBatch
from app.imports.schemas import IMPORT_LINE, HolderLine
from app.policies.catalogue import Catalogue
from app.register.id_numbers import normalize_id_number
from app.register.models import Adjustment, Holder, InsurancePeriod, ResidencePeriod
from app.register.records import record_row, stored_record_errors
from app.register.service import holder_errors, new_holder

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
Rows = list[tuple[int, Any, dict[str, Any]]]


@dataclass(frozen=True)
class Chunk:
    """A prepared chunk and where it ends: storing it accounts for every line up to
    `last_line`, whose bytes (blank lines included) have the SHA-256 `prefix_digest`."""

    rows: Rows
    lines: int  # non-blank lines read into it
    last_line: int
    prefix_digest: str


class LostBatch(Exception):
    """Another run (a retry that found this one's lease run out) holds the batch now."""


@dataclass
class ImportRun:
    """One batch as it is read, a chunk of lines at a time: `prepare` parses and checks a
    chunk, `store` writes it and advances the batch's report in the same transaction, so that
    the report always says which lines are stored and a retry can resume after them. The
    caller may prepare the next chunk while the last one is being stored (PostgreSQL checking
    foreign keys and indexes): holders of earlier chunks are known here from the moment they
    are checked, and a row that their failed store leaves without a holder fails the foreign
    key and is reported line by line."""

    client: ApiClient
    catalogue: Catalogue
    today: date
    language: str
    batch: ImportBatch  # as claimed: new, or an interrupted one this run resumes
    lease: timedelta
    rejected: list[dict[str, Any]] = field(default_factory=list)
    holders: dict[HolderKey, uuid.UUID | None] = field(default_factory=dict)
    jurisdictions: set[str] = field(default_factory=set)
    held: dict[str, bool] = field(default_factory=dict)  # the client's answers, asked once

    def __post_init__(self) -> None:
        # Counts as committed: `store` advances them (prepare may run ahead of it).
        self.lines, self.stored = self.batch.lines, self.batch.stored
        self.rejected = json.loads(self.batch.rejected)

    def reject(self, line: int, errors: list[FieldError]) -> None:
        self.rejected += [
            {"line": line, "field": e.field, "message": in_language(e.message, self.language)}
            for e in errors
        ]

    def prepare(
        self, session: Session, lines: list[tuple[int, bytes]], last_line: int, prefix: str
    ) -> Chunk:
        """Parse and check a chunk of non-blank lines against what is stored."""
        parsed_lines = []
        for number, raw in lines:
            if problems := json_problems(raw):
                self.reject(number, problems)
                continue
            try:
                parsed = IMPORT_LINE.validate_json(raw)
            except ValidationError as exc:
                self.reject(number, _line_errors(exc))
                continue
            self.jurisdictions.add(parsed.holder.jurisdiction)
            parsed_lines.append((number, parsed))
        self._resolve(session, parsed_lines)
        rows = [
            (number, *row)
            for number, parsed in parsed_lines
            if (row := self._checked(number, parsed)) is not None
        ]
        return Chunk(rows, len(lines), last_line, prefix)

    def store(self, session: Session, chunk: Chunk, now: datetime) -> None:
        """Store a prepared chunk and advance the report, in one transaction; `LostBatch` (and
        nothing stored) when another run holds the batch now."""
        stored = self._insert(session, chunk.rows)
        rejected = sorted(
            (r for r in self.rejected if r["line"] <= chunk.last_line), key=lambda r: r["line"]
        )
        advanced = session.connection().execute(
            sa.update(ImportBatch)
            .where(col(ImportBatch.id) == self.batch.id)
            .where(col(ImportBatch.claim_token) == self.batch.claim_token)
            .values(
                lines=self.lines + chunk.lines,
                stored=self.stored + stored,
                rejected=json.dumps(rejected, ensure_ascii=False),
                last_line=chunk.last_line,
                prefix_digest=chunk.prefix_digest,
                lease_until=now + self.lease,
            )
        )
        if advanced.rowcount != 1:
            session.rollback()
            raise LostBatch(str(self.batch.id))
        session.commit()
        self.lines += chunk.lines
        self.stored += stored

    def finish(self, session: Session, state: str) -> None:
        """The batch is read (`stored`) or stopped at the size limit (`too_large`)."""
        session.execute(
            sa.update(ImportBatch)
            .where(col(ImportBatch.id) == self.batch.id)
            .where(col(ImportBatch.claim_token) == self.batch.claim_token)
            .values(state=state, lease_until=None)
        )
        session.commit()

    def _insert(self, session: Session, rows: Rows) -> int:
        """The rows at once, or line by line if that fails: every line that can be is kept."""
        try:
            with session.begin_nested():
                connection = session.connection()  # emits the SAVEPOINT
                # Holders first: a record line may name a holder stored earlier in the chunk.
                for model in (Holder, ResidencePeriod, InsurancePeriod, Adjustment):
                    if values := [row for _, table, row in rows if table is model]:
                        columns = list(values[0])
                        data = ([row[c] for c in columns] for row in values)
                        insert_rows(connection, table_of(model), columns, data)
            return len(rows)
        except IntegrityError:
            # Another request stored a conflicting holder meanwhile, or an earlier chunk's
            # holder could not be stored.
            return self._insert_one_by_one(session, rows)

    def _holds(self, jurisdiction: str) -> bool:
        if jurisdiction not in self.held:
            self.held[jurisdiction] = self.client.holds(jurisdiction)
        return self.held[jurisdiction]

    def _insert_one_by_one(self, session: Session, rows: Rows) -> int:
        stored = 0
        for number, model, values in rows:
            try:
                with session.begin_nested():
                    session.connection().execute(sa.insert(table_of(model)), [values])
                stored += 1
            except IntegrityError:
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
        return stored

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

    def report(self, state: str) -> dict[str, Any]:
        return {
            "id": str(self.batch.id),
            "state": state,
            "lines": self.lines,
            "stored": self.stored,
            "rejected": sorted(self.rejected, key=lambda r: r["line"]),
        }


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
