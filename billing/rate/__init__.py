"""Pure billing math: tiered prices, management-fee proration, apportionment, shared
consumption (公摊), and `rate_period`, which turns one period's units, meter readings and tariff
into proposed bill lines and problems.

Imports only `billing.domain`; no I/O, no clock. Meter consumption itself lives in
`billing.domain.consumption` (the import validation uses it too).
"""

from billing.rate.apportion import apportion
from billing.rate.engine import LineRow, RatedRows, RatingResult, rate_period, rate_period_rows
from billing.rate.management import management_fee
from billing.rate.shared import SharedMember, SharedResult, SharedShare, apportion_shared
from billing.rate.tiers import TierBreakdown, TierPart, price_tiers

__all__ = [
    "LineRow",
    "RatedRows",
    "RatingResult",
    "SharedMember",
    "SharedResult",
    "SharedShare",
    "TierBreakdown",
    "TierPart",
    "apportion",
    "apportion_shared",
    "management_fee",
    "price_tiers",
    "rate_period",
    "rate_period_rows",
]
