"""The Audit API server (FastAPI): public conformity status and badges so far."""
