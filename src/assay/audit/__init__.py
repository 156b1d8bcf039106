"""Continuous audit-based certification (CABC): specifications, data types, comparisons,
evaluation, conformity status and certificates. Pure domain code: no I/O."""
