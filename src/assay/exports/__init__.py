"""Formats other tools read and check on their own: DSSE envelopes of in-toto statements."""
