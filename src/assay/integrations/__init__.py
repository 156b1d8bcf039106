"""Adapters to the systems assay works beside: entry-point plugins, and (as they arrive) MLflow,
GitHub, GitLab, OTLP and Alertmanager."""
