"""Every table model, imported in one place so that the metadata is complete for Alembic."""

from app.audit.models import AuditEvent
from app.clients.models import ApiClient
from app.db.versions import CacheVersion
from app.idempotency.models import IdempotencyKey
from app.impact.models import ImpactRun
from app.imports.models import ImportBatch
from app.policies.models import PolicyVersion
from app.ratelimit.models import RateWindow
from app.register.models import Adjustment, Endorsement, Holder, InsurancePeriod, ResidencePeriod
from app.scoring.models import Assessment, RankingEntry, RankingSnapshot

__all__ = [
    "Adjustment",
    "ApiClient",
    "Assessment",
    "AuditEvent",
    "CacheVersion",
    "Endorsement",
    "Holder",
    "IdempotencyKey",
    "ImpactRun",
    "ImportBatch",
    "InsurancePeriod",
    "PolicyVersion",
    "RankingEntry",
    "RankingSnapshot",
    "RateWindow",
    "ResidencePeriod",
]
