"""The one aggregation (domain/costs/aggregate.py): sums over fixed records, scope and
visibility, and the month-end projection's arithmetic checked by hand, not echoed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from costs_support import cloud_account, machine, principal, record
from helpers_api import db

from cloudfold.domain.costs import aggregate, money

pytestmark = pytest.mark.database

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
M = 1_000_000


@pytest.fixture
def fleet(client, member):
    """Member's AWS account: $10 a day from 1 to 9 March, $4 so far on the 10th; a local
    engine account of theirs with no records."""
    me = principal(member)
    aws = cloud_account(client, "aws", me.user_id)
    local = cloud_account(client, "local", me.user_id)
    for day in range(1, 10):
        record(client, date(2026, 3, day), 10.0, aws)
    record(client, date(2026, 3, 10), 4.0, aws)
    return me, aws, local


def test_spent_sums_the_range_inclusive_in_one_currency(client, fleet):
    me, aws, _ = fleet
    record(client, date(2026, 3, 2), 99.0, aws, currency="EUR")
    record(client, date(2026, 2, 28), 1000.0, aws)
    with db(client) as s:
        got = aggregate.spent(s, me, start=date(2026, 3, 2), end=date(2026, 3, 4))
        eur = aggregate.spent(s, me, start=date(2026, 3, 1), end=date(2026, 3, 31), currency="EUR")
    assert (got.amount_micros, got.records, got.priced, got.currency) == (30 * M, 3, True, "USD")
    assert (eur.amount_micros, eur.records) == (99 * M, 1)


def test_an_unpriced_record_marks_the_sum_unpriced(client, fleet):
    me, aws, _ = fleet
    record(client, date(2026, 3, 3), 0.0, aws, service="Mystery", priced=False)
    with db(client) as s:
        got = aggregate.spent(s, me, start=date(2026, 3, 1), end=date(2026, 3, 31))
        other = aggregate.spent(s, me, start=date(2026, 3, 4), end=date(2026, 3, 31))
    assert got.priced is False and got.amount_micros == 94 * M
    assert other.priced is True


def test_another_members_records_are_not_counted(client, fleet, make_account):
    me, _aws, _ = fleet
    other = principal(make_account())
    theirs = cloud_account(client, "aws", other.user_id)
    record(client, date(2026, 3, 3), 500.0, theirs)
    record(client, date(2026, 3, 3), 7.0, None, provider="manual", source="manual", owner_id=other.user_id)
    with db(client) as s:
        mine = aggregate.spent(s, me, start=date(2026, 3, 1), end=date(2026, 3, 31))
        theirs_seen = aggregate.spent(s, me, start=date(2026, 3, 1), end=date(2026, 3, 31), account_id=theirs)
        everything = aggregate.spent(s, None, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert mine.amount_micros == 94 * M
    assert theirs_seen.amount_micros == 0 and theirs_seen.records == 0
    assert everything.amount_micros == (94 + 500 + 7) * M


def test_grouped_by_provider_and_day(client, fleet):
    me, _aws, local = fleet
    record(client, date(2026, 3, 9), 2.5, local, provider="local", service="compute", source="model")
    with db(client) as s:
        rows = aggregate.grouped(s, me, start=date(2026, 3, 9), end=date(2026, 3, 10), by=["provider", "day"])
    assert [(g.key, g.spend.amount_micros) for g in rows] == [
        (("aws", date(2026, 3, 9)), 10 * M), (("aws", date(2026, 3, 10)), 4 * M),
        (("local", date(2026, 3, 9)), 2_500_000)]


def test_projection_run_rate_plus_uncovered_running_machines(client, fleet):
    me, aws, local = fleet
    machine(client, local, "local", cost_per_hour=0.5)  # no records in the last 7 days: added
    machine(client, aws, "aws", cost_per_hour=1.0)  # its account reported: in the run rate already
    machine(client, local, "local", status="stopped", cost_per_hour=9.0)  # not running
    with db(client) as s:
        got = aggregate.projected_month_end(s, me, month=date(2026, 3, 1), now=NOW)
    # to date 9×10 + 4 = 94; rate (3rd..9th) 70/7 = 10 a day × 21 days left = 210;
    # local machine 0.5 $/h × 516 h (12:00 on the 10th to the end of the 31st) = 258
    assert got.amount_micros == (94 + 210 + 258) * M
    assert got.priced is True and got.records == 10


def test_projection_of_a_running_machine_without_a_price_is_unpriced(client, fleet):
    me = fleet[0]
    quiet_aws = cloud_account(client, "aws", me.user_id)  # no records in the last 7 days
    machine(client, quiet_aws, "aws", cost_per_hour=None)  # a size the catalogue does not know
    with db(client) as s:
        got = aggregate.projected_month_end(s, me, month=date(2026, 3, 1), now=NOW)
    assert got.priced is False and got.amount_micros == (94 + 210) * M


def test_projection_prices_a_modelled_machine_by_its_accounts_cost_model(client, fleet):
    me, _, local = fleet
    machine(client, local, "local", cost_per_hour=None)  # the engine gives no price: the cost model does
    with db(client) as s:
        got = aggregate.projected_month_end(s, me, month=date(2026, 3, 1), now=NOW)
    # no limits: 1 vCPU × 0.01 + 1 GB × 0.002 = 0.012 $/h × 516 h = 6.192
    assert got.priced is True and got.amount_micros == (94 + 210) * M + 6_192_000


def test_projection_of_a_past_month_is_what_it_spent(client, fleet):
    me, _aws, local = fleet
    machine(client, local, "local", cost_per_hour=0.5)
    with db(client) as s:
        got = aggregate.projected_month_end(s, me, month=date(2026, 3, 15), now=datetime(2026, 4, 2, tzinfo=UTC))
    assert got.amount_micros == 94 * M


def test_projection_scoped_to_a_provider(client, fleet):
    me, _, local = fleet
    machine(client, local, "local", cost_per_hour=0.5)
    with db(client) as s:
        got = aggregate.projected_month_end(s, me, month=date(2026, 3, 1), now=NOW, provider="local")
    assert got.amount_micros == 258 * M


def test_amounts_in_messages_show_cents_or_every_digit_below_a_cent():
    assert [money.shown(m) for m in (150 * M, 100 * M + 500_000, 1_000, 5_820, 0, 1)] == [
        "150.00", "100.50", "0.001", "0.00582", "0.00", "0.000001"]
