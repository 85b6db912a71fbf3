"""SPEC §6: points, levels and projections computed from records and a policy."""
