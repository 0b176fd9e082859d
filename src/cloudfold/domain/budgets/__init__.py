"""Budgets (issue 11): rules over a scope and period, their status against `cost_records`, and
enforcement with its safety valves (`enforce.py`); lockdowns (`lockdown.py`)."""

from cloudfold.domain.budgets import (  # noqa: F401  (registers job, quota, policy)
    enforce,
    lockdown,
    ownership,
    recovery,
    rules,
    status,
)
