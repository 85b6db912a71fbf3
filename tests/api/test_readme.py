"""The README lists every setting, with its default."""

import re
from pathlib import Path

from app.core.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `JIFEN_([A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_serve_help_documents_every_option_and_setting() -> None:
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--host", "--port", "--workers"):
        assert option in shown
    for name, field in Settings.model_fields.items():
        assert f"JIFEN_{name.upper()}" in shown, name
        assert field.description, f"JIFEN_{name.upper()} has no description"
