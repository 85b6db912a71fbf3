"""Every table model, imported in one place so that the metadata is complete for Alembic."""

from app.clients.models import ApiClient
from app.register.models import Adjustment, Endorsement, Holder, InsurancePeriod, ResidencePeriod

__all__ = ["Adjustment", "ApiClient", "Endorsement", "Holder", "InsurancePeriod", "ResidencePeriod"]
