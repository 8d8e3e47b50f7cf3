"""`billing init`: a workspace with the default config and an empty, migrated database."""

from __future__ import annotations

import shutil
from pathlib import Path

from billing.config import DEFAULTS, Workspace
from billing.pipeline.context import StepResult, open_context

FOLDERS = ("config/banks", "inbox/readings", "inbox/deposits", "inbox/returns", "out")


def init_workspace(root: Path) -> StepResult:
    """Create the folders, copy the default config where none exists, migrate the database.

    Running it on an existing workspace keeps its config and data (it only adds what is missing).
    """
    result = StepResult()
    ws = Workspace(root)
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for name in ("settings.toml", "tariffs.toml", "schedule.toml"):
        target = ws.config_dir / name
        if not target.exists() and (DEFAULTS / name).exists():
            shutil.copyfile(DEFAULTS / name, target)
    for preset in sorted((DEFAULTS / "banks").glob("*.toml")) if (DEFAULTS / "banks").exists() else ():
        target = ws.banks_dir / preset.name
        if not target.exists():
            shutil.copyfile(preset, target)
    ctx = open_context(root)
    ctx.engine.dispose()
    result.say(f"workspace ready: {root.resolve()}")
    return result
