"""Cursors and pages of every list (SPEC §7 "Lists").

A cursor is opaque to clients: a letter naming the list's order and the position after which the
next page starts, in URL-safe base64. `s`: insertion sequence (register lists, audit); `k`: a
text key (codes, dates); `r`: a ranking snapshot and a rank. A cursor of another kind, or one
this service did not give, is a 422 naming `cursor`.
"""

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from app.core.errors import invalid
from app.core.i18n import tr


def _encode(kind: str, position: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}{position}".encode()).decode().rstrip("=")


def _decode(kind: str, cursor: str, parse: Callable[[str], Any]) -> Any:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(kind):
            raise ValueError
        return parse(text[len(kind) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(
            "cursor", tr("Not a cursor this service gave.", "不是本服务给出的游标。")
        ) from None


def seq_cursor(seq: int) -> str:
    return _encode("s", str(seq))


SEQ_MAX = 2**63 - 1  # `seq` is a BIGINT: a larger number is no cursor this service gave


def _seq(position: str) -> int:
    seq = int(position)
    if not 0 <= seq <= SEQ_MAX:
        raise ValueError(position)
    return seq


def after_seq(cursor: str | None) -> int:
    """The insertion sequence after which a page starts (0: the first page); stable under
    inserts."""
    return 0 if cursor is None else int(_decode("s", cursor, _seq))


def key_cursor(key: str) -> str:
    return _encode("k", key)


def after_key(cursor: str | None) -> str | None:
    """The key after which a page of a key-ordered list starts (None: the first page)."""
    return None if cursor is None else str(_decode("k", cursor, str))


def ranking_cursor(snapshot_id: uuid.UUID, after_rank: int) -> str:
    return _encode("r", f"{snapshot_id}:{after_rank}")


def after_rank(cursor: str) -> tuple[uuid.UUID, int]:
    """The ranking snapshot a walk reads and the rank after which its next page starts."""

    def parse(position: str) -> tuple[uuid.UUID, int]:
        snapshot_id, rank = position.split(":")
        return uuid.UUID(snapshot_id), int(rank)

    result: tuple[uuid.UUID, int] = _decode("r", cursor, parse)
    return result


class Sequenced(Protocol):
    seq: Any


Row = TypeVar("Row", bound=Sequenced)


def page_of(rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
    """Rows were fetched after a cursor with `limit + 1`: the extra one says whether a next page
    exists."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return items, seq_cursor(items[-1].seq) if more and items else None


def page_by_key(
    items: list[dict[str, Any]], key: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    """A page of a short list held in memory and ordered by `key`, resumed after the key of the
    page's last item."""
    after = after_key(cursor)
    rest = [item for item in items if after is None or item[key] > after]
    page = rest[:limit]
    more = len(rest) > limit
    return {"items": page, "next_cursor": key_cursor(page[-1][key]) if more else None}
