"""Background work: named jobs, a queue that runs them, and periodic schedules.

A job is a plain function ``fn(ctx: JobContext, payload: dict) -> result`` registered by
name. It receives only its JSON payload and a context that opens its own database
sessions, so the same job runs unchanged in-process or on a distributed worker.
"""

from cloudfold.jobs.registry import JobContext, job, registered

__all__ = ["JobContext", "job", "registered"]
