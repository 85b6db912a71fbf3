"""The impact of a draft policy over a jurisdiction's population (issue 17)."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session, func, select

from app.core.errors import FieldError, InvalidInput
from app.db.deadline import allow_long_statements
from app.domain.policy import Policy
from app.impact.compare import Comparison, Impact
from app.impact.facts_sql import facts_groups
from app.policies.service import PolicyBook, case_failures
from app.register.models import Holder
from app.scoring.ranking import population, valid_permit_at
from app.scoring.service import policy_in_force

# Called with (holders done, holders in all) as the comparison goes; it may raise to stop it.
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1_000  # holders between two calls


def check_draft(book: PolicyBook, draft: Policy, as_of: date) -> Policy:
    """The policy in force at `as_of` that the draft is compared with, once the draft's own
    test cases pass: a draft whose cases fail says nothing about anyone (422)."""
    if failures := case_failures(draft):
        raise InvalidInput([FieldError(field="tests", message=f) for f in failures])
    return policy_in_force(book, draft.jurisdiction.code, as_of, "as_of")


def population_size(session: Session, jurisdiction: str, as_of: date) -> int:
    """Holders of the jurisdiction with a valid permit at `as_of` (those `population` reads)."""
    query = select(func.count()).select_from(Holder).where(valid_permit_at(jurisdiction, as_of))
    return int(session.execute(query).scalar_one())


def impact_of_draft(
    session: Session,
    book: PolicyBook,
    draft: Policy,
    as_of: date,
    progress: Progress | None = None,
) -> Impact:
    """Every holder of the draft's jurisdiction with a valid permit at `as_of`, under the
    policy in force then and under the draft."""
    current = check_draft(book, draft, as_of)
    return compare_population(session, current, draft, as_of, progress)


def compare_population(
    session: Session,
    current: Policy,
    draft: Policy,
    as_of: date,
    progress: Progress | None = None,
) -> Impact:
    """The comparison itself, once the draft is checked and the policy in force known.

    On PostgreSQL the facts are counted in the database and only their distinct combinations
    read (`facts_sql`): one statement, so progress is told at its start and its end. SQLite's
    date arithmetic cannot count months: there every holder's records are read, in holder-id
    order, and counted by the engine. The two give the same `Impact`.
    """
    code = draft.jurisdiction.code
    postgres = session.connection().dialect.name == "postgresql"
    # A whole population in one transaction: the deadlines that keep requests short would cut it.
    allow_long_statements(session.connection())
    total = population_size(session, code, as_of) if progress else 0
    if progress:
        progress(0, total)
    comparison = Comparison(current, draft, as_of)
    if postgres:
        for group in facts_groups(session.connection(), current, draft, as_of):
            comparison.add_facts(group.before, group.after, group.holders, group.examples)
    else:
        for done, (holder_id, records) in enumerate(population(session, code, as_of), start=1):
            comparison.add(holder_id, records)
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
    if progress:
        progress(comparison.impact.holders, total)
    return comparison.impact
