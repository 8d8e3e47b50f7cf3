"""`billing explain UNIT P`: each line of a bill told the way a clerk reads it to an owner.

The working is the `detail` the rating engine and the bill run stored with each line; this
module only words it (zh-CN or en), it computes nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from billing.domain.money import format_money
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.pipeline.context import Context, StepResult
from billing.store import repo

ITEM_NAMES = {
    "water": ("水费", "water"),
    "electricity": ("电费", "electricity"),
    "shared_water": ("公摊水费", "shared water"),
    "shared_electricity": ("公摊电费", "shared electricity"),
    "management": ("物业管理费", "management fee"),
    "late_fee": ("滞纳金", "late fee"),
    "adjustment": ("调整", "adjustment"),
}
BASIS = {"area": ("按面积", "by area"), "usage": ("按用量", "by usage"), "equal": ("平均", "equally")}


def explain(ctx: Context, unit_id: str, period: Period) -> StepResult:
    """Every line of the bill with the inputs and the formula behind it."""
    result = StepResult()
    with ctx.engine.connect() as conn:
        bill = repo.bill_of(conn, unit_id, period)
        if bill is None:
            result.problems.append(Problem.error("NO_BILL", unit=unit_id, unit_id=unit_id, period=period))
            return result
        lines = repo.lines_of_bill(conn, bill.id)
        run = repo.run_of(conn, period)
    zh = not ctx.lang.startswith("en")

    def tr(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    result.say(
        tr(
            f"{unit_id} {period} 账单：出账 {bill.issue_date}，缴费期限 {bill.due_date}，价格版本 {run.tariff_version}，"
            f"舍入方式 {run.rounding}（每行只舍入一次）",
            f"{unit_id} {period}: issued {bill.issue_date}, due {bill.due_date}, tariff version "
            f"{run.tariff_version}, rounding {run.rounding} (once per line)",
        )
    )
    for ln in lines:
        name = ITEM_NAMES.get(ln.item, (ln.item, ln.item))[0 if zh else 1]
        qty = "" if ln.quantity is None else f"  {ln.quantity}"
        result.say(f"{name}{qty}: {format_money(repo.money(ln.amount_fen))}")
        describe = _DESCRIBE.get(ln.item, _generic)
        result.messages.extend("    " + text for text in describe(json.loads(ln.detail), tr))
        result.say(
            "    "
            + tr(
                f"精确值 {ln.exact} → 舍入为 {format_money(repo.money(ln.amount_fen))}",
                f"exact {ln.exact} → rounded to {format_money(repo.money(ln.amount_fen))}",
            )
        )
    result.say(
        tr(
            f"合计：{format_money(repo.money(bill.total_fen))}",
            f"total: {format_money(repo.money(bill.total_fen))}",
        )
    )
    return result


Tr = Callable[[str, str], str]


def _metered(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    for m in d.get("meters", ()):
        prev = f"{m['previous']}" + (f" ({m['previous_date']})" if m.get("previous_date") else "")
        cur = f"{m['current']}" + (f" ({m['current_date']})" if m.get("current_date") else "")
        change = m.get("change")
        if change:
            yield tr(
                f"表 {m['meter_id']}：上期读数 {prev}，{change['date']} 换表（旧表止码 {change['old_final']}，"
                f"新表起码 {change['new_initial']}），本期读数 {cur}",
                f"meter {m['meter_id']}: previous {prev}, replaced on {change['date']} (old meter's final "
                f"{change['old_final']}, new meter's start {change['new_initial']}), current {cur}",
            )
            yield tr(
                f"用量 = (({change['old_final']} − {m['previous']}) + ({m['current']} − {change['new_initial']}))"
                f" × 倍率 {m['multiplier']} = {m['quantity']}",
                f"consumption = (({change['old_final']} − {m['previous']}) + ({m['current']} − "
                f"{change['new_initial']})) × multiplier {m['multiplier']} = {m['quantity']}",
            )
        elif m.get("rollover"):
            yield tr(
                f"表 {m['meter_id']}：上期读数 {prev}，本期读数 {cur}，{m['digits']} 位表走满一圈",
                f"meter {m['meter_id']}: previous {prev}, current {cur}, a {m['digits']}-digit rollover",
            )
            yield tr(
                f"用量 = ({m['current']} + 10^{m['digits']} − {m['previous']}) × 倍率 {m['multiplier']} = "
                f"{m['quantity']}",
                f"consumption = ({m['current']} + 10^{m['digits']} − {m['previous']}) × "
                f"multiplier {m['multiplier']} = {m['quantity']}",
            )
        else:
            yield tr(
                f"表 {m['meter_id']}：上期读数 {prev}，本期读数 {cur}",
                f"meter {m['meter_id']}: previous {prev}, current {cur}",
            )
            yield tr(
                f"用量 = ({m['current']} − {m['previous']}) × 倍率 {m['multiplier']} = {m['quantity']}",
                f"consumption = ({m['current']} − {m['previous']}) × multiplier {m['multiplier']} = "
                f"{m['quantity']}",
            )
    for t in d.get("tiers", ()):
        band = f"{t['from']}–{t['to']}" if t.get("to") else f"> {t['from']}"
        yield tr(
            f"阶梯 {band}：{t['quantity']} × {t['price']} = {t['amount']}",
            f"tier {band}: {t['quantity']} × {t['price']} = {t['amount']}",
        )


def _shared(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    for s in d.get("shares", ()):
        basis = BASIS.get(s["basis"], (s["basis"], s["basis"]))
        yield tr(
            f"总表 {s['master_meter_id']} 用量 {s['master_consumption']} − 下级户表合计 {s['units_consumption']}"
            f" = 公摊量 {s['shared_quantity']}；× 单价 {s['price']} = {s['total_amount']}",
            f"master meter {s['master_meter_id']} {s['master_consumption']} − unit meters under it "
            f"{s['units_consumption']} = shared {s['shared_quantity']}; × price {s['price']} = {s['total_amount']}",
        )
        yield tr(
            f"{basis[0]}分摊：本户权重 {s['weight']} / 合计 {s['weight_sum']} → 分摊量 {s['quantity']}，"
            f"金额 {s['total_amount']} × {s['weight']} / {s['weight_sum']} = {_short(s['exact'])}",
            f"apportioned {basis[1]}: weight {s['weight']} of {s['weight_sum']} → share {s['quantity']}, "
            f"{s['total_amount']} × {s['weight']} / {s['weight_sum']} = {_short(s['exact'])}",
        )
        yield tr(
            "各户先舍去到分，余下的分按尾数从大到小逐户补一分，合计正好等于总额",
            "each share is floored to the fen, the fens left go one each to the largest remainders, "
            "so the shares add up exactly",
        )


def _management(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    if d.get("days_billed") != d.get("days_in_month"):
        yield tr(
            f"面积 {d['area']} m² × 单价 {d['price']} × {d['days_billed']}/{d['days_in_month']} 天"
            f"（{d.get('handover_date', '')} 收楼）= {d['exact']}",
            f"area {d['area']} m² × price {d['price']} × {d['days_billed']}/{d['days_in_month']} days "
            f"(handed over {d.get('handover_date', '')}) = {d['exact']}",
        )
    else:
        yield tr(
            f"面积 {d['area']} m² × 单价 {d['price']} = {d['exact']}",
            f"area {d['area']} m² × price {d['price']} = {d['exact']}",
        )


def _late_fee(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    for b in d.get("bills", ()):
        yield tr(
            f"{b['period']} 账单本金 {b['principal']}，日费率 {b['daily_rate']}，上限 {b['cap']}：",
            f"bill {b['period']}, principal {b['principal']}, daily rate {b['daily_rate']}, cap {b['cap']}:",
        )
        for s in b.get("stretches", ()):
            yield tr(
                f"  {s['first']} 至 {s['last']} 共 {s['days']} 天 × 未付 {s['unpaid']} × {b['daily_rate']} = "
                f"{_short(s['amount'])}",
                f"  {s['first']} to {s['last']}, {s['days']} days × unpaid {s['unpaid']} × {b['daily_rate']} = "
                f"{_short(s['amount'])}",
            )
        capped = tr("（已达上限）", " (capped)") if b.get("capped") else ""
        yield tr(
            f"  截至 {d['as_of']} 累计 {_short(b['accrued'])}{capped} → {b['fee']}，已收 {b['charged_before']}，"
            f"本次计收 {b['charged_now']}",
            f"  accrued to {d['as_of']}: {_short(b['accrued'])}{capped} → {b['fee']}, charged before "
            f"{b['charged_before']}, charged now {b['charged_now']}",
        )


def _adjustment(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    yield tr(
        f"更正 {d['period']} 账单的{ITEM_NAMES.get(d['item'], (d['item'],))[0]}（{d['recorded_on']} 记录）："
        f"{d['reason']}",
        f"correction of {d['period']} {d['item']} (recorded {d['recorded_on']}): {d['reason']}",
    )


def _generic(d: Mapping[str, Any], tr: Tr) -> Iterator[str]:
    for key, value in d.items():
        yield f"{key}: {value}"


def _short(text: str) -> str:
    """An exact amount shown to 6 decimals at most (the stored value stays exact)."""
    value = Decimal(text)
    return str(value.quantize(Decimal("0.000001")).normalize()) if value.as_tuple().exponent < -6 else text  # type: ignore[operator]


_DESCRIBE: dict[str, Callable[[Mapping[str, Any], Tr], Iterator[str]]] = {
    "water": _metered,
    "electricity": _metered,
    "shared_water": _shared,
    "shared_electricity": _shared,
    "management": _management,
    "late_fee": _late_fee,
    "adjustment": _adjustment,
}
