"""Synthetic estates: the input files of CONTRACT §2 for benchmarks, tests and the demo fixture.

`generate_estate` writes an estate of N units (buildings, shop rows, unit/common/master meters,
readings, meter changes, a day's deposits, config); `billing synth` calls `main_synth`.
`billing.synth.fixture` builds the committed estate in `fixtures/estate/`.

Imports only `billing.domain` and the standard library; writes files, reads none.
"""

from billing.synth.estate import (
    BuildingPlan,
    EstateFiles,
    Shares,
    Specials,
    generate_estate,
    main_synth,
    plan_estate,
    write_estate,
)

__all__ = [
    "BuildingPlan",
    "EstateFiles",
    "Shares",
    "Specials",
    "generate_estate",
    "main_synth",
    "plan_estate",
    "write_estate",
]
