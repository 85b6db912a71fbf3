"""Shared helpers of the benchmarks: fresh databases, the service as a subprocess, API keys,
memory of the server's processes, statistics and tables. See bench/README.md."""

import contextlib
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
# The `jifen` console script of the interpreter running the benchmark (the project's venv).
JIFEN = str(Path(sys.executable).with_name("jifen"))
# Where benchmark databases are created (and dropped): any database of the server will do.
POSTGRES_ADMIN_URL = os.environ.get(
    "JIFEN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
JURISDICTION = "441700"


# --- databases ---------------------------------------------------------------------------------


def sqlalchemy_url(libpq_url: str) -> str:
    return libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def fresh_postgres_database(purpose: str, keep: bool = False) -> Iterator[str]:
    """A new database `jifen_bench_<purpose>_<random>`, dropped afterwards (unless `keep`);
    yields its SQLAlchemy URL."""
    name = f"jifen_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield sqlalchemy_url(f"{base}/{name}")
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_sqlite_database(purpose: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=f"jifen_bench_{purpose}_") as directory:
        yield f"sqlite:///{directory}/jifen.db"


def populate(database_url: str, **kwargs: Any) -> tuple[dict[str, int], float]:
    """Migrate, publish the shipped policies and write a synthetic population (the code of
    `jifen bench populate`); the rows written and the seconds it took."""
    from app.bench.cli import populate_database
    from app.core.config import Settings

    started = time.perf_counter()
    counts = populate_database(Settings(database_url=database_url), **kwargs)
    return counts, time.perf_counter() - started


def scored_population(database_url: str, holders: int) -> tuple[str, list[str]]:
    """A PostgreSQL database with `holders` holders of ~10 residence and ~20 insurance periods
    (benchmark 1's shape), and a key to read them and their scores: the key and the holders'
    ids."""
    populate(
        database_url, holders=holders, seed=1, jurisdiction=JURISDICTION,
        residence_per_holder=(9, 11), insurance_per_holder=(18, 22),
    )  # fmt: skip
    key = create_api_key(database_url, ["holders:read", "scores:read"], [JURISDICTION])
    with psycopg.connect(libpq_url(database_url)) as connection:
        ids = [str(row[0]) for row in connection.execute("SELECT id FROM holders")]
    return key, ids


# --- the service -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIFEN_")}
    env["JIFEN_DATABASE_URL"] = database_url
    env["JIFEN_LOG_LEVEL"] = "warning"  # no access log: measure the service, not its logging
    env.update({f"JIFEN_{k.upper()}": v for k, v in settings.items()})
    return env


def create_api_key(database_url: str, scopes: Sequence[str], jurisdictions: Sequence[str]) -> str:
    """`jifen clients create ... | tail -1`: a new client's key."""
    done = subprocess.run(
        [JIFEN, "clients", "create", "--name", f"bench-{uuid.uuid4().hex[:8]}",
         "--scope", *scopes, "--jurisdiction", *jurisdictions],
        env=service_env(database_url), capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    """`jifen serve` in its own process group, on a free port."""

    database_url: str
    workers: int = 2
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.log = tempfile.NamedTemporaryFile(prefix="jifen_bench_serve_", suffix=".log")
        self.process = subprocess.Popen(
            [JIFEN, "serve", "--workers", str(self.workers), "--port", str(self.port)],
            env=service_env(self.database_url, **self.settings),
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jifen serve exited:\n{self.log_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"jifen serve not ready after 300 s:\n{self.log_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this object started
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.log is not None:
            self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def pids(self) -> list[int]:
        """The server's process tree: the supervisor and its workers."""
        assert self.process is not None
        return process_tree(self.process.pid)


# --- memory ------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in KiB."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def command_line(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    return text.strip()[:60]


class MemorySampler:
    """Samples the summed RSS of a process tree every `interval` seconds while running; with
    each process's VmHWM at the end, a peak per process and for the whole service."""

    def __init__(self, pids: Sequence[int], interval: float = 0.05) -> None:
        self.pids, self.interval = list(pids), interval
        self.peak_total_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(memory_kib(pid).get("VmRSS", 0) for pid in self.pids)
            self.peak_total_kib = max(self.peak_total_kib, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def peaks(self) -> dict[int, int]:
        """VmHWM per process, KiB: each one's peak since it started."""
        return {pid: memory_kib(pid).get("VmHWM", 0) for pid in self.pids}


def memory_report(sampler: MemorySampler) -> list[str]:
    peaks = sampler.peaks()
    lines = [
        f"  pid {pid:>7} VmHWM {kib / 1024:8.1f} MiB  {command_line(pid)}"
        for pid, kib in peaks.items()
    ]
    lines.append(
        f"  sum of VmHWM {sum(peaks.values()) / 1024:.1f} MiB; peak of summed VmRSS "
        f"(sampled every {sampler.interval * 1000:.0f} ms) {sampler.peak_total_kib / 1024:.1f} MiB"
    )
    return lines


# --- statistics and output ---------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return float(ordered[int(rank) - 1])


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def load_average() -> str:
    """The 1-minute load average and what, besides the benchmark, was running: other work on
    the machine skews every figure."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def machine() -> str:
    """Cores, memory, CPU and PostgreSQL version, for the README's figures."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    model = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line for line in cpuinfo if line.startswith("model name")).split(":")[1]
    postgres = "?"
    with contextlib.suppress(psycopg.Error), psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        row = connection.execute("SHOW server_version").fetchone()
        postgres = row[0] if row else "?"
    return (
        f"{os.cpu_count()} cores ({model.strip()}), {total_kib / 1024 / 1024:.1f} GiB memory, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}"
    )
