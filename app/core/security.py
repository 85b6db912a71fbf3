"""API keys and scopes (SPEC §7)."""

import hashlib
import hmac
import secrets
from enum import StrEnum


class Scope(StrEnum):
    holders_read = "holders:read"
    holders_write = "holders:write"
    scores_read = "scores:read"
    policies_write = "policies:write"
    policies_simulate = "policies:simulate"  # the impact of a draft policy
    audit_read = "audit:read"
    id_numbers_read = "id_numbers:read"


KEY_PREFIX = "jf_"


def new_api_key() -> str:
    """32 random bytes, URL-safe: shown once, never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    # SHA-256 suffices for random 256-bit keys; a slow password hash would cost every request.
    return hashlib.sha256(key.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
