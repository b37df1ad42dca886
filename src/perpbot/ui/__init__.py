"""Console presentation: rich tables and progress for the command line."""
