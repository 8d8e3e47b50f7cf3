"""Collections: the direct-debit file out, the bank's return file in (CONTRACT §3)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from billing.domain.money import ZERO, format_money, to_fen
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.ledger.balance import balance
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy, load_ledgers
from billing.store import repo
from billing.store import schema as t
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
        batch_id = int(
            conn.execute(
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
            ).inserted_primary_key[0]
        )  # type: ignore[index]
        conn.execute(
            insert(t.debit_items),
            [
                {
                    "batch_id": batch_id,
                    "reference": r.reference,
                    "unit_id": r.unit_id,
                    "account": r.account,
                    "account_name": r.account_name,
                    "amount_fen": to_fen(r.amount),
                    "status": "sent",
                }
                for r in batch.rows
            ],
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
    pending = set(
        conn.execute(select(t.debit_items.c.unit_id).where(t.debit_items.c.status == "sent")).scalars()
    )
    candidates = {
        u.unit_id: u
        for u in repo.load_units(conn).values()
        if u.debit and u.bank_account and u.unit_id not in pending
    }
    policy = late_fee_policy(ctx.settings)
    rows = []
    for unit_id, ledger in sorted(load_ledgers(conn, as_of=as_of, unit_ids=candidates).items()):
        owed = balance(ledger.bills, ledger.payments, as_of, policy).outstanding
        if owed > 0:
            u = candidates[unit_id]
            rows.append((unit_id, u.bank_account or "", u.account_name or u.owner_name or "", owed))
    return rows


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


def _match(
    conn: Connection, rows: Sequence[ReturnRow], file: str, problems: list[Problem]
) -> list[tuple[ReturnRow, Any]]:
    items = {i.reference: i for i in conn.execute(select(t.debit_items))}
    open_by_account: dict[tuple[str, int], list[Any]] = {}
    for i in items.values():
        if i.status == "sent":
            open_by_account.setdefault((i.account, i.amount_fen), []).append(i)
    seen: dict[int, int] = {}
    matched = []
    for row in rows:
        item = items.get(row.reference)
        if item is None:
            candidates = open_by_account.get((row.account, to_fen(row.amount)), [])
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
        if to_fen(row.amount) != item.amount_fen:
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
    payments, ok, failed, total = [], 0, 0, ZERO
    for row, item in matched:
        conn.execute(
            update(t.debit_items)
            .where(t.debit_items.c.id == item.id)
            .values(
                status="success" if row.success else "failed",
                reason_code=row.reason_code,
                reason_text=row.reason_text,
                return_date=row.date,
                return_import_id=import_id,
            )
        )
        if row.success:
            payments.append(
                {
                    "unit_id": item.unit_id,
                    "pay_date": row.date,
                    "amount_fen": item.amount_fen,
                    "method": "debit",
                    "payer": item.account_name,
                    "debit_item_id": item.id,
                    "import_id": import_id,
                }
            )
            ok += 1
            total += repo.money(item.amount_fen)
        else:
            failed += 1
    if payments:
        conn.execute(insert(t.payments), payments)
    batch_ids = {item.batch_id for _, item in matched}
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
    return ok, failed, total
