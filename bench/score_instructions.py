"""Instructions a request costs one worker: `GET /v1/holders/{id}/score` and `GET /healthz`
counted by valgrind's callgrind in a one-worker `jifen serve` (issue 18).

Wall and CPU times scatter by 20 % or more from run to run on a shared, virtualised machine;
an instruction count does not (the same figure to 0.1 % twice), so this is how two versions
of the code are compared. It counts the worker's own instructions only: not the kernel's, not
PostgreSQL's, and requests come one at a time (a group of one read, one audit row), so it
says what the code costs, not how it behaves under load; `bench/score_throughput.py` says that.

A fresh PostgreSQL database holds --holders synthetic holders; the server runs under
callgrind (about 50 times slower), takes --warmup scores, then the counters are zeroed,
--requests scores are sent one after another, and the count is read; the same for healthz.

    .venv/bin/python bench/score_instructions.py       # needs valgrind (apt-get install valgrind)
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
import httpx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="counted requests of each")
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        print("needs valgrind: apt-get install valgrind", file=sys.stderr)
        return 1
    print(f"machine: {common.machine()}; {common.load_average()}")
    with (
        common.fresh_postgres_database("instructions") as url,
        tempfile.TemporaryDirectory() as out,
    ):
        key, ids = common.scored_population(url, args.holders)
        port = common.free_port()
        # A fixed hash seed: dicts and sets lay out alike from run to run.
        env = {**common.service_env(url), "PYTHONHASHSEED": "0"}
        server = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out",
             sys.executable, str(common.JIFEN), "serve", "--workers", "1", "--port", str(port)],
            env=env, cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                ready(client)
                scores = [f"/v1/holders/{i}/score" for i in ids]
                send(client, scores, args.warmup)
                counted = {
                    "GET /v1/holders/{id}/score": count(client, server.pid, out, scores, args),
                    "GET /healthz": count(client, server.pid, out, ["/healthz"], args),
                }
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    print(f"\none worker under callgrind, {args.requests} requests each, one at a time")
    rows = [[name, f"{n:,}"] for name, n in counted.items()]
    print(common.table(["request", "instructions a request"], rows))
    score, healthz = counted.values()
    print(f"a score costs {score / healthz:.2f} healthz requests of the worker's instructions")
    print(f"at the end: {common.load_average()}")
    return 0


def ready(client: httpx.Client) -> None:
    deadline = time.monotonic() + 600  # start-up under callgrind takes a minute or more
    while time.monotonic() < deadline:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("jifen serve under callgrind not ready after 600 s")


def send(client: httpx.Client, paths: list[str], requests: int) -> None:
    for i in range(requests):
        response = client.get(paths[i % len(paths)])
        if response.status_code != 200:
            raise RuntimeError(f"{paths[i % len(paths)]} answered {response.status_code}")


def count(
    client: httpx.Client, pid: int, out: str, paths: list[str], args: argparse.Namespace
) -> int:
    """The worker's instructions a request over `args.requests` requests."""
    subprocess.run(["callgrind_control", "--zero", str(pid)], check=True, capture_output=True)
    send(client, paths, args.requests)
    before = set(Path(out).glob("callgrind.out.*"))
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for dump in set(Path(out).glob("callgrind.out.*")) - before:
            for line in dump.read_text().splitlines():
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1]) // args.requests
        time.sleep(0.5)  # still being written
    raise RuntimeError("callgrind wrote no count")


if __name__ == "__main__":
    sys.exit(main())
