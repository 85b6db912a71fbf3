"""A streamed import that passes its size limit stops there, answering 413 with the report of
what it stored before (SPEC §7). Served by uvicorn, so that the body really streams."""

import json
from collections.abc import Iterator
from typing import Any

import httpx

from tests.conftest import holder_body


def test_a_batch_over_its_limit_stops_with_what_was_stored(serve: Any) -> None:
    server = serve(workers=1, JIFEN_MAX_IMPORT_BYTES="200000")
    key = server.key()
    lines = [
        json.dumps({"kind": "holder", "holder": holder_body()}).encode() + b"\n"
        for _ in range(6000)
    ]

    def stream() -> Iterator[bytes]:
        for start in range(0, len(lines), 100):
            yield b"".join(lines[start : start + 100])

    with httpx.Client(base_url=server.url, timeout=60) as http:
        response = http.post(
            "/v1/imports", content=stream(), headers={**key, "Content-Type": "application/x-ndjson"}
        )
        assert response.status_code == 413, response.text
        report = response.json()["report"]
        assert 0 < report["stored"] < len(lines)
        assert report["stored"] * len(lines[0]) <= 200_000
        stored = http.get("/v1/holders", params={"limit": 500}, headers=key).json()["items"]
    assert len(stored) == min(report["stored"], 500)
