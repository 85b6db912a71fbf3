"""The real server: metrics summed over worker processes, JSON request logs, graceful
shutdown, and no personal data in logs or metrics (SPEC §8, issues #5 and #6)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import holder_body
from tests.ids import make_id_number

SAMPLE = re.compile(
    r'^jifen_http_requests_total\{method="(\w+)",route="([^"]+)",status="(\dxx)"\} ([0-9.e+]+)$'
)


def request_counts(text: str) -> dict[tuple[str, str, str], float]:
    counts = {}
    for line in text.splitlines():
        if match := SAMPLE.match(line):
            counts[match.group(1), match.group(2), match.group(3)] = float(match.group(4))
    return counts


def test_metrics_add_up_across_workers_and_nothing_personal_leaks(serve) -> None:
    server = serve(workers=2)
    key = server.key()
    numbers = [make_id_number() for _ in range(5)]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(40):
            assert http.get("/healthz").status_code == 200
        holders = []
        for number in numbers:
            created = http.post(
                "/v1/holders",
                json=holder_body(id_number=number),
                headers={**key, "X-Request-ID": f"it-{number[-4:]}-ok"},
            )
            assert created.status_code == 201, created.text
            holders.append(created.json()["id"])
        for holder_id in holders:
            assert (
                http.get(
                    f"/v1/holders/{holder_id}/score", params={"as_of": "2024-01-01"}, headers=key
                ).status_code
                == 200
            )
        for number in numbers:  # conflicts and lookups carry the number in their bodies only
            assert (
                http.post(
                    "/v1/holders", json=holder_body(id_number=number), headers=key
                ).status_code
                == 409
            )
            assert (
                http.post(
                    "/v1/holders/lookup",
                    json={"jurisdiction": "441700", "id_number": number},
                    headers=key,
                ).status_code
                == 200
            )
        assert http.get("/v1/holders/not-a-holder", headers=key).status_code == 404
        assert http.get("/v1/holders", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scrapes = [http.get("/metrics").text for _ in range(6)]

    # Several worker processes wrote samples, and every scrape sums them all.
    assert len(list(server.metrics_dir.glob("counter_*.db"))) >= 2
    final = request_counts(scrapes[-1])
    assert final["GET", "/healthz", "2xx"] == 40
    assert final["POST", "/v1/holders", "2xx"] == 5
    assert final["POST", "/v1/holders", "4xx"] == 5
    assert final["GET", "/v1/holders/{holder_id}/score", "2xx"] == 5
    assert final["POST", "/v1/holders/lookup", "2xx"] == 5
    assert final["GET", "/v1/holders/{holder_id}", "4xx"] == 1
    assert final["GET", "/v1/holders", "4xx"] == 1
    assert all(request_counts(s)["GET", "/healthz", "2xx"] == 40 for s in scrapes)
    assert (
        'jifen_scores_computed_total{jurisdiction="441700",policy_version="2016-04-11"} 5.0'
        in scrapes[-1]
    )
    assert "jifen_build_info{" in scrapes[-1]

    if shutil.which("promtool") or os.environ.get("CI") == "true":  # .ci/run installs it
        checked = subprocess.run(
            ["promtool", "check", "metrics"], input=scrapes[-1], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr

    output = server.stop()
    lines = server.log_lines()
    requests = [line for line in lines if line.get("message") == "request"]
    assert len(requests) >= 40 + 5 + 5 + 5 + 5 + 2
    create = next(line for line in requests if line["request_id"] == f"it-{numbers[0][-4:]}-ok")
    assert (
        create["route"] == "/v1/holders"
        and create["status"] == 201
        and create["client"].startswith("served-")
    )
    assert create["duration_ms"] >= 0
    # No ID number, name or holder id in any log line or metric.
    for text in [output, *scrapes]:
        for number in numbers:
            assert number not in text and number.lower() not in text
        assert "张三" not in text
        assert not any(holder_id in text for holder_id in holders)


def test_restart_leaves_no_stale_samples(serve) -> None:
    first = serve(workers=2)
    httpx.get(f"{first.url}/healthz")
    metrics_dir = first.metrics_dir
    first.stop()
    second = serve(workers=1, JIFEN_METRICS_DIR=str(metrics_dir))
    text = httpx.get(f"{second.url}/metrics").text
    assert 'route="/healthz"' not in text  # the first run's requests are gone


def _slow_create(server: Any, pause: float) -> tuple[threading.Thread, dict[str, int]]:
    """A create whose body stops for `pause` seconds after its first bytes, sent from a thread;
    its status lands in the dict."""
    key, result, body = server.key(), {}, json.dumps(holder_body()).encode()

    def trickle() -> Iterator[bytes]:
        yield body[:10]
        time.sleep(pause)
        yield body[10:]

    def send() -> None:
        response = httpx.post(f"{server.url}/v1/holders", content=trickle(),
                              headers={**key, "Content-Type": "application/json"}, timeout=30)  # fmt: skip
        result["status"] = response.status_code

    thread = threading.Thread(target=send)
    thread.start()
    return thread, result


def test_in_flight_requests_finish_on_sigterm(serve) -> None:
    server = serve(workers=1)
    thread, result = _slow_create(server, 1.5)  # SIGTERM arrives while the body is coming
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    thread.join(timeout=30)
    assert result.get("status") == 201
    # uvicorn re-raises the signal once it has drained: the conventional exit of a SIGTERM.
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.mark.shared_server
@pytest.mark.parametrize("path", ["/docs"])
def test_docs_work_offline(serve, path: str) -> None:
    server = serve(workers=1)
    page = httpx.get(f"{server.url}{path}")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        assert source.startswith("/"), f"external asset {source}"
        assert httpx.get(f"{server.url}{source}").status_code == 200
    assert "cdn" not in page.text.lower()


def test_after_sigterm_new_connections_are_refused_with_several_workers(serve) -> None:
    """Not accepted and then reset when the server exits: refused at once, while the
    requests in flight finish."""
    server = serve(workers=2)
    thread, result = _slow_create(server, 3)  # still coming when the new connection is tried
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(1.5)  # the supervisor looks at its signals twice a second
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/healthz", timeout=5)
    thread.join(timeout=30)
    assert result.get("status") == 201
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.mark.shared_server
def test_a_revoked_key_is_refused_by_every_worker_at_the_next_request(serve) -> None:
    server = serve(workers=2)
    key = server.key("holders:read")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert all(http.get("/v1/holders", headers=key).status_code == 200 for _ in range(10))
        name = next(
            line.split("\t")[0]
            for line in subprocess.run(
                [sys.executable, "-m", "app.cli", "clients", "list"],
                capture_output=True, text=True, env=server.env, check=True,
            ).stdout.splitlines()
            if line.startswith("served-")
        )  # fmt: skip
        subprocess.run([sys.executable, "-m", "app.cli", "clients", "revoke", name],
                       capture_output=True, text=True, env=server.env, check=True)  # fmt: skip
        # New connections each time, so that both workers answer.
        for _ in range(10):
            assert httpx.get(f"{server.url}/v1/holders", headers=key).status_code == 401
