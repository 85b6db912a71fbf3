"""Issue 18: workers keep API clients and the parsed policies in memory, and read their
versions in each request's own round trip. A key revoked and a policy published elsewhere (the
command line, the other worker) act on the very next request of every worker."""

import io
import time
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import httpx
import yaml

from app import cli
from tests.conftest import FIXTURES, holder_body
from tests.serving.conftest import Server, environment

REQUESTS = 40  # each on a new connection: both workers answer some of them
SIMULATION = {
    "jurisdiction": "441700",
    "permit": {"issued_on": "2020-01-01", "valid_until": "2030-12-31", "status": "active"},
}


def clients_command(server: Server, *arguments: str) -> str:
    output, errors = io.StringIO(), io.StringIO()
    with environment(server.env), redirect_stdout(output), redirect_stderr(errors):
        assert cli.main(["clients", *arguments]) == 0, errors.getvalue()
    return output.getvalue()


def statuses(server: Server, path: str, key: dict[str, str], body: Any = None) -> set[int]:
    """The statuses of REQUESTS requests: a GET, or a POST of `body`."""
    method = "GET" if body is None else "POST"
    return {
        httpx.request(method, f"{server.url}{path}", headers=key, json=body).status_code
        for _ in range(REQUESTS)
    }


def test_a_revoked_key_is_refused_by_every_worker_on_its_next_request(serve: Any) -> None:
    server = serve(workers=2)
    name = f"revoked-{time.monotonic_ns()}"
    printed = clients_command(
        server, "create", "--name", name, "--scope", "holders:read", "holders:write",
        "scores:read", "--jurisdiction", "all",
    )  # fmt: skip
    key = {"Authorization": f"Bearer {printed.strip().splitlines()[-1]}"}
    holder = httpx.post(f"{server.url}/v1/holders", json=holder_body(), headers=key).json()["id"]
    # The hot reads (served on the event loop with the kept client) and another route.
    reads = [
        (f"/v1/holders/{holder}/score", None),
        (f"/v1/holders/{holder}", None),
        (f"/v1/holders/{holder}/residence-periods", None),
        ("/v1/simulations", SIMULATION),
        ("/v1/jurisdictions", None),
    ]
    for path, body in reads:
        assert statuses(server, path, key, body) == {200}, path  # kept by both workers now
    clients_command(server, "revoke", name)
    for path, body in reads:
        assert statuses(server, path, key, body) == {401}, path


def test_a_new_policy_is_used_by_every_worker_on_its_next_request(serve: Any) -> None:
    """The example policy published over HTTP (one worker answers it): every score and every
    simulation after it, whichever worker answers, is counted under it."""
    server = serve(workers=2)
    key = server.key("holders:write", "scores:read", "policies:write")
    holder = httpx.post(f"{server.url}/v1/holders", json=holder_body(), headers=key).json()["id"]
    later = "/score?as_of=2040-06-01"
    simulation = {**SIMULATION, "as_of": "2040-06-01"}

    def policies_used() -> set[str]:
        url = f"{server.url}/v1/holders/{holder}{later}"
        scores = [httpx.get(url, headers=key).json() for _ in range(REQUESTS)]
        simulated = [
            httpx.post(f"{server.url}/v1/simulations", json=simulation, headers=key).json()
            for _ in range(REQUESTS)
        ]
        return {answer["policy"]["id"] for answer in scores + simulated}

    assert policies_used() == {"441700@2016-04-11"}  # the shipped policy, kept by both workers
    document = yaml.safe_load((FIXTURES / "example_policy.yaml").read_text(encoding="utf-8"))
    # Its first case moved twenty years on, whole: the same months, the same answer.
    case = document["tests"][0]
    case["as_of"] = "2040-01-01"
    case["input"]["permit"].update(issued_on="2039-06-01", valid_until="2040-06-01")
    case["input"]["residence_periods"][0]["start_date"] = "2039-05-01"
    document.update(version="2040", effective_from="2040-01-01", tests=[case])
    published = httpx.post(
        f"{server.url}/v1/policies",
        content=yaml.safe_dump(document, allow_unicode=True).encode(),
        headers={**key, "Content-Type": "application/yaml"},
    )
    assert published.status_code == 201, published.text
    assert policies_used() == {"441700@2040"}
