"""Notice views for tests and the notices benchmark, with amounts that reconcile.

`full_notice()` is the worked example with everything on it (rollover, meter change,
adjustment, late fee, earlier balance); `synthetic_building()` makes many plain ones.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.domain.period import Period
from billing.render.views import (
    AdjustmentLine,
    BuildingNotices,
    CompanyView,
    DebitView,
    ManagementLine,
    MeterChangeView,
    MeteredLine,
    MeterView,
    NoticeView,
    SharedLine,
    TierView,
)

PERIOD = Period(2026, 10)
FEN = Decimal("0.01")

COMPANY = CompanyView(
    name="示例物业服务有限公司",
    phone="0755-8888 6666",
    address="示例园区物业服务中心（1 栋首层）",
    counter_hours="每日 9:00–18:00",
    bank_name="中国工商银行示例支行",
    bank_account="4000021234567890123",
    account_name="示例物业服务有限公司",
)

WATER_TIERS = ((Decimal(15), Decimal("5.00")), (Decimal(22), Decimal("7.00")), (None, Decimal("9.00")))
ELECTRICITY_TIERS = (
    (Decimal(240), Decimal("0.4883")),
    (Decimal(400), Decimal("0.5383")),
    (None, Decimal("0.7883")),
)


def tiered(
    quantity: Decimal, tiers: tuple[tuple[Decimal | None, Decimal], ...]
) -> tuple[tuple[TierView, ...], Decimal]:
    """The tier views and the amount, Σ(quantity in tier × price) rounded once, half up."""
    views = []
    exact = Decimal(0)
    lower = Decimal(0)
    for n, (upto, price) in enumerate(tiers, start=1):
        top = quantity if upto is None else min(quantity, upto)
        part = top - lower
        if part <= 0:
            break
        views.append(TierView(label=f"第{n}档", quantity=f"{part}", price=f"{price}"))
        exact += part * price
        lower = top
    return tuple(views), exact.quantize(FEN, rounding=ROUND_HALF_UP)


def metered(
    label: str, measure: str, meter_id: str, previous: int, current: int, tiers, **meter_extra
) -> MeteredLine:
    consumption = Decimal(meter_extra.pop("consumption", current - previous))
    tier_views, amount = tiered(consumption, tiers)
    meter = MeterView(
        meter_id=meter_id,
        previous=f"{previous}",
        current=f"{current}",
        multiplier="1",
        consumption=f"{consumption}",
        **meter_extra,
    )
    return MeteredLine(
        label=label,
        measure=measure,
        meters=(meter,),
        consumption=f"{consumption}",
        tiers=tier_views,
        amount=amount,
    )


def assemble(**fields) -> NoticeView:
    """A NoticeView whose bill_total and total are the sum of its lines (as the pipeline does)."""
    lines = (
        sum((m.amount for m in fields.get("metered", ())), Decimal(0))
        + sum((s.amount for s in fields.get("shared", ())), Decimal(0))
        + (fields["management"].amount if fields.get("management") else Decimal(0))
        + sum((a.amount for a in fields.get("adjustments", ())), Decimal(0))
        + fields.get("late_fee", Decimal(0))
    )
    earlier = fields.get("earlier_balance", Decimal(0))
    defaults = dict(
        company=COMPANY,
        period=PERIOD,
        issue_date=date(2026, 11, 3),
        due_date=date(2026, 11, 15),
        kind="住宅",
    )
    return NoticeView(**{**defaults, **fields, "bill_total": lines, "total": lines + earlier})


def full_notice() -> NoticeView:
    """Everything a notice can show.

    Water: 5-digit meter rolled over, 99990 → 12: (12 + 100000 − 99990) × 1 = 22 m³;
      tiers 15 × 5.00 + 7 × 7.00 = 75.00 + 49.00 = 124.00.
    Electricity: changed on 2026-10-12, old 1234 → 1290, new 0 → 35: (56 + 35) × 1 = 91 kWh;
      91 × 0.4883 = 44.4353 → 44.44.
    Shared water: 1.234 m³ × 5.00 = 6.17; shared electricity 10.500 kWh × 0.6000 = 6.30.
    Management, handed over 2026-10-14: 89.50 × 2.20 × 18 / 31 = 114.329… → 114.33.
    Adjustment −20.00 (meter misread in September); late fee 3.21.
    Bill: 124.00 + 44.44 + 6.17 + 6.30 + 114.33 − 20.00 + 3.21 = 278.45;
    earlier balance 120.00; total 398.45.
    """
    water = metered("水费", "m³", "W-A1-0301", 99990, 12, WATER_TIERS, consumption=22, rollover_digits=5)
    electricity = MeteredLine(
        label="电费",
        measure="kWh",
        meters=(
            MeterView(
                meter_id="E-A1-0301",
                previous="1234",
                current="35",
                multiplier="1",
                consumption="91",
                change=MeterChangeView(change_date=date(2026, 10, 12), old_final="1290", new_initial="0"),
            ),
        ),
        consumption="91",
        tiers=(TierView(label="第1档", quantity="91", price="0.4883"),),
        amount=Decimal("44.44"),
    )
    return assemble(
        unit_id="A1-0301",
        building="A1",
        floor=3,
        owner_name="张晓梅",
        area_m2="89.50",
        metered=(water, electricity),
        shared=(
            SharedLine(
                label="公摊水费",
                measure="m³",
                shared_quantity="120.000",
                basis="按面积",
                share_quantity="1.234",
                price="5.00",
                amount=Decimal("6.17"),
            ),
            SharedLine(
                label="公摊电费",
                measure="kWh",
                shared_quantity="1020.000",
                basis="按面积",
                share_quantity="10.500",
                price="0.6000",
                amount=Decimal("6.30"),
            ),
        ),
        management=ManagementLine(
            area="89.50", price="2.20", amount=Decimal("114.33"), days=18, days_in_month=31
        ),
        adjustments=(AdjustmentLine(reason="9月水表读数抄错，退回多收水费", amount=Decimal("-20.00")),),
        late_fee=Decimal("3.21"),
        earlier_balance=Decimal("120.00"),
        reference="2026-10-A1-0301",
    )


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华志强海燕晓东"


def synthetic_building(building: str, units: int, *, seed: int = 1, per_floor: int = 4) -> BuildingNotices:
    """`units` plain notices (water, electricity, both shares, management), shuffled."""
    rnd = random.Random(seed)
    notices = []
    for i in range(units):
        floor = i // per_floor + 1
        room = i % per_floor + 1
        unit_id = f"{building}-{floor:02d}{room:02d}"
        area = Decimal(rnd.randrange(6000, 14000)) / 100
        w_prev = rnd.randrange(100, 5000)
        e_prev = rnd.randrange(1000, 50000)
        water = metered("水费", "m³", f"W-{unit_id}", w_prev, w_prev + rnd.randrange(3, 30), WATER_TIERS)
        electricity = metered(
            "电费", "kWh", f"E-{unit_id}", e_prev, e_prev + rnd.randrange(80, 520), ELECTRICITY_TIERS
        )
        share_w = Decimal(rnd.randrange(500, 3000)) / 1000
        share_e = Decimal(rnd.randrange(5000, 30000)) / 1000
        debit = (
            DebitView(
                bank_name="中国建设银行",
                account_tail=f"{rnd.randrange(10000):04d}",
                debit_date=date(2026, 11, 16),
            )
            if rnd.random() < 0.6
            else None
        )
        owner = rnd.choice(_SURNAMES) + "".join(rnd.choice(_GIVEN) for _ in range(rnd.choice((1, 2))))
        notices.append(
            assemble(
                unit_id=unit_id,
                building=building,
                floor=floor,
                owner_name=owner,
                area_m2=f"{area}",
                metered=(water, electricity),
                shared=(
                    SharedLine(
                        label="公摊水费",
                        measure="m³",
                        shared_quantity="210.000",
                        basis="按面积",
                        share_quantity=f"{share_w}",
                        price="5.00",
                        amount=(share_w * Decimal("5.00")).quantize(FEN, rounding=ROUND_HALF_UP),
                    ),
                    SharedLine(
                        label="公摊电费",
                        measure="kWh",
                        shared_quantity="3300.000",
                        basis="按面积",
                        share_quantity=f"{share_e}",
                        price="0.6000",
                        amount=(share_e * Decimal("0.6000")).quantize(FEN, rounding=ROUND_HALF_UP),
                    ),
                ),
                management=ManagementLine(
                    area=f"{area}",
                    price="2.20",
                    amount=(area * Decimal("2.20")).quantize(FEN, rounding=ROUND_HALF_UP),
                ),
                reference=f"{PERIOD}-{unit_id}",
                debit=debit,
            )
        )
    rnd.shuffle(notices)
    return BuildingNotices(building=building, period=PERIOD, notices=tuple(notices))


def with_owner(notice: NoticeView, owner: str) -> NoticeView:
    return replace(notice, owner_name=owner)
