"""`jifen bench populate`: migrate, publish the policy files, then write a synthetic population.

Districts and adjustment codes come from every published version of the jurisdiction's policy
(so that each record passes the entry checks of SPEC §4); while no policy is published at all,
from the built-in table (districts only, and so no adjustments).
"""

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from app.core.config import Settings


class UnknownJurisdiction(Exception):
    """No published policy (nor, while none is published, built-in entry) for the code."""


def population_catalogue(book: Any, jurisdiction: str) -> tuple[list[str], list[str]]:
    """The districts and adjustment codes a population of `jurisdiction` may use: those of
    every published version (SPEC §4), or the built-in districts while no policy is loaded."""
    from app.policies.builtin import BUILTIN_JURISDICTIONS

    if book.by_id:
        versions = book.by_jurisdiction.get(jurisdiction)
        if not versions:
            raise UnknownJurisdiction(f"no published policy of jurisdiction {jurisdiction}")
        districts = sorted({code for policy in versions for code in policy.district_codes})
        codes = list(dict.fromkeys(a.code for policy in versions for a in policy.adjustments))
        return districts, codes
    if jurisdiction not in BUILTIN_JURISDICTIONS:
        raise UnknownJurisdiction(f"jurisdiction {jurisdiction} is not in the built-in table")
    return sorted(BUILTIN_JURISDICTIONS[jurisdiction][2]), []


def populate_database(
    settings: Settings,
    *,
    holders: int,
    seed: int,
    jurisdiction: str,
    residence_per_holder: tuple[int, int] = (1, 6),
    insurance_per_holder: tuple[int, int] = (1, 12),
) -> dict[str, int]:
    """Migrate to head, publish the policy files (unless JIFEN_LOAD_POLICIES is false), then
    populate; the rows written to each table."""
    from sqlmodel import Session

    from app.bench.populate import populate
    from app.db.migrations import upgrade
    from app.db.session import make_engine
    from app.policies.service import PolicyCache, load_policy_files

    upgrade(settings.database_url)
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            if settings.load_policies:
                load_policy_files(session, settings.policy_dir)
            book = PolicyCache().get(session)
        districts, codes = population_catalogue(book, jurisdiction)
        return populate(
            engine,
            holders=holders,
            seed=seed,
            jurisdiction=jurisdiction,
            districts=districts,
            adjustment_codes=codes,
            residence_per_holder=residence_per_holder,
            insurance_per_holder=insurance_per_holder,
        )
    finally:
        engine.dispose()


def _per_holder(text: str) -> tuple[int, int]:
    """`3` or `1-6`: how many records of a kind each holder gets."""
    low, _, high = text.partition("-")
    try:
        bounds = int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or LOW-HIGH, not {text!r}") from None
    if not 1 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"expected 1 <= LOW <= HIGH, not {text!r}")
    return bounds


def _populate(settings: Settings, args: argparse.Namespace) -> int:
    from app.policies.service import PolicyLoadError

    started = time.perf_counter()
    try:
        counts = populate_database(
            settings,
            holders=args.holders,
            seed=args.seed,
            jurisdiction=args.jurisdiction,
            residence_per_holder=args.residence,
            insurance_per_holder=args.insurance,
        )
    except (PolicyLoadError, UnknownJurisdiction, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    for table, count in counts.items():
        print(f"{table}: {count}")
    print(f"{rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    return 0


def add_bench_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    settings_factory: Callable[..., Settings],
) -> None:
    """Add `bench populate` to the `jifen` parser. `settings_factory(**overrides)` builds the
    settings when `--database-url` overrides JIFEN_DATABASE_URL."""
    bench = subparsers.add_parser(
        "bench", help="benchmark support (the benchmarks are in bench/, see its README)"
    ).add_subparsers(dest="bench_command", required=True)
    populate = bench.add_parser(
        "populate",
        help="write a deterministic synthetic population of holders and records",
        description="Migrate, publish the policy files, then write N holders of a jurisdiction "
        "with their records, the same rows for the same seed. PostgreSQL loads by COPY.",
    )
    populate.add_argument("--holders", type=int, required=True, help="how many holders")
    populate.add_argument("--seed", type=int, default=1, help="the same seed, the same rows")
    populate.add_argument("--jurisdiction", required=True, help="6-digit code, e.g. 441700")
    populate.add_argument("--database-url", help="default: JIFEN_DATABASE_URL")
    populate.add_argument(
        "--residence", type=_per_holder, default=(1, 6), metavar="LOW-HIGH",
        help="residence periods per holder (default 1-6)",
    )  # fmt: skip
    populate.add_argument(
        "--insurance", type=_per_holder, default=(1, 12), metavar="LOW-HIGH",
        help="insurance periods per holder (default 1-12)",
    )  # fmt: skip

    def run(settings: Settings, args: argparse.Namespace) -> int:
        if args.database_url:
            settings = settings_factory(database_url=args.database_url)
        return _populate(settings, args)

    populate.set_defaults(run=run)
