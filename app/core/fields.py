"""Field helpers shared by answers."""

from typing import Any

from pydantic import Field


def _absent(value: Any) -> bool:
    return value is None


def left_out_when_none(description: str | None = None) -> Any:
    """An optional key that SPEC §7 leaves out of an answer when it has no value (rather than
    writing null; keys it keeps as null are plain `X | None` fields)."""
    return Field(None, description=description, exclude_if=_absent)
