"""Storage: SQLAlchemy models and the queries the workflow needs."""
