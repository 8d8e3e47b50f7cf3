"""The columns of each input file kind (CONTRACT §2): canonical English name, Chinese header, required."""

from __future__ import annotations

from billing.ingest.table import ColumnSpec


def _col(name: str, *aliases: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name=name, aliases=aliases, required=required)


UNITS: tuple[ColumnSpec, ...] = (
    _col("unit_id", "房号", required=True),
    _col("building", "楼栋", required=True),
    _col("floor", "楼层"),
    _col("kind", "类型", required=True),
    _col("area_m2", "建筑面积", required=True),
    _col("handover_date", "收楼日期"),
    _col("owner_name", "业主"),
    _col("phone", "电话"),
    _col("bank_name", "开户行"),
    _col("bank_account", "银行账号"),
    _col("account_name", "户名"),
    _col("debit", "代扣"),
)

METERS: tuple[ColumnSpec, ...] = (
    _col("meter_id", "表号", required=True),
    _col("utility", "类别", required=True),
    _col("scope", "范围", required=True),
    _col("unit_id", "房号"),
    _col("parent_id", "上级表号"),
    _col("multiplier", "倍率"),
    _col("digits", "位数"),
    _col("initial_reading", "初始读数"),
)

READINGS: tuple[ColumnSpec, ...] = (
    _col("meter_id", "表号", required=True),
    _col("reading", "本期读数", required=True),
    _col("read_date", "抄表日期"),
)

METER_CHANGES: tuple[ColumnSpec, ...] = (
    _col("meter_id", "表号", required=True),
    _col("date", "换表日期", required=True),
    _col("old_final", "旧表止码", required=True),
    _col("new_initial", "新表起码", required=True),
)

DEPOSITS: tuple[ColumnSpec, ...] = (
    _col("date", "日期", required=True),
    _col("slip_no", "单号", required=True),
    _col("unit_id", "房号", required=True),
    _col("payer", "交款人", required=True),
    _col("amount", "金额", required=True),
    _col("method", "方式", required=True),
)
