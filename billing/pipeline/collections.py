"""Collections: the direct-debit file out, the bank's return file in (CONTRACT §3)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select, update

from billing.banks import (
    DebitBatch,
    DebitRow,
    Layout,
    LayoutError,
    load_layout,
    plan_debit,
    read_return,
    write_plan,
)
from billing.banks.returns import ReturnRow
from billing.domain.money import format_money, to_fen
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.pipeline.context import Context, StepResult
from billing.store import repo
from billing.store import schema as t
from billing.store.bulk import fetch, insert_rows, placeholders, update_rows
from billing.store.locks import exclusive


def _layout(ctx: Context, bank: str, result: StepResult) -> Layout | None:
    try:
        return load_layout(bank, ctx.workspace.banks_dir)
    except LayoutError as exc:
        result.problems.extend(exc.problems or (Problem.error("UNKNOWN_BANK", bank=bank),))
        return None


def make_debit(ctx: Context, period: Period, bank: str, as_of: date) -> StepResult:
    """One row per unit with a debit agreement, an account and a positive outstanding at as_of;
    units in a batch not yet returned are left out. The same batch again gives the same bytes."""
    result = StepResult()
    layout = _layout(ctx, bank, result)
    if layout is None:
        return result
    out_dir = ctx.workspace.out_dir / str(period) / "debit"
    en = ctx.lang.startswith("en")
    with ctx.engine.begin() as conn:
        exclusive(conn, "debit")
        same = conn.execute(
            select(t.debit_batches).where(
                t.debit_batches.c.bank == bank,
                t.debit_batches.c.period == str(period),
                t.debit_batches.c.as_of == as_of,
            )
        ).first()
        if same is not None:
            batch = _stored_batch(conn, same)
            files = write_plan(plan_debit(layout, batch), out_dir)
            result.files.extend(files)
            result.say(
                f"{same.batch_no}: {'already made; rewritten' if en else '该批次已生成，已重写文件'} "
                f"{same.count} / {format_money(repo.money(same.total_fen))}"
            )
            return result
        rows = _debit_rows(ctx, conn, period, as_of)
        if not rows:
            result.say(Problem.warning("NOTHING_TO_DEBIT").message(ctx.lang))
            return result
        seq = 1 + len(
            conn.execute(select(t.debit_batches.c.id).where(t.debit_batches.c.period == str(period))).all()
        )
        batch_no = f"{bank}-{period}-{seq:02d}"
        prefix = f"{period.year:04d}{period.month:02d}{seq:02d}"
        batch = DebitBatch(
            batch_no=batch_no,
            bank=bank,
            created=as_of,
            purpose=f"物业费 {period}",
            rows=tuple(
                DebitRow(
                    reference=f"{prefix}{n:07d}", unit_id=u, account=acct, account_name=name, amount=amount
                )
                for n, (u, acct, name, amount) in enumerate(rows, start=1)
            ),
        )
        plan = plan_debit(layout, batch)
        result.problems.extend(plan.problems)
        if not plan.ok:
            result.refused = True
            return result
        digest = hashlib.sha256(b"".join(f.data for f in plan.files)).hexdigest()
        key = conn.execute(
            insert(t.debit_batches).values(
                batch_no=batch_no,
                bank=bank,
                layout_version=plan.layout_version,
                period=str(period),
                as_of=as_of,
                files=json.dumps([f.name for f in plan.files]),
                sha256=digest,
                count=plan.count,
                total_fen=to_fen(plan.total),
                status="sent",
                created_at=datetime.now(),
            )
        ).inserted_primary_key
        assert key is not None
        batch_id = int(key[0])
        insert_rows(
            conn,
            "debit_items",
            ("batch_id", "reference", "unit_id", "account", "account_name", "amount_fen", "status"),
            (
                (batch_id, r.reference, r.unit_id, r.account, r.account_name, to_fen(r.amount), "sent")
                for r in batch.rows
            ),
        )
        result.files.extend(write_plan(plan, out_dir))
    for f in result.files:
        result.say(str(f))
    result.say(
        f"{batch_no}: {plan.count} {'rows' if en else '笔'}, {'total' if en else '合计'} "
        f"{format_money(plan.total)}"
    )
    return result


def _debit_rows(
    ctx: Context, conn: Connection, period: Period, as_of: date
) -> list[tuple[str, str, str, Decimal]]:
    """(unit, account, account name, outstanding) of every unit to debit, in unit order.

    The outstanding is the unit's balance at as_of: billed (principal and late-fee line of the
    bills issued on or before it) less paid (payments dated on or before it) — summed by the
    database in fen, the same figure `billing.ledger.balance` gives.
    """
    rows = fetch(
        conn,
        "SELECT u.unit_id, u.bank_account, CASE "
        " WHEN u.account_name IS NOT NULL AND u.account_name <> '' THEN u.account_name "
        " WHEN u.owner_name IS NOT NULL AND u.owner_name <> '' THEN u.owner_name ELSE '' END, "
        " COALESCE((SELECT SUM(b.principal_fen + b.late_fee_fen) FROM bills b "
        "           WHERE b.unit_id = u.unit_id AND b.issue_date <= ?), 0) "
        " - COALESCE((SELECT SUM(p.amount_fen) FROM payments p "
        "             WHERE p.unit_id = u.unit_id AND p.pay_date <= ?), 0) "
        "FROM units u WHERE u.debit = ? AND u.bank_account IS NOT NULL AND u.bank_account <> '' "
        "AND NOT EXISTS (SELECT 1 FROM debit_items d WHERE d.unit_id = u.unit_id AND d.status = 'sent')",
        [as_of, as_of, True],
    )
    out = [(unit_id, account, name, repo.money(owed)) for unit_id, account, name, owed in rows if owed > 0]
    out.sort(key=lambda r: r[0])
    return out


def _stored_batch(conn: Connection, batch: Any) -> DebitBatch:
    items = conn.execute(
        select(t.debit_items).where(t.debit_items.c.batch_id == batch.id).order_by(t.debit_items.c.id)
    )
    return DebitBatch(
        batch_no=batch.batch_no,
        bank=batch.bank,
        created=batch.as_of,
        purpose=f"物业费 {batch.period}",
        rows=tuple(
            DebitRow(
                reference=i.reference,
                unit_id=i.unit_id,
                account=i.account,
                account_name=i.account_name or "",
                amount=repo.money(i.amount_fen),
            )
            for i in items
        ),
    )


def import_bank_return(ctx: Context, path: Path, bank: str) -> StepResult:
    """Match every row to its debit item; successes become payments on the row's date,
    failures keep the debt with their reason. Any mismatch refuses the whole file."""
    result = StepResult()
    layout = _layout(ctx, bank, result)
    if layout is None:
        return result
    if not path.is_file():
        result.problems.append(Problem.error("FILE_NOT_FOUND", file=str(path)))
        return result
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with ctx.engine.begin() as conn:
        exclusive(conn, "import")
        if repo.import_seen(conn, "bank-return", bank, sha):
            result.say(f"{path}: " + Problem.warning("ALREADY_IMPORTED").message(ctx.lang))
            return result
        parsed = read_return(layout, path)
        result.problems.extend(parsed.problems)
        matched = _match(conn, parsed.rows, str(path), result.problems)
        if any(p.is_error for p in result.problems):
            result.refused = True
            return result
        import_id = repo.record_import(
            conn,
            kind="bank-return",
            scope=bank,
            file_name=path.name,
            sha256=sha,
            rows=len(parsed.rows),
            now=datetime.now(),
        )
        ok, failed, total = _post(conn, matched, import_id)
    en = ctx.lang.startswith("en")
    result.say(
        f"{path}: {ok} {'paid' if en else '笔成功'} ({format_money(total)}), "
        f"{failed} {'failed' if en else '笔失败'}"
    )
    return result


class _Item(NamedTuple):
    id: int
    batch_id: int
    reference: str
    unit_id: str
    account: str
    account_name: str | None
    amount_fen: int
    status: str


_ITEM_COLUMNS = "id, batch_id, reference, unit_id, account, account_name, amount_fen, status"


def _match(
    conn: Connection, rows: Sequence[ReturnRow], file: str, problems: list[Problem]
) -> list[tuple[ReturnRow, Any]]:
    # The open items (the account/amount fallback needs them all), and any others the file names.
    items = {
        r[2]: _Item(*r) for r in fetch(conn, f"SELECT {_ITEM_COLUMNS} FROM debit_items WHERE status = 'sent'")
    }
    others = sorted({row.reference for row in rows} - set(items))
    for start in range(0, len(others), 5000):
        chunk = others[start : start + 5000]
        for r in fetch(
            conn,
            f"SELECT {_ITEM_COLUMNS} FROM debit_items WHERE reference IN ({placeholders(len(chunk))})",
            chunk,
        ):
            items[r[2]] = _Item(*r)
    open_by_account: dict[tuple[str, int], list[Any]] = {}
    for i in items.values():
        if i.status == "sent":
            open_by_account.setdefault((i.account, i.amount_fen), []).append(i)
    seen: dict[int, int] = {}
    matched = []
    for row in rows:
        fen = to_fen(row.amount)
        item = items.get(row.reference)
        if item is None:
            candidates = open_by_account.get((row.account, fen), [])
            item = candidates[0] if len(candidates) == 1 else None
        if item is None:
            problems.append(
                Problem.error("UNMATCHED_RETURN", file=file, line=row.line, reference=row.reference)
            )
            continue
        if item.id in seen:
            problems.append(
                Problem.error("DUPLICATE_RETURN", file=file, line=row.line, reference=item.reference)
            )
            continue
        seen[item.id] = row.line
        if fen != item.amount_fen:
            problems.append(
                Problem.error(
                    "AMOUNT_MISMATCH",
                    file=file,
                    line=row.line,
                    amount=row.amount,
                    sent=format_money(repo.money(item.amount_fen)),
                )
            )
        if item.status != "sent":
            problems.append(
                Problem.error("ALREADY_RETURNED", file=file, line=row.line, reference=item.reference)
            )
        matched.append((row, item))
    return matched


def _post(
    conn: Connection, matched: Sequence[tuple[ReturnRow, Any]], import_id: int
) -> tuple[int, int, Decimal]:
    """Every matched item's result, and a payment for each success, written in bulk."""
    updates, payments, ok, failed, total_fen = [], [], 0, 0, 0
    for row, item in matched:
        day = row.date.isoformat()
        updates.append(
            (
                "success" if row.success else "failed",
                row.reason_code,
                row.reason_text,
                day,
                import_id,
                item.id,
            )
        )
        if row.success:
            payments.append(
                (item.unit_id, day, item.amount_fen, "debit", item.account_name, item.id, import_id)
            )
            ok += 1
            total_fen += item.amount_fen
        else:
            failed += 1
    update_rows(
        conn,
        "debit_items",
        "id",
        ("status", "reason_code", "reason_text", "return_date", "return_import_id"),
        updates,
    )
    insert_rows(
        conn,
        "payments",
        ("unit_id", "pay_date", "amount_fen", "method", "payer", "debit_item_id", "import_id"),
        payments,
    )
    batch_ids = sorted({item.batch_id for _, item in matched})
    for batch_id in batch_ids:
        still_open = conn.execute(
            select(t.debit_items.c.id).where(
                t.debit_items.c.batch_id == batch_id, t.debit_items.c.status == "sent"
            )
        ).first()
        if still_open is None:
            conn.execute(
                update(t.debit_batches).where(t.debit_batches.c.id == batch_id).values(status="returned")
            )
    return ok, failed, repo.money(total_fen)
