"""Who reads a holder's ID number in full (SPEC §7): clients with id_numbers:read; every other
client reads it masked."""

from app.clients.models import ApiClient
from app.core.security import Scope


def mask_id_number(id_number: str) -> str:
    """`441702199001011233` -> `441702********1233` (SPEC §7)."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def id_number_shown(id_number: str, client: ApiClient) -> str:
    """The ID number as `client` may read it: in full with id_numbers:read, else masked."""
    if Scope.id_numbers_read in client.scope_set:
        return id_number
    return mask_id_number(id_number)
