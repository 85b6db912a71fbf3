"""A database outage: quick 503s, /readyz unready, and recovery with nothing half-written.

The test stops a PostgreSQL server of its own (initdb in a temporary folder, on a free port),
never the shared one the rest of the suite uses. It runs in the PostgreSQL run; with CI=true it
fails rather than skips when it cannot start its server.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.register.models import Holder
from tests.conftest import BACKEND, holder_body
from tests.ids import make_id_number
from tests.serving.conftest import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="outage test: PostgreSQL run only")


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[tuple[int, Any, Path]]:
    """A PostgreSQL server of the module's own (initdb takes seconds): its port, its pg_ctl
    and its data folder."""
    if not (PG_BIN / "initdb").exists() or not shutil.which("runuser") or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the outage test needs initdb and root (runuser) in CI")
        pytest.skip("cannot run a private PostgreSQL here (needs initdb and root)")
    # Directly under /tmp: pytest's own folders are closed to the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="jifen-outage-"))
    shutil.chown(folder, "postgres")
    data = folder / "data"
    port = free_port()
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")

    def pg_ctl(action: str) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast",
                     "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "-l", str(folder / "log"), action)  # fmt: skip

    pg_ctl("start")
    try:
        yield port, pg_ctl, data
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_postgres(private_cluster: tuple[int, Any, Path]) -> Iterator[tuple[str, Any, Path]]:
    """A new, empty database on the module's own server, running, which the test may stop,
    start or freeze; its URL, pg_ctl and the server's data folder."""
    port, pg_ctl, data = private_cluster

    def running() -> None:
        """Started again if a test failed while it was stopped."""
        status = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "status"],
                                capture_output=True)  # fmt: skip
        if status.returncode != 0:
            pg_ctl("start")

    running()
    admin = sa.create_engine(  # no pool: the test restarts the server under it
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    name = f"outage_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}", pg_ctl, data
        running()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_outage_and_recovery(private_postgres: tuple[str, Any, Path], serve: Any) -> None:
    url, pg_ctl, _ = private_postgres
    server = serve(workers=1, JIFEN_DATABASE_URL=url, JIFEN_DB_TIMEOUT_SECONDS="2")
    key = server.key()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        before = http.post("/v1/holders", json=holder_body(), headers=key)
        assert before.status_code == 201

        pg_ctl("stop")
        lost = make_id_number()
        retried = {**key, "Idempotency-Key": "during-the-outage"}
        for method, path, body in [
            ("GET", f"/v1/holders/{before.json()['id']}", None),
            ("POST", "/v1/holders", holder_body(id_number=lost)),
            ("GET", "/v1/holders", None),
        ]:
            started = time.monotonic()
            response = http.request(method, path, json=body, headers=retried)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"]
            assert time.monotonic() - started < 10  # no hang past the configured timeout
        assert http.get("/readyz").status_code == 503
        assert http.get("/healthz").status_code == 200

        pg_ctl("start")
        deadline = time.monotonic() + 30
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "no recovery"
            time.sleep(0.5)
        # Recovered by itself, and nothing of the failed write was stored.
        assert http.get(f"/v1/holders/{before.json()['id']}", headers=key).status_code == 200
        lookup = http.post(
            "/v1/holders/lookup", json={"jurisdiction": "441700", "id_number": lost}, headers=key
        )
        assert lookup.status_code == 404
        assert len(http.get("/v1/holders", headers=key).json()["items"]) == 1
        # The 503 stored nothing and kept no key: the retry with the same key completes it,
        # once; the next retry replays its answer.
        body = holder_body(id_number=lost)
        completed = http.post("/v1/holders", json=body, headers=retried)
        assert completed.status_code == 201, completed.text
        replayed = http.post("/v1/holders", json=body, headers=retried)
        assert replayed.headers["idempotent-replayed"] == "true"
        assert len(http.get("/v1/holders", headers=key).json()["items"]) == 2
        metrics = http.get("/metrics").text
    errors = re.search(r"^jifen_database_errors_total ([0-9.]+)$", metrics, re.MULTILINE)
    assert errors and float(errors.group(1)) >= 3


def _cluster_processes(data: Path) -> list[int]:
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
    return [postmaster, *map(int, children.stdout.split())]


def test_a_frozen_database_answers_503_in_time(
    private_postgres: tuple[str, Any, Path], serve: Any
) -> None:
    """SIGSTOP on every process of the server: it accepts connections and answers nothing,
    so only the service's own deadline can end a wait (statement_timeout cannot run)."""
    url, _, data = private_postgres
    timeout = 2
    server = serve(workers=1, JIFEN_DATABASE_URL=url, JIFEN_DB_TIMEOUT_SECONDS=str(timeout))
    key = server.key()
    retried = {**key, "Idempotency-Key": "while-frozen"}
    body = holder_body()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/v1/holders", headers=key).status_code == 200  # a pooled connection
        frozen = _cluster_processes(data)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            for method, path, json_body in [
                ("POST", "/v1/holders", body),
                ("GET", "/v1/holders", None),
            ]:
                started = time.monotonic()
                response = http.request(method, path, json=json_body, headers=retried)
                took = time.monotonic() - started
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                # The pooled connection's ping (timeout / 3), then a new connection (timeout).
                assert took < 2 * timeout + 2, took  # measured: timeout + 1.1 s
            started = time.monotonic()
            assert http.get("/readyz").status_code == 503
            assert time.monotonic() - started < 2 * timeout + 2
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 30
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "no recovery"
            time.sleep(0.5)
        # Nothing of the 503 was kept: its retry with the key completes it once.
        completed = http.post("/v1/holders", json=body, headers=retried)
        assert completed.status_code == 201, completed.text
        assert (
            http.post("/v1/holders", json=body, headers=retried).headers["idempotent-replayed"]
            == "true"
        )
        assert len(http.get("/v1/holders", headers=key).json()["items"]) == 1


def test_concurrent_writers_retrying_across_an_outage_store_each_create_once(
    private_postgres: tuple[str, Any, Path], serve: Any
) -> None:
    """Eight writers, each retrying its creates with their own Idempotency-Keys (on 503, 409
    or a dropped connection) while the database is stopped for 3 s under them: every
    logical create ends stored, exactly once, under the id its 201 gave."""
    url, pg_ctl, _ = private_postgres
    server = serve(workers=2, JIFEN_DATABASE_URL=url, JIFEN_DB_TIMEOUT_SECONDS="2")
    key = server.key()
    created: dict[str, str] = {}  # ID number -> holder id from its 201
    seen: set[int] = set()
    failures: list[str] = []

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for i in range(25):
                number = make_id_number()
                body, headers = (
                    holder_body(id_number=number),
                    {**key, "Idempotency-Key": f"w{w}-{i}"},
                )
                give_up = time.monotonic() + 90
                while time.monotonic() < give_up:
                    try:
                        response = http.post("/v1/holders", json=body, headers=headers)
                    except httpx.TransportError:
                        time.sleep(0.2)
                        continue
                    seen.add(response.status_code)
                    if response.status_code == 201:
                        created[number] = response.json()["id"]
                        break
                    if response.status_code not in (409, 503):
                        failures.append(f"{response.status_code} {response.text}")
                        return
                    time.sleep(0.2)
                else:
                    failures.append(f"w{w}-{i} never completed")
                    return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    pg_ctl("stop")
    time.sleep(3)
    pg_ctl("start")
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures[:3]
    assert len(created) == 8 * 25
    assert 503 in seen  # the outage was felt
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.select(Holder.id_number, Holder.id)).all()
    finally:
        engine.dispose()
    # Row by row: each create once, under the id its answer gave; nothing else.
    assert sorted((number, str(holder_id)) for number, holder_id in stored) == sorted(
        created.items()
    )


