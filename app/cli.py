"""The `jifen` console script."""

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from app.core.config import Settings
from app.core.security import Scope


def _prepare_database(settings: Settings, load_policies: bool) -> None:
    """Migrate to head, then publish the policy files not yet published."""
    from sqlmodel import Session

    from app.db.migrations import upgrade
    from app.db.session import make_engine
    from app.policies.service import load_policy_files

    upgrade(settings.database_url)
    if load_policies:
        engine = make_engine(settings)
        with Session(engine) as session:
            for policy_id in load_policy_files(session, settings.policy_dir):
                logging.getLogger("jifen.policies").info(
                    "published policy", extra={"policy_id": policy_id}
                )
        engine.dispose()


def _prepare_metrics_dir(settings: Settings, port: int) -> None:
    """Every worker writes its metric samples into one folder, emptied first so that no stale
    file of an earlier run counts (prometheus_client's multiprocess mode). This must happen
    before anything imports prometheus_client, which is why it is plain file work here."""
    folder = settings.metrics_dir or Path(tempfile.gettempdir()) / f"jifen-metrics-{port}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    port = args.port or settings.port
    _prepare_metrics_dir(settings, port)

    import uvicorn

    from app.core.logging import configure_logging, logging_config
    from app.policies.service import PolicyLoadError

    configure_logging(settings.log_level)
    try:
        _prepare_database(settings, settings.load_policies)
    except PolicyLoadError as exc:
        print(f"error: policy not loaded: {exc}", file=sys.stderr)
        return 1
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=port,
        workers=args.workers or settings.workers,
        log_config=logging_config(settings.log_level),
        access_log=False,  # jifen logs each request itself, as JSON with its request id
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    if config.workers > 1:
        from app.serving import Supervisor

        Supervisor(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from app.db.migrations import downgrade, upgrade

    if (args.revision and (args.revision == "base" or args.revision.startswith("-"))) or args.down:
        downgrade(settings.database_url, args.revision)
    else:
        upgrade(settings.database_url, args.revision or "head")
    return 0


def _clients(settings: Settings, args: argparse.Namespace) -> int:
    """create, list, rotate, revoke: each change audited; keys shown once, never listed."""
    from datetime import timedelta

    from sqlmodel import Session

    from app.clients import service
    from app.core.errors import ApiError
    from app.db.base import utcnow
    from app.db.session import make_engine
    from app.policies.catalogue import builtin_catalogue
    from app.policies.service import PolicyCache

    engine = make_engine(settings)
    now = utcnow()
    try:
        with Session(engine, expire_on_commit=False) as session:
            if args.clients_command == "list":
                _print_clients(service.list_clients(session), now)
                return 0
            if args.clients_command == "revoke":
                client = service.revoke_client(session, args.name, now)
                print(f"client {client.name}: revoked; its keys are refused from now on")
                return 0
            if args.clients_command == "rotate":
                grace = timedelta(hours=args.grace_hours)
                client, key = service.rotate_client(session, args.name, now, grace)
                print(f"client {client.name}: new key; the previous one is refused after"
                      f" {client.previous_key_expires_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
            else:
                book = PolicyCache().get(session)
                catalogue = book.catalogue(settings.today()) if book.by_id else builtin_catalogue()
                expires = now + timedelta(days=args.expires_days) if args.expires_days else None
                client, key = service.create_client(
                    session, args.name, args.scope or [], args.jurisdiction or [],
                    known_jurisdictions=catalogue.jurisdictions, expires_at=expires,
                )  # fmt: skip
                print(f"client {client.name}: scopes {client.scopes};"
                      f" jurisdictions {client.jurisdictions}")  # fmt: skip
    except ApiError as exc:
        reasons = [f"{e.field}: {e.message}" for e in exc.errors or []] or [str(exc.detail)]
        print("error: " + "; ".join(reasons), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("The key is shown once; store it now:")
    print(key)
    return 0


def _print_clients(clients: list[Any], now: Any) -> None:
    def when(moment: Any) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"

    print("name\tstate\tscopes\tjurisdictions\tcreated\tlast used\texpires")
    for c in clients:
        print("\t".join([c.name, c.state(now), c.scopes, c.jurisdictions, when(c.created_at),
                         when(c.last_used_at), when(c.expires_at)]))  # fmt: skip


def _holders_check_ids(settings: Settings, args: argparse.Namespace) -> int:
    """List the holders whose stored ID number fails the GB 11643 check, by id only."""
    from sqlmodel import Session

    from app.db.session import make_engine
    from app.register.service import holders_with_invalid_id_numbers

    engine = make_engine(settings)
    with Session(engine) as session:
        invalid = holders_with_invalid_id_numbers(session, settings.today())
    engine.dispose()
    for jurisdiction, holder_id in invalid:
        print(f"{jurisdiction} {holder_id}")
    print(f"{len(invalid)} holder(s) with an ID number that fails the check")
    return 1 if invalid else 0


def _policies_check(settings: Settings, args: argparse.Namespace) -> int:
    """Run each file's own test cases; print pass/fail per case."""
    from app.engine import run_policy_case
    from app.policies.document import PolicyError, load_policy_yaml

    paths = [Path(p) for p in args.files] or sorted(settings.policy_dir.glob("*.yaml"))
    failed = 0
    for path in paths:
        try:
            policy = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
        except PolicyError as exc:
            print(f"INVALID {exc.source}: {len(exc.problems)} problem(s)")
            for field, reason in exc.problems:
                print(f"     {field}: {reason}" if field else f"     {reason}")
            failed += 1
            continue
        for case in policy.tests:
            problems = run_policy_case(policy, case)
            print(f"{'FAIL' if problems else 'pass'} {policy.id}: {case.name}")
            for problem in problems:
                print(f"     {problem}")
            failed += bool(problems)
    print(f"{failed} file(s) invalid or case(s) failed" if failed else "all cases pass")
    return 1 if failed else 0


class ProgressBar:
    """`progress(done, total)` of a long run, on `stream`. On a terminal, one line redrawn in
    place with a carriage return; elsewhere (a pipe, a log file) a plain line at each tenth
    only, so that a log shows the run goes on without filling up. Plain text: no dependency
    draws a bar any better for one line."""

    WIDTH = 30  # characters of the bar itself

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.tty = stream.isatty()
        self.started = clock()
        self.tenths = 0  # tenths already written (not a terminal)
        self.drawn = 0  # length of the line on the terminal (0: none yet)

    def __call__(self, done: int, total: int) -> None:
        # More holders than counted when the register grew in between: still 100 %.
        share = min(done / total, 1.0) if total else 1.0
        counts = f"{done:,} / {total:,} holders"
        if not self.tty:
            if int(share * 10) > self.tenths:
                self.tenths = int(share * 10)
                self.stream.write(f"impact: {counts} ({share:.0%})\n")
                self.stream.flush()
            return
        filled = round(share * self.WIDTH)
        elapsed = self.clock() - self.started
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  {counts}"
        line += f"  {_minutes(elapsed)}"
        if 0 < share < 1:
            line += f", about {_minutes(elapsed / share - elapsed)} left"
        # Spaces over whatever a longer line before left on the screen.
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        """Ends the bar's line, so that what is printed next starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = 0


def _minutes(seconds: float) -> str:
    """0:07, 12:34, or 1:02:03."""
    minutes, whole_seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}:{minutes:02d}:{whole_seconds:02d}" if hours else f"{minutes}:{whole_seconds:02d}"
    )


def _policies_impact(settings: Settings, args: argparse.Namespace) -> int:
    """Score every holder of the draft's jurisdiction under the policy in force and under the
    draft; print the level transitions of each domain and write the whole result as JSON."""
    from sqlmodel import Session

    from app.core.errors import ApiError
    from app.db.session import make_engine
    from app.impact.service import impact_of_draft
    from app.policies.document import PolicyError, load_policy_yaml
    from app.policies.service import PolicyCache

    path = Path(args.draft)
    try:
        draft = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    as_of = date.fromisoformat(args.as_of) if args.as_of else settings.today()
    engine = make_engine(settings)
    bar = ProgressBar(sys.stderr)
    try:
        with Session(engine) as session:
            impact = impact_of_draft(session, PolicyCache().get(session), draft, as_of, bar)
    except ApiError as exc:
        bar.close()
        for error in exc.errors or []:
            print(f"error: {error.field}: {error.message}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()  # also when interrupted: the shell's prompt on a line of its own
        engine.dispose()
    result = impact.as_json()
    print(f"{result['holders']} holders with a valid permit on {as_of}: {result['policy']} -> "
          f"the draft {draft.id}")  # fmt: skip
    for name, domain in result["domains"].items():
        cells = ", ".join(f"{cell}: {n}" for cell, n in domain["transitions"].items())
        print(f"  {name}: {cells}")
    if args.json:
        text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        Path(args.json).write_text(text, encoding="utf-8")
    if args.html:
        from app.impact.report import render_html
        from app.impact.runs import draft_digest

        # The digest of the document, as the API's runs name their draft: the same draft as
        # YAML or JSON, reformatted or not, has one digest.
        digest = f"sha256:{draft_digest(draft)}"
        page = render_html(result, draft.id, digest=digest, draft=draft)
        Path(args.html).write_text(page, encoding="utf-8")
    return 0


def _policies_load(settings: Settings, args: argparse.Namespace) -> int:
    from app.core.logging import configure_logging
    from app.policies.service import PolicyLoadError

    configure_logging(settings.log_level)
    try:
        _prepare_database(settings, load_policies=True)
    except PolicyLoadError as exc:
        print(f"error: policy not loaded: {exc}", file=sys.stderr)
        return 1
    return 0


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    from app.main import create_app

    document = create_app(settings).openapi()
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _settings_help() -> str:
    lines = ["settings (environment variables):"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default is not None else "-"
        lines.append(f"  JIFEN_{name.upper():<26} {field.description or ''} (default: {default})")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="jifen", description="Residence-permit points service")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="migrate, load the policy files, then run the HTTP service",
        description="Migrate the database to head, publish the policy files not yet published,"
        " then serve the API. Options override the settings of the same name.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to listen on (JIFEN_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (JIFEN_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (JIFEN_WORKERS, default 1)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to head")
    migrate.add_argument("--revision", help="target revision (head, base, a revision id, -1)")
    migrate.add_argument("--down", action="store_true", help="downgrade to --revision")
    migrate.set_defaults(run=_migrate)

    clients = commands.add_parser("clients", help="API clients").add_subparsers(
        dest="clients_command", required=True
    )
    scopes = ", ".join(s.value for s in Scope)
    create = clients.add_parser("create", help="create a client; prints its key once, last")
    create.add_argument("--name", required=True, help="a unique name, shown in the audit trail")
    create.add_argument(
        "--scope", nargs="+", action="extend", required=True,
        help=f"one or more of: {scopes} (repeat the option or list several)",
    )  # fmt: skip
    create.add_argument(
        "--jurisdiction", nargs="+", action="extend", required=True,
        help="6-digit codes of known jurisdictions, or 'all' (repeat or list several)",
    )  # fmt: skip
    create.add_argument(
        "--expires-days", type=int, help="the key is refused after this many days (default: never)"
    )
    create.set_defaults(run=_clients)
    listing = clients.add_parser(
        "list", help="every client: name, state, scopes, jurisdictions, created, last used, expiry"
    )
    listing.set_defaults(run=_clients)
    rotate = clients.add_parser(
        "rotate", help="a new key, printed once; the old one works for a grace period, then not"
    )
    rotate.add_argument("name")
    rotate.add_argument(
        "--grace-hours", type=float, default=24,
        help="how long the previous key stays valid (default 24)",
    )  # fmt: skip
    rotate.set_defaults(run=_clients)
    revoke = clients.add_parser("revoke", help="refuse the client's keys from the next request")
    revoke.add_argument("name")
    revoke.set_defaults(run=_clients)

    holders = commands.add_parser("holders", help="the register").add_subparsers(
        dest="holders_command", required=True
    )
    check_ids = holders.add_parser(
        "check-ids",
        help="list holders whose stored ID number fails the GB 11643 check (ids, never numbers);"
        " exit status 1 when there are any",
    )
    check_ids.set_defaults(run=_holders_check_ids)

    policies = commands.add_parser("policies", help="policy documents").add_subparsers(
        dest="policies_command", required=True
    )
    check = policies.add_parser("check", help="run the test cases of policy files")
    check.add_argument("files", nargs="*", help="YAML files (default: JIFEN_POLICY_DIR)")
    check.set_defaults(run=_policies_check)
    impact = policies.add_parser(
        "impact",
        help="the impact of a draft policy on the jurisdiction's holders: level transitions by "
        "domain, gainers and losers by district, points before and after",
    )
    impact.add_argument("draft", help="the draft's YAML file (not published)")
    impact.add_argument("--as-of", help="the date compared (default: today)")
    impact.add_argument("--json", help="write the whole result to this file")
    impact.add_argument("--html", help="write a report with charts (one HTML file) to this file")
    impact.set_defaults(run=_policies_impact)
    load = policies.add_parser("load", help="migrate, then publish the files of JIFEN_POLICY_DIR")
    load.set_defaults(run=_policies_load)

    from app.bench.cli import add_bench_commands

    add_bench_commands(commands, Settings)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json", help="a file, or -")
    openapi.set_defaults(run=_openapi)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(Settings(), args))


if __name__ == "__main__":
    raise SystemExit(main())
