"""Sessions in a real database: SQLAlchemy tables, Alembic migrations, and the repository over them."""
