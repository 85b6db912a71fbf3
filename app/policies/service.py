"""Publishing policy versions and finding the one in force (SPEC §5).

A published version never changes: publishing the same document again is a no-op, and a
document with a stored id and other content is refused. Versions of a jurisdiction follow each
other (no back-dating), and a version whose own test cases fail is not published.
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, FieldError, InvalidInput
from app.core.i18n import tr
from app.domain.policy import Policy, ordered_domains
from app.engine import run_policy_case
from app.policies.catalogue import Catalogue, Jurisdiction
from app.policies.document import PolicyError, load_policy_yaml, parse_policy
from app.policies.models import PolicyVersion


@dataclass(frozen=True)
class PolicyBook:
    """Every published version, parsed: what scoring and entry checks read."""

    by_id: dict[str, Policy] = field(default_factory=dict)
    # Each jurisdiction's versions by effective_from.
    by_jurisdiction: dict[str, list[Policy]] = field(default_factory=dict)

    @classmethod
    def of(cls, policies: list[Policy]) -> "PolicyBook":
        by_jurisdiction: dict[str, list[Policy]] = {}
        for policy in sorted(policies, key=lambda p: p.effective_from):
            by_jurisdiction.setdefault(policy.jurisdiction.code, []).append(policy)
        return cls({p.id: p for p in policies}, by_jurisdiction)

    def in_force(self, jurisdiction: str, on: date) -> Policy | None:
        """SPEC §5: among versions started by `on` and not ended, the latest started."""
        in_force = [p for p in self.by_jurisdiction.get(jurisdiction, []) if p.in_force_on(on)]
        return in_force[-1] if in_force else None

    def catalogue(self, today: date) -> Catalogue:
        """Entry checks against every published version, so that history stays recordable.
        Jurisdictions are described as the latest version that has started gives them."""
        jurisdictions = {}
        for code, versions in sorted(self.by_jurisdiction.items()):
            started = [p for p in versions if p.effective_from <= today]
            shown = (started or versions)[-1 if started else 0].jurisdiction
            jurisdictions[code] = Jurisdiction(
                code=code,
                name=shown.name.model_dump(),
                districts=[d.model_dump() for d in shown.districts],
            )
        return Catalogue(
            jurisdictions=jurisdictions,
            districts={
                code: frozenset(d for p in versions for d in p.district_codes)
                for code, versions in self.by_jurisdiction.items()
            },
            adjustment_codes={
                code: frozenset(a.code for p in versions for a in p.adjustments)
                for code, versions in self.by_jurisdiction.items()
            },
            endorsement_months_of=self._endorsement_months,
        )

    def _endorsement_months(self, jurisdiction: str, on: date) -> int | None:
        policy = self.in_force(jurisdiction, on)
        return policy.permit.endorsement_months if policy else None


class PolicyCache:
    """The parsed book, kept while the policies' version (`app/db/versions`, read in the
    request's own round trip) stays the same; without a version, reloaded whenever the set of
    stored versions changes. Policy versions are immutable, so their ids say everything."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, ...] | None = None
        self._version: int | None = None
        self._book = PolicyBook()

    def kept(self, version: int | None) -> PolicyBook | None:
        """The book when it is the version's: no statement needed (the event loop's path)."""
        with self._lock:
            return self._book if version is not None and version == self._version else None

    def get(self, session: Session, version: int | None = None) -> PolicyBook:
        book = self.kept(version)
        if book is not None:
            return book
        key = tuple(session.exec(select(PolicyVersion.id).order_by(col(PolicyVersion.id))).all())
        with self._lock:
            if key != self._key:
                rows = session.exec(select(PolicyVersion)).all()
                policies = [parse_policy(json.loads(row.document), row.id) for row in rows]
                self._book, self._key = PolicyBook.of(policies), key
            # Read after the version: a change since is seen by the next request's version.
            self._version = version
            return self._book


def canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def stored_document(session: Session, policy_id: str) -> dict[str, Any] | None:
    """The published document as served. It is stored with sorted keys, so its domains are put
    back in served order (education, healthcare, housing, settlement, then others by name)."""
    row = session.exec(select(PolicyVersion).where(PolicyVersion.id == policy_id)).first()
    if row is None:
        return None
    document: dict[str, Any] = json.loads(row.document)
    domains = document["domains"]
    document["domains"] = {name: domains[name] for name in ordered_domains(domains)}
    return document


