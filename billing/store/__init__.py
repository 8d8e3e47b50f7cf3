"""Storage: SQLAlchemy tables, the engine, migrations and repositories.

The only layer that holds a database session. Imports domain (and config for the URL);
nothing above it. Amounts are stored as whole fen (BIGINT), quantities and readings as their
exact decimal text, so that neither SQLite nor PostgreSQL ever turns them into floats.
"""
