"""Low-level networking helpers that drivers may import without importing the domain."""
