"""Real concurrent requests against a running server: no lost update, one record per key."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import holder_body

# Neither test stops its server or reads its logs or metrics: they share one.
pytestmark = pytest.mark.shared_server

WRITERS = 8


def test_concurrent_patches_never_lose_an_update(serve: Any) -> None:
    server = serve(workers=2)
    key = server.key()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        holder = http.post("/v1/holders", json=holder_body(), headers=key).json()
    url = f"/v1/holders/{holder['id']}"

    def writer(n: int) -> list[int]:
        """Read, change the name, retry on 412 until this writer's change lands."""
        statuses = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while True:
                current = http.get(url, headers=key)
                names = current.json()["name"]
                response = http.patch(
                    url,
                    json={"name": f"{names}|{n}"},
                    headers={**key, "If-Match": current.headers["etag"]},
                )
                statuses.append(response.status_code)
                if response.status_code == 200:
                    return statuses
                assert response.status_code == 412, response.text

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(writer, range(WRITERS)))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        final = http.get(url, headers=key)
    parts = final.json()["name"].split("|")
    # Every writer's change is there exactly once: nothing was overwritten.
    assert sorted(parts[1:]) == sorted(str(n) for n in range(WRITERS))
    assert final.headers["etag"] == f'"{holder["id"]}.{WRITERS + 1}"'
    assert sum(r.count(200) for r in results) == WRITERS


def test_concurrent_retries_store_one_record(serve: Any) -> None:
    server = serve(workers=2)
    key = server.key()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        holder = http.post("/v1/holders", json=holder_body(), headers=key).json()
    url = f"/v1/holders/{holder['id']}/residence-periods"
    body = {"district": "441702", "start_date": "2021-03-01", "housing": "owned"}

    def send(_: int) -> tuple[int, Any]:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.post(url, json=body, headers={**key, "Idempotency-Key": "burst-1"})
            return response.status_code, response.json()

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(32)))
    assert {status for status, _ in answers} <= {201, 409}
    created = {answer["id"] for status, answer in answers if status == 201}
    assert len(created) == 1  # every 201 is the same record, first or replayed
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert len(http.get(url, headers=key).json()["items"]) == 1
        # Once the first answer is kept, a retry replays it.
        late = http.post(url, json=body, headers={**key, "Idempotency-Key": "burst-1"})
    assert late.status_code == 201 and late.json()["id"] in created
    assert late.headers["idempotent-replayed"] == "true"
