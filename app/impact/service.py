"""The impact of a draft policy over a jurisdiction's population (issue 17, first slice)."""

from datetime import date

from sqlmodel import Session

from app.core.errors import FieldError, InvalidInput
from app.domain.policy import Policy
from app.impact.compare import Impact, compare
from app.policies.service import PolicyBook, case_failures
from app.scoring.ranking import population
from app.scoring.service import policy_in_force


def impact_of_draft(session: Session, book: PolicyBook, draft: Policy, as_of: date) -> Impact:
    """Every holder of the draft's jurisdiction with a valid permit at `as_of`, under the
    policy in force then and under the draft. The draft's own test cases run first: a draft
    whose cases fail says nothing about anyone (422)."""
    if failures := case_failures(draft):
        raise InvalidInput([FieldError(field="tests", message=f) for f in failures])
    code = draft.jurisdiction.code
    current = policy_in_force(book, code, as_of, "as_of")
    return compare(population(session, code, as_of), current, draft, as_of)
