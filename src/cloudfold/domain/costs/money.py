"""Integer millionths of a currency unit: parsing, shaping, and the currencies cloudfold knows."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from cloudfold.errors import BadRequest

MICROS = 1_000_000
# ISO 4217 codes accepted for records and queries; totals are per currency, never mixed.
CURRENCIES = frozenset({"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "BRL", "CNY", "SEK", "NOK", "DKK",
                        "PLN", "NZD", "SGD", "HKD", "KRW", "MXN", "ZAR"})


def currency(code: str | None) -> str:
    value = (code or "USD").upper()
    if value not in CURRENCIES:
        raise BadRequest(f"Unknown currency {code!r}", detail={"known": sorted(CURRENCIES)})
    return value


def to_micros(amount: str | float | Decimal) -> int:
    """An amount in currency units (as given: a JSON number or a decimal string) → millionths."""
    try:
        exact = Decimal(str(amount))
    except InvalidOperation:
        raise BadRequest(f"Not an amount: {amount!r}") from None
    if not exact.is_finite():
        raise BadRequest(f"Not an amount: {amount!r}")
    return int((exact * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def units(micros: int, places: int = 2) -> float:
    """Millionths → currency units for an answer, rounded half-even to ``places``."""
    return float((Decimal(micros) / MICROS).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def shown(micros: int) -> str:
    """Millionths as text for a message: cents, or every digit when there is less than a cent
    to show (0.001 is not written 0.00)."""
    exact = Decimal(micros) / MICROS
    text = f"{exact:.6f}".rstrip("0")
    return f"{exact:.2f}" if len(text.split(".")[1]) <= 2 else text
