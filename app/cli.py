"""The `jifen` console script."""

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from app.core.config import Settings


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


def _clients_create(settings: Settings, args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from app.clients.service import create_client
    from app.core.errors import ApiError
    from app.db.session import make_engine

    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        try:
            client, key = create_client(session, args.name, args.scope, args.jurisdiction or [])
        except ApiError as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 2
    print(f"client {client.name}: scopes {client.scopes}; jurisdictions {client.jurisdictions}")
    print("The key is shown once; store it now:")
    print(key)
    return 0


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
    from app.policies.schema import PolicyError, load_policy_yaml
    from app.scoring.engine import run_policy_case

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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="jifen", description="Residence-permit points service")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to head")
    migrate.add_argument("--revision", help="target revision (head, base, a revision id, -1)")
    migrate.add_argument("--down", action="store_true", help="downgrade to --revision")
    migrate.set_defaults(run=_migrate)

    clients = commands.add_parser("clients", help="API clients").add_subparsers(
        dest="clients_command", required=True
    )
    create = clients.add_parser("create", help="create a client; prints its key once, last")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", nargs="+", required=True)
    create.add_argument("--jurisdiction", nargs="+", help="6-digit codes, or 'all'")
    create.set_defaults(run=_clients_create)

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
