"""The acceptance estate (../shared/acceptance/estate_p) played through the pipeline functions.

The same story the acceptance check drives through the command line: import units, meters
and meter changes, readings, `run`, a direct-debit batch with one failure, a counter deposit,
the next month's readings and run. Amounts of deposits come from the scenario's expected.json.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

from billing.domain.period import Period
from billing.pipeline.billrun import issue_bills
from billing.pipeline.collections import import_bank_return, make_debit
from billing.pipeline.context import Context, StepResult, open_context
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.pipeline.workspace import init_workspace

ACCEPTANCE = Path(__file__).resolve().parents[3] / "shared" / "acceptance" / "estate_p"


def _ok(result: StepResult) -> StepResult:
    assert result.exit_code in (0, 1), [p.render("en") for p in result.problems]
    return result


def build_estate(root: Path, *, lang: str = "zh-CN") -> Context:
    """A workspace at `root` holding the whole story of the acceptance estate."""
    init_workspace(root)
    for name in ("tariffs.toml", "settings.toml"):
        shutil.copyfile(ACCEPTANCE / "config" / name, root / "config" / name)
    # the scenario's settings have no [contact]: the default workspace's, for slips and notices
    defaults = (root / "config" / "settings.toml").read_text(encoding="utf-8")
    (root / "config" / "settings.toml").write_text(
        defaults + '\n[contact]\nphone = "0755-8888 6666"\naddress = "示例园区物业服务中心（1 栋首层）"\n'
        'counter_hours = "每日 9:00–18:00"\nbank_name = "中国工商银行示例支行"\n'
        'bank_account = "4000021234567890123"\naccount_name = "示例物业服务有限公司"\n',
        encoding="utf-8",
    )
    ctx = open_context(root, lang=lang)
    story = json.loads((ACCEPTANCE / "story.json").read_text(encoding="utf-8"))
    readings = json.loads((ACCEPTANCE / "readings.json").read_text(encoding="utf-8"))
    expected = json.loads((ACCEPTANCE / "expected.json").read_text(encoding="utf-8"))
    today = date(2026, 10, 1)
    for st in story["steps"]:
        do = st["do"]
        if do == "import":
            _ok(import_file(ctx, KINDS[st["what"]], ACCEPTANCE / st["file"], today=today))
        elif do == "readings":
            f = root / f"readings-{st['period']}.csv"
            f.write_text(
                "meter_id,reading\n" + "".join(f"{k},{v}\n" for k, v in readings[st["period"]].items()),
                encoding="utf-8",
            )
            period = Period.parse(st["period"])
            _ok(import_file(ctx, readings_kind(period), f, today=today, scope=str(period)))
        elif do == "run":
            _ok(issue_bills(ctx, Period.parse(st["period"]), date.fromisoformat(st["as_of"])))
        elif do == "debit":
            _ok(make_debit(ctx, Period.parse(st["period"]), "generic-csv", date.fromisoformat(st["as_of"])))
            debit_file = sorted((root / "out" / st["period"] / "debit").glob("*"))[-1]
            with open(debit_file, encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
            ret = root / f"return-{st['period']}.csv"
            with open(ret, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["reference", "account", "amount", "status", "reason", "date"])
                for x in rows:
                    why = st.get("fail", {}).get(x["unit_id"])
                    w.writerow(
                        [
                            x["reference"],
                            x["account"],
                            x["amount"],
                            "失败" if why else "成功",
                            why or "",
                            st["return_date"],
                        ]
                    )
            _ok(import_bank_return(ctx, ret, "generic-csv"))
        elif do == "deposit":
            amount = expected[f"deposit_{st['unit']}_{st['date']}"]
            f = root / f"deposits-{st['date']}-{st['unit']}.csv"
            f.write_text(
                f"日期,单号,房号,交款人,金额,方式\n{st['date']},JK{st['date'].replace('-', '')}{st['unit']},"
                f"{st['unit']},业主,{amount},现金\n",
                encoding="utf-8",
            )
            _ok(import_file(ctx, KINDS["deposits"], f, today=today))
    return ctx


def expected() -> dict[str, object]:
    return json.loads((ACCEPTANCE / "expected.json").read_text(encoding="utf-8"))
