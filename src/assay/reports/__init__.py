"""Renderers of assay's results for people and machines."""
