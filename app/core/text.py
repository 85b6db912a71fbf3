"""Text the database can hold. PostgreSQL's text cannot contain NUL, and UTF-8 cannot encode
an unpaired surrogate (JSON's "\\ud800"): a request carrying either would fail in the database
(a 500) on PostgreSQL and be stored on SQLite. Every text a request brings in passes here and
is refused with a 422 naming its field: JSON bodies (`json_problems`), policy documents and
NDJSON lines (`unstorable_fields`), free-text query parameters (`storable`)."""

import json
import re
from typing import Any

from app.core.errors import FieldError
from app.core.i18n import tr

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = tr(
    "Contains a character that cannot be stored (NUL, or half of a surrogate pair).",
    "含有无法保存的字符（NUL 或不成对的代理项）。",
)
# A JSON escape that may decode to such a character: only then is a body looked at again.
_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def storable(value: str) -> str:
    """A pydantic validator for free text (query parameters)."""
    if UNSTORABLE.search(value):
        raise ValueError(MESSAGE)
    return value


def unstorable_fields(data: Any, path: str = "") -> list[str]:
    """The dotted paths (`a.b[2].c`) of every text in `data`, keys included, that cannot be
    stored."""
    if isinstance(data, str):
        return [path] if UNSTORABLE.search(data) else []
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and UNSTORABLE.search(key):
                found.append(where)
            found += unstorable_fields(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += unstorable_fields(value, f"{path}[{i}]")
    return found


def json_problems(raw: bytes, prefix: str = "") -> list[FieldError]:
    """The field errors of a JSON text's unstorable strings; cheap when it has none (the bytes
    are searched for an escape that could make one before anything is parsed again)."""
    if not _ESCAPE.search(raw):
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or too deep: the caller's parser says so
        return []
    return [
        FieldError(field=f"{prefix}{field}" if field else prefix.rstrip(".") or "body",
                   message=MESSAGE)
        for field in unstorable_fields(data)
    ]  # fmt: skip
