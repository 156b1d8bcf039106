"""Alembic environment: runs inside the connection and transaction that assay opened.

assay never lets Alembic open its own connection: :mod:`assay.store.migrate` passes one in
``config.attributes["connection"]`` after taking the migration lock.
"""

from alembic import context

from assay.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
