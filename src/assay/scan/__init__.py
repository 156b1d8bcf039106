"""Evidence of MLOps practice read from a repository and an MLflow server: probes, findings,
the frameworks they pre-fill and the capability map. Pure domain code: the files and the
server are handed in through :mod:`assay.scan.tree` and :mod:`assay.scan.mlflow_view`."""