def case_failures(policy: Policy) -> list[str]:
    return [message for case in policy.tests for message in run_policy_case(policy, case)]


def publishing_problems(session: Session, policy: Policy) -> list[FieldError]:
    """Why a new version cannot be published: back-dated, or its cases fail."""
    problems = []
    latest = session.exec(
        select(col(PolicyVersion.effective_from))
        .where(PolicyVersion.jurisdiction == policy.jurisdiction.code)
        .order_by(col(PolicyVersion.effective_from).desc())
    ).first()
    if latest is not None and policy.effective_from <= latest:
        problems.append(
            FieldError(
                field="effective_from",
                message=tr(
                    f"Must be after {latest.isoformat()}, the latest published version's.",
                    f"必须晚于已发布的最新版本的 {latest.isoformat()}。",
                ),
            )
        )
    problems += [FieldError(field="tests", message=m) for m in case_failures(policy)]
    return problems


def other_content(policy_id: str) -> Conflict:
    """SPEC §5: a published policy never changes; a document with its id and other content
    is refused, not an update."""
    return Conflict(
        tr(
            f"Policy {policy_id} is published with other content.",
            f"政策 {policy_id} 已以不同内容发布。",
        )
    )


def publish(session: Session, policy: Policy) -> bool:
    """Store a new version; False when the same document is stored already (SPEC §5)."""
    stored = stored_document(session, policy.id)
    if stored is not None:
        if stored != policy.served():
            raise other_content(policy.id)
        return False
    if problems := publishing_problems(session, policy):
        raise InvalidInput(
            problems,
            detail=tr(f"Policy {policy.id} cannot be published.", f"政策 {policy.id} 不能发布。"),
        )
    session.add(
        PolicyVersion(
            id=policy.id,
            jurisdiction=policy.jurisdiction.code,
            version=policy.version,
            effective_from=policy.effective_from,
            effective_to=policy.effective_to,
            document=canonical(policy.served()),
        )
    )
    try:
        session.commit()
    except IntegrityError:  # another publisher got there first
        session.rollback()
        return publish(session, policy)
    return True


class PolicyLoadError(Exception):
    """A shipped policy file that stops start-up: the file, and why."""


def read_policy_files(paths: list[Path]) -> list[Policy]:
    """Parse files, each jurisdiction's in order of effective_from (SPEC §5)."""
    policies = []
    for path in paths:
        try:
            policies.append(load_policy_yaml(path.read_text(encoding="utf-8"), path.name))
        except PolicyError as exc:
            raise PolicyLoadError(str(exc)) from None
    return sorted(policies, key=lambda p: (p.jurisdiction.code, p.effective_from))


def edited_file_advice(policy: Policy, stored: dict[str, Any], directory: Path) -> str:
    """What an operator reads when a policy file differs from the version the database
    published under its id: where they differ, and the two ways out."""
    served = policy.served()
    differ = [key for key in served if served.get(key) != stored.get(key)]
    return (
        f"{policy.id}: a file in {directory} differs from the version this database published"
        f" under that id (in: {', '.join(differ)}). A published policy never changes, so"
        " start-up stops. Either (1) the file was edited by hand: restore it as published"
        f" (GET /v1/policies/{policy.id} serves it) and put the change in a new file with a"
        " later effective_from and version; or (2) this release of jifen corrected the shipped"
        " file (CHANGELOG.md lists such corrections): on a database that serves no city yet,"
        " start from an empty database (a new JIFEN_DATABASE_URL, or remove the SQLite file),"
        " and on one that does, keep JIFEN_POLICY_DIR pointing at the files it published and"
        " publish the correction as a new version."
    )


def load_policy_files(session: Session, directory: Path) -> list[str]:
    """Publish every file of `directory`; the ids newly published. A changed file under a
    published id, or one that cannot be published, stops start-up with the file named."""
    published = []
    for policy in read_policy_files(sorted(directory.glob("*.yaml"))):
        try:
            if publish(session, policy):
                published.append(policy.id)
        except Conflict:
            raise PolicyLoadError(
                edited_file_advice(policy, stored_document(session, policy.id) or {}, directory)
            ) from None
        except InvalidInput as exc:
            reasons = "; ".join(f"{e.field}: {e.message}" for e in exc.errors or [])
            raise PolicyLoadError(f"{policy.id}: {reasons}") from None
    return published
