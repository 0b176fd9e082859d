"""Metric history (issue 10): sampling (`sampler`), storage and rollups (`store`), the
series a query reads (`series`), and the views seed 000 and seed 004 show (`views`)."""
