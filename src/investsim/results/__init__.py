"""Results as tidy tables: the replications and project frames, the yearly summary,
the column registry and writing results folders atomically."""
