"""assay — ML governance: maturity assessment, continuous audit-based certification, metrics."""

__version__ = "0.1.0"

__all__ = ["__version__"]
