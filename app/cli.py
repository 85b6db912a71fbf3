"""The `jifen` console script."""

import argparse
import json
import sys
from pathlib import Path

from app.core.config import Settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.db.migrations import upgrade

    upgrade(settings.database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
    )
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

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json", help="a file, or -")
    openapi.set_defaults(run=_openapi)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(Settings(), args))


if __name__ == "__main__":
    raise SystemExit(main())
