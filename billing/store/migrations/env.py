"""Alembic environment: runs on the connection handed over by billing.store.engine.migrate."""

from alembic import context
from sqlalchemy import create_engine

from billing.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # `alembic` run from the command line, e.g. for --autogenerate
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
