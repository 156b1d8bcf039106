"""Maturity metrics from events: the canonical event model, DORA's five keys, the ML life
cycle, and their tiers. Pure functions over events; no I/O."""
