"""The arrows of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_layer_contracts_hold() -> None:
    result = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_engine_loads_without_the_web_the_database_or_yaml() -> None:
    """Importing the engine and the domain core pulls in none of what they must not use."""
    code = (
        "import sys, app.engine, app.domain.policy, app.domain.codes\n"
        "heavy = {'fastapi', 'starlette', 'sqlalchemy', 'sqlmodel', 'yaml', 'stdnum'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
