"""Seed 000 cost shapes (`/cost*`), camelCase as seed 000's other families. Money is in
currency units (2 places; hourly prices 6), `priced: false` where a cost is not known."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from cloudfold.domain.costs import catalogue
from cloudfold.domain.costs.breakdown import Breakdown, Line
from cloudfold.domain.costs.money import units
from cloudfold.domain.costs.summary import Summary
from cloudfold.domain.costs.use import AccountFreeTier, MachineUse

MB = 1024 * 1024


class Amount(BaseModel):
    total: float
    priced: bool


class MonthAmount(Amount):
    period: str  # YYYY-MM


class ThisMonth(MonthAmount):
    daysElapsed: int


class SummaryOut(BaseModel):
    currency: str
    thisMonth: ThisMonth
    projectedMonthEnd: MonthAmount
    yearToDate: Amount
    lastMonth: MonthAmount


class Part(BaseModel):
    service: str
    cost: float


class ProviderLine(BaseModel):
    provider: str
    cost: float
    priced: bool
    services: list[Part]


class MachineLine(BaseModel):
    id: int
    name: str | None
    cost: float
    priced: bool


class BreakdownOut(BaseModel):
    currency: str
    start: date
    end: date
    total: float
    priced: bool
    byProvider: list[ProviderLine]
    byMachine: list[MachineLine]


class AllowanceOut(BaseModel):
    metric: str
    limit: float
    unit: str
    kind: str
    used: float
    percent: float
    level: str  # ok | warning (≥ 80 %) | exceeded
    appliesTo: list[str]
    note: str | None


class AccountTierOut(BaseModel):
    accountId: int
    providerId: str
    provider: str
    allowances: list[AllowanceOut]


class FreeTierOut(BaseModel):
    period: str
    asOf: str
    source: str
    accounts: list[AccountTierOut]


class MachineUseOut(BaseModel):
    id: int
    name: str
    provider: str
    kind: str
    status: str
    hours: float
    cost: float
    priced: bool
    cpuPercent: float | None = Field(description="average over the period (history), else the latest reading")
    memoryMb: float | None = Field(description="average over the period (history), else the latest reading")
    diskMb: float | None = Field(description="disk size, the latest reading")
    diskReadMb: float | None = Field(None, description="read from disk over the period (history only)")
    diskWriteMb: float | None = Field(None, description="written to disk over the period (history only)")
    source: str = Field(description='"history": hours, CPU and memory from the metric history over the period; '
                                    '"latest": no samples in it, so the latest inventory reading and the hours '
                                    'of the cost records')


class ResourceUsageOut(BaseModel):
    currency: str
    start: date
    end: date
    machines: list[MachineUseOut]


class OfferOut(BaseModel):
    provider: str
    instanceType: str
    region: str
    hourly: float
    monthly: float


class SizeOut(BaseModel):
    vcpu: int
    memoryGb: int | float
    offers: list[OfferOut]


class ComparisonOut(BaseModel):
    currency: str
    asOf: str
    source: str
    hoursPerMonth: int
    sizes: list[SizeOut]


class CostOut(BaseModel):
    summary: SummaryOut
    breakdown: BreakdownOut
    freeTier: FreeTierOut
    resourceUsage: ResourceUsageOut
    comparison: ComparisonOut


def summary(s: Summary) -> SummaryOut:
    month = s.month.strftime("%Y-%m")
    return SummaryOut(
        currency=s.this_month.currency,
        thisMonth=ThisMonth(period=month, total=units(s.this_month.amount_micros), priced=s.this_month.priced,
                            daysElapsed=s.days_elapsed),
        projectedMonthEnd=MonthAmount(period=month, total=units(s.projected.amount_micros), priced=s.projected.priced),
        yearToDate=Amount(total=units(s.year_to_date.amount_micros), priced=s.year_to_date.priced),
        lastMonth=MonthAmount(period=s.last_month_start.strftime("%Y-%m"), total=units(s.last_month.amount_micros),
                              priced=s.last_month.priced))


def breakdown(b: Breakdown, machines: list[Line]) -> BreakdownOut:
    return BreakdownOut(
        currency=b.total.currency, start=b.period.start, end=b.period.end, total=units(b.total.amount_micros),
        priced=b.total.priced,
        byProvider=[ProviderLine(provider=line.key, cost=units(line.spend.amount_micros), priced=line.spend.priced,
                                 services=[Part(service=p.key, cost=units(p.spend.amount_micros)) for p in line.parts])
                    for line in b.lines],
        byMachine=[MachineLine(id=m.key, name=m.name, cost=units(m.spend.amount_micros), priced=m.spend.priced)
                   for m in machines])


def free_tier(month: date, accounts: list[AccountFreeTier]) -> FreeTierOut:
    data = catalogue.free_tier()
    return FreeTierOut(period=month.strftime("%Y-%m"), asOf=data["as_of"], source=data["source"], accounts=[
        AccountTierOut(accountId=a.account_id, providerId=a.slug, provider=a.provider, allowances=[
            AllowanceOut(metric=x.metric, limit=x.limit, unit=x.unit, kind=x.kind, used=x.used, percent=x.percent,
                         level=x.level, appliesTo=x.applies_to, note=x.note) for x in a.allowances])
        for a in accounts])


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / MB, 1)


def resource_usage(currency: str, start: date, end: date, machines: list[MachineUse]) -> ResourceUsageOut:
    return ResourceUsageOut(currency=currency, start=start, end=end, machines=[
        MachineUseOut(id=m.resource.id, name=m.resource.name, provider=m.resource.provider, kind=m.resource.kind,
                      status=m.resource.status, hours=m.hours, cost=units(m.cost_micros), priced=m.priced,
                      cpuPercent=m.cpu_percent, memoryMb=_mb(m.memory_used), diskMb=_mb(m.disk_bytes),
                      diskReadMb=_mb(m.disk_read_bytes), diskWriteMb=_mb(m.disk_write_bytes), source=m.source)
        for m in machines])


def comparison() -> ComparisonOut:
    data = catalogue.prices()
    return ComparisonOut(currency=data["currency"], asOf=data["as_of"], source=data["source"],
                         hoursPerMonth=catalogue.HOURS_PER_MONTH, sizes=[
        SizeOut(vcpu=c.vcpu, memoryGb=c.memory_gb, offers=[
            OfferOut(provider=o.provider, instanceType=o.instance_type, region=o.region,
                     hourly=units(o.hourly_micros, 6), monthly=units(o.hourly_micros * catalogue.HOURS_PER_MONTH))
            for o in c.offers]) for c in catalogue.comparison()])