def test_every_score_answered_has_its_audit_row_across_an_outage(
    private_postgres: tuple[str, Any, Path], serve: Any
) -> None:
    """Eight readers score one holder without pause while the database stops for 2 s under
    them: the audit rows of reads are committed in groups (issue 18), and an answer is a 200
    only once its row is committed; a group whose commit fails answers 503 to each of its
    requests. Afterwards every 200 has its row, found by the request id the answer carried."""
    url, pg_ctl, _ = private_postgres
    server = serve(workers=2, JIFEN_DATABASE_URL=url, JIFEN_DB_TIMEOUT_SECONDS="2")
    key = server.key()
    answers: list[tuple[int, str]] = []  # (status, X-Request-ID)
    stop = threading.Event()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        holder = http.post("/v1/holders", json=holder_body(), headers=key).json()["id"]

    def reader() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                try:
                    response = http.get(f"/v1/holders/{holder}/score", headers=key)
                except httpx.TransportError:
                    continue
                answers.append((response.status_code, response.headers["x-request-id"]))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    pg_ctl("stop")
    time.sleep(2)
    pg_ctl("start")
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    statuses = {status for status, _ in answers}
    assert statuses <= {200, 503}, statuses
    assert 503 in statuses  # the outage was felt
    after = answers[-16:]
    assert all(status == 200 for status, _ in after)  # and recovered from
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT request_id FROM audit_events WHERE route = :route AND status = 200"
                ),
                {"route": "/v1/holders/{holder_id}/score"},
            ).scalars()
            audited = set(rows)
    finally:
        engine.dispose()
    answered = [request_id for status, request_id in answers if status == 200]
    assert len(answered) > 100
    missing = [request_id for request_id in answered if request_id not in audited]
    assert not missing, f"{len(missing)} of {len(answered)} answers without an audit row"
