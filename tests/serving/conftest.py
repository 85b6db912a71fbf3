"""A real `jifen serve` (uvicorn, worker processes) on a free port, for tests about serving."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import cli
from app.core.config import Settings
from app.policies.service import publish
from tests.conftest import parsed_policies


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    metrics_dir: Path
    env: dict[str, str]
    log_file: Path

    def key(self, *scopes: str, jurisdiction: str = "all") -> dict[str, str]:
        """A new client's key from `jifen clients create` with the server's settings, run in
        this process: a second interpreter would cost as long again as the request itself."""
        name = f"served-{time.monotonic_ns()}"
        output, errors = io.StringIO(), io.StringIO()
        with environment(self.env), redirect_stdout(output), redirect_stderr(errors):
            status = cli.main(
                ["clients", "create", "--name", name,
                 "--scope", *(scopes or ("holders:read", "holders:write", "scores:read", "audit:read")),
                 "--jurisdiction", jurisdiction]
            )  # fmt: skip
        assert status == 0, errors.getvalue()
        return {"Authorization": f"Bearer {output.getvalue().strip().splitlines()[-1]}"}

    def stop(self) -> str:
        """SIGTERM, wait, and return everything the server wrote."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.output()

    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8")

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.output().splitlines() if line.startswith("{")]


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """os.environ as `env` for the duration (Settings reads it), then as it was."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, folder: Path, workers: int, settings: dict[str, str]) -> Server:
    """`jifen serve` with `workers` worker processes on the run's database, once ready."""
    port = free_port()
    env = {
        **os.environ,
        "JIFEN_DATABASE_URL": database_url,
        "JIFEN_PORT": str(port),
        "JIFEN_METRICS_DIR": str(folder / f"metrics-{port}"),
        "JIFEN_LOG_LEVEL": "info",
        **settings,
    }
    log_file = folder / f"server-{port}.log"
    with log_file.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers)],
            stdout=output, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, folder / f"metrics-{port}", env, log_file)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("jifen serve exited: " + server.output())
            try:
                if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail("jifen serve did not become ready: " + server.stop())
    except BaseException:  # never leave a server running that no test will stop
        server.stop()
        raise


@pytest.fixture(scope="session")
def shared_servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Any, Server]]:
    """Servers that tests marked `shared_server` reuse, one per worker count and settings,
    started at the first such test and stopped at the end of the run."""
    servers: dict[Any, Server] = {}
    yield servers
    for server in servers.values():
        server.stop()


def as_started(engine: sa.Engine) -> None:
    """The register as `jifen serve` leaves it when it starts on an empty one: the shipped
    policy files published (the previous test's clean-up removed them)."""
    with Session(engine) as session:
        for policy in parsed_policies(sorted(Settings().policy_dir.glob("*.yaml"))):
            publish(session, policy)


@pytest.fixture
def serve(
    request: pytest.FixtureRequest,
    database_url: str,
    tmp_path: Path,
    engine: sa.Engine,
    shared_servers: dict[Any, Server],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """Start `jifen serve` with the given worker count on the run's database.

    A test marked `shared_server` (it neither stops the server nor reads its logs or
    metrics) gets a running server of the same worker count and settings when there is one,
    with the register as a fresh start leaves it; starting one costs seconds."""
    shared = request.node.get_closest_marker("shared_server") is not None
    started: list[Server] = []

    def start(workers: int = 2, **settings: str) -> Server:
        if not shared:
            server = start_server(database_url, tmp_path, workers, settings)
            started.append(server)
            return server
        key = (workers, tuple(sorted(settings.items())))
        running = shared_servers.get(key)
        if running is not None and running.process.poll() is None:
            as_started(engine)
            return running
        folder = tmp_path_factory.mktemp("shared-server")
        shared_servers[key] = start_server(database_url, folder, workers, settings)
        return shared_servers[key]

    yield start
    for server in started:
        server.stop()
