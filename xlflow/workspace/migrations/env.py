"""Alembic environment: migrations run on the connection the workspace hands over
(``config.attributes["connection"]``), never on a URL read from a file."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
