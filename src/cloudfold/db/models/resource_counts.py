"""How many inventory records there are per group, kept by the database itself (triggers of
migration 0009 on every insert, update and delete of `resources`, whichever code path writes),
so that list totals and dashboard figures are read from a few hundred rows instead of counting
the whole inventory. A NULL in the group is stored as 0 (ids) or '' (region)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import Base

NO_ID = 0  # stands for NULL account_id / owner_id (ids start at 1)
NO_REGION = ""  # stands for a NULL region
COST_SCALE = 1_000_000  # cost_per_hour kept in millionths, so that sums stay exact


class ResourceCount(Base):
    __tablename__ = "resource_counts"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    vanished: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of cost_per_hour x COST_SCALE
