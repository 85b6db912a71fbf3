"""ID numbers as each client may read them (SPEC §7): in full with id_numbers:read only."""

import pytest

from app.clients.models import ApiClient
from app.register.masking import id_number_shown, mask_id_number


def client(scopes: str) -> ApiClient:
    return ApiClient(name="c", key_digest="0" * 64, scopes=scopes, jurisdictions="all")


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("441702199001011233", "441702********1233"),
        ("44170219900101123X", "441702********123X"),  # the check character stays shown
    ],
)
def test_six_digits_of_region_and_four_last_stay_shown(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


def test_a_client_with_id_numbers_read_reads_it_in_full() -> None:
    reader = client("holders:read id_numbers:read")
    assert id_number_shown("441702199001011233", reader) == "441702199001011233"


@pytest.mark.parametrize("scopes", ["holders:read", "holders:read holders:write audit:read", ""])
def test_every_other_client_reads_it_masked(scopes: str) -> None:
    assert id_number_shown("441702199001011233", client(scopes)) == "441702********1233"
