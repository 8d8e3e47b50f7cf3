"""A pretend bank: takes the debit file we wrote and answers with its return file.

It follows the return layouts of the presets (the same lines, the result appended, the
summary extended with the successes), the way a bank's batch system echoes a file.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

# (success, reason code of the bank, reason text of the bank)
Outcome = tuple[bool, str, str]
FAILURES: tuple[Outcome, ...] = (
    (False, "3001", "余额不足"),
    (False, "3002", "账户已销户"),
    (False, "3003", "户名不符"),
    (False, "3004", "账号错误"),
    (False, "3005", "账户冻结"),
    (False, "3006", "未签约"),
    (False, "3999", "系统繁忙请稍后"),
)


def every_seventh_fails(i: int) -> Outcome:
    """Row i (from 0): rows 3, 10, 17… fail, with the reasons in turn."""
    if i % 7 == 3:
        return FAILURES[(i // 7) % len(FAILURES)]
    return (True, "0000", "")


def echo_pipe(data: bytes, outcome: Callable[[int], Outcome] = every_seventh_fails) -> bytes:
    """pipe-gbk: summary `batch|count|total|date|` -> `batch|count|total|ok_count|ok_total|date|`."""
    lines = data.decode("gbk").split("\r\n")
    assert lines[-1] == ""
    summary, details = lines[0].split("|"), lines[1:-1]
    out, ok_count, ok_total = [], 0, Decimal("0.00")
    for i, line in enumerate(details):
        ok, _, text = outcome(i)
        amount = Decimal(line.split("|")[3])
        if ok:
            ok_count += 1
            ok_total += amount
        out.append(line + ("成功||" if ok else f"失败|{text}|"))
    head = "|".join([summary[0], summary[1], summary[2], str(ok_count), f"{ok_total:.2f}", summary[3]]) + "|"
    return ("\r\n".join([head, *out]) + "\r\n").encode("gbk")


def echo_fixed(data: bytes, outcome: Callable[[int], Outcome] = every_seventh_fails) -> bytes:
    """fixed-gbk: the header gets the success count (8) and total in fen (14);
    each line its flag (1), code (4) and text (30 bytes)."""
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    header, details = lines[0], lines[1:-1]
    out, ok_count, ok_fen = [], 0, 0
    for i, line in enumerate(details):
        ok, code, text = outcome(i)
        fen = int(line[77:89])
        if ok:
            ok_count += 1
            ok_fen += fen
        reason = text.encode("gbk")
        out.append(line + (b"1" if ok else b"0") + code.encode() + reason + b" " * (30 - len(reason)))
    head = header + str(ok_count).zfill(8).encode() + str(ok_fen).zfill(14).encode()
    return b"\r\n".join([head, *out]) + b"\r\n"
