"""A simulation and a stored holder with the same records get the same answer (SPEC §7)."""

import random
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import store_holder

DISTRICTS = {
    "441700": ["441702", "441704", "441721", "441781", "440106"],
    "441200": ["441202", "441203", "441284", "441702"],
    "370300": ["370302", "370303", "370323", "110101"],
}
TYPES = ["pension", "medical", "unemployment", "work_injury", "maternity"]


def random_holder(rng: random.Random, jurisdiction: str, codes: list[str]) -> dict[str, Any]:
    def day(start: date, end: date) -> date:
        return start + timedelta(days=rng.randrange((end - start).days))

    residence = []
    for _ in range(rng.randint(0, 5)):
        start = day(date(2005, 1, 1), date(2024, 1, 1))
        end = None if rng.random() < 0.3 else start + timedelta(days=rng.randint(1, 2000))
        residence.append({
            "district": rng.choice(DISTRICTS[jurisdiction]), "start_date": start.isoformat(),
            "end_date": end.isoformat() if end else None,
            "housing": rng.choice(["owned", "rented", "employer", "collective", "other"]),
        })  # fmt: skip
    insurance = []
    for _ in range(rng.randint(0, 8)):
        start = rng.randint(2005 * 12, 2024 * 12)
        end = None if rng.random() < 0.3 else start + rng.randint(0, 60)
        insurance.append({
            "district": rng.choice(DISTRICTS[jurisdiction]), "type": rng.choice(TYPES),
            "start_month": f"{start // 12}-{start % 12 + 1:02d}",
            "end_month": f"{end // 12}-{end % 12 + 1:02d}" if end is not None else None,
        })  # fmt: skip
    adjustments = []
    for _ in range(rng.randint(0, 2)):
        start = day(date(2010, 1, 1), date(2024, 1, 1))
        adjustments.append({
            "code": rng.choice(codes), "effective_from": start.isoformat(),
            "effective_to": None if rng.random() < 0.5 else (start + timedelta(days=rng.randint(1, 3000))).isoformat(),
        })  # fmt: skip
    issued = day(date(2016, 1, 1), date(2024, 6, 1))
    permit = {
        "issued_on": issued.isoformat(),
        "valid_until": (issued + timedelta(days=rng.randint(0, 3000))).isoformat(),
        "status": rng.choice(["active", "active", "active", "suspended", "revoked"]),
    }
    return {
        "permit": permit,
        "residence_periods": residence,
        "insurance_periods": insurance,
        "adjustments": adjustments,
    }


def test_simulation_equals_stored_score_for_random_holders(
    http: TestClient, auth: dict[str, str], shipped_policies: list[str]
) -> None:
    rng = random.Random(20261124)
    compared = 0
    for jurisdiction in DISTRICTS:
        policy_id = next(p for p in shipped_policies if p.startswith(jurisdiction))
        document = http.get(f"/v1/policies/{policy_id}", headers=auth).json()
        codes = [a["code"] for a in document["adjustments"]]
        for _ in range(15):
            records = random_holder(rng, jurisdiction, codes)
            holder_id = store_holder(
                http, auth, records, jurisdiction=jurisdiction, **records["permit"]
            )
            as_of = (date(2017, 1, 1) + timedelta(days=rng.randrange(4000))).isoformat()
            stored = http.get(
                f"/v1/holders/{holder_id}/score", params={"as_of": as_of}, headers=auth
            )
            simulated = http.post(
                "/v1/simulations",
                json={"jurisdiction": jurisdiction, "as_of": as_of, **records},
                headers=auth,
            )
            assert stored.status_code == simulated.status_code, (stored.text, simulated.text)
            if stored.status_code == 200:
                assert stored.json() == {**simulated.json(), "holder_id": holder_id}
                compared += 1
    assert compared >= 30
