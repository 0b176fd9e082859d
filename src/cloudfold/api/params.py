"""Parameter types shared by the faces."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from cloudfold.db.base import MAX_ID

# an integer record id as the database can hold it (32-bit on PostgreSQL)
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id")]

# seed 004's container number: from 100 up
VmId = Annotated[int, Path(ge=100, le=MAX_ID, description="Container VMID")]

# how many rows a page skips: bounded so the database can take it as an OFFSET
MAX_OFFSET = 2**62
Skip = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
