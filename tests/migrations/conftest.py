from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND, fresh_postgres_database, sqlite_folder


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own, for tests that migrate down or start from nothing."""
    if BACKEND == "sqlite":
        with sqlite_folder(tmp_path) as folder:
            yield f"sqlite:///{folder / 'scratch.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url
