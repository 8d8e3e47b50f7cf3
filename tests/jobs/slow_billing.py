"""`billing …` with the bill run held open in the middle, for the kill -9 test.

After the run has written every bill, run and line row — inside its transaction, before the
commit — this touches $BILLING_TEST_MARKER and sleeps, so the test can kill the scheduler with
SIGKILL exactly in the middle of a bill run. Everything else is the real `billing` command.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import billing.pipeline.billrun as billrun
from billing.cli import main

_write_bills = billrun.write_bills


def _held_open(*args: Any, **kwargs: Any) -> None:
    _write_bills(*args, **kwargs)
    Path(os.environ["BILLING_TEST_MARKER"]).write_text(f"{os.getpid()}\n", encoding="utf-8")
    time.sleep(600)


billrun.write_bills = _held_open

if __name__ == "__main__":
    sys.argv[0] = "billing"
    main()
