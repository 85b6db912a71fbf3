"""Per-client rate limits (SPEC §7)."""
