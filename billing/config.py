"""Workspace configuration: settings.toml and tariffs.toml, validated on load.

TOML numbers are parsed as Decimal (`parse_float=Decimal`), so no amount or rate ever passes
through a float. A mistake is reported with the file, the key and what was expected.
"""

from __future__ import annotations

import itertools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from billing.domain.money import RoundingMode
from billing.domain.problem import Problem
from billing.domain.records import UnitKind, Utility
from billing.domain.tariff import Basis, SharedPrice, Tariffs, TariffVersion, Tier


class ConfigError(Exception):
    """A config file that does not validate; carries one problem per mistake."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("; ".join(p.render("en") for p in problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _decimal(v: Any) -> Any:
    if isinstance(v, float):  # cannot happen with parse_float=Decimal; refuse anyway
        raise ValueError("write the number as a string")
    if isinstance(v, str):
        try:
            d = Decimal(v.strip())
        except ArithmeticError as exc:
            raise ValueError(f"not a decimal number: {v!r}") from exc
        if not d.is_finite():
            raise ValueError(f"not a finite number: {v!r}")
        return d
    return v


class LateFeeSettings(_Model):
    daily_rate: Decimal = Field(default=Decimal("0.0005"), ge=0, le=1)
    grace_days: int = Field(default=0, ge=0)
    cap_ratio: Decimal = Field(default=Decimal(1), ge=0)

    _dec = field_validator("daily_rate", "cap_ratio", mode="before")(_decimal)


class RoundingSettings(_Model):
    mode: RoundingMode = RoundingMode.HALF_UP


class DatabaseSettings(_Model):
    url: str = "sqlite:///billing.db"


class ContactSettings(_Model):
    phone: str = ""
    address: str = ""
    counter_hours: str = ""
    bank_name: str = ""
    bank_account: str = ""
    account_name: str = ""


class BalanceSettings(_Model):
    warn_loss_rate: Decimal = Decimal("0.05")

    _dec = field_validator("warn_loss_rate", mode="before")(_decimal)


class AccountSettings(_Model):
    bank: str = "1002"
    cash: str = "1001"
    receivable: str = "1122"
    income_water: str = "6001.01"
    income_electricity: str = "6001.02"
    income_shared_water: str = "6001.03"
    income_shared_electricity: str = "6001.04"
    income_management: str = "6001.05"
    income_late_fee: str = "6301"
    income_adjustment: str = "6001.09"


class NotifySettings(_Model):
    command: str | None = None


class ClusterSettings(_Model):
    scheduler: str | None = None
    workers: int | None = Field(default=None, ge=1)


class Settings(_Model):
    company: str = "示例物业服务有限公司"
    language: Literal["zh-CN", "en"] = "zh-CN"
    due_day: int = Field(default=15, ge=1, le=28)
    late_fee: LateFeeSettings = LateFeeSettings()
    rounding: RoundingSettings = RoundingSettings()
    database: DatabaseSettings = DatabaseSettings()
    contact: ContactSettings = ContactSettings()
    balance: BalanceSettings = BalanceSettings()
    accounts: AccountSettings = AccountSettings()
    notify: NotifySettings = NotifySettings()
    cluster: ClusterSettings = ClusterSettings()


# --- tariffs.toml -----------------------------------------------------------------------------


class _TierModel(_Model):
    upto: Decimal | None = Field(default=None, gt=0)
    price: Decimal = Field(ge=0)

    _dec = field_validator("upto", "price", mode="before")(_decimal)


class _MeteredModel(_Model):
    tiers: tuple[_TierModel, ...] | None = None
    price: Decimal | None = Field(default=None, ge=0)

    _dec = field_validator("price", mode="before")(_decimal)

    def to_tiers(self) -> tuple[Tier, ...]:
        if self.tiers is None and self.price is None:
            raise ValueError("give either tiers or price")
        if self.tiers is not None and self.price is not None:
            raise ValueError("give tiers or price, not both")
        if self.price is not None:
            return (Tier(upto=None, price=self.price),)
        assert self.tiers is not None
        tiers = tuple(Tier(upto=t.upto, price=t.price) for t in self.tiers)
        bounds = [t.upto for t in tiers[:-1]]
        if not tiers or tiers[-1].upto is not None or any(b is None for b in bounds):
            raise ValueError("every tier but the last needs `upto`; the last has none")
        if any(a >= b for a, b in itertools.pairwise(bounds) if a is not None and b is not None):
            raise ValueError("tier bounds must increase")
        return tiers


class _UtilityModel(_Model):
    residence: _MeteredModel
    shop: _MeteredModel


class _ManagementModel(_Model):
    residence: Decimal = Field(ge=0)
    shop: Decimal = Field(ge=0)

    _dec = field_validator("residence", "shop", mode="before")(_decimal)


class _SharedModel(_Model):
    price: Decimal = Field(ge=0)
    basis: Basis = Basis.AREA

    _dec = field_validator("price", mode="before")(_decimal)


class _SharedPair(_Model):
    water: _SharedModel
    electricity: _SharedModel


class _VersionModel(_Model):
    effective_from: date
    water: _UtilityModel
    electricity: _UtilityModel
    management: _ManagementModel
    shared: _SharedPair


class _TariffsModel(_Model):
    version: tuple[_VersionModel, ...] = Field(min_length=1)


# --- loading ------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError as exc:
        raise ConfigError((Problem.error("FILE_NOT_FOUND", file=str(path)),)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            (Problem.error("CONFIG", file=str(path), key="(file)", expected=str(exc)),)
        ) from exc


def _errors(path: Path, exc: ValidationError) -> ConfigError:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(file)"
        problems.append(Problem.error("CONFIG", file=str(path), key=key, expected=err["msg"]))
    return ConfigError(tuple(problems))


def load_settings(path: Path) -> Settings:
    try:
        return Settings.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise _errors(path, exc) from exc


def load_tariffs(path: Path) -> Tariffs:
    try:
        model = _TariffsModel.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise _errors(path, exc) from exc
    versions = []
    problems = []
    for i, v in enumerate(model.version):
        metered: dict[tuple[Utility, UnitKind], tuple[Tier, ...]] = {}
        for utility, um in ((Utility.WATER, v.water), (Utility.ELECTRICITY, v.electricity)):
            for kind, mm in ((UnitKind.RESIDENCE, um.residence), (UnitKind.SHOP, um.shop)):
                try:
                    metered[(utility, kind)] = mm.to_tiers()
                except ValueError as exc:
                    problems.append(
                        Problem.error(
                            "CONFIG", file=str(path), key=f"version.{i}.{utility}.{kind}", expected=str(exc)
                        )
                    )
        shared: Mapping[Utility, SharedPrice] = {
            Utility.WATER: SharedPrice(price=v.shared.water.price, basis=v.shared.water.basis),
            Utility.ELECTRICITY: SharedPrice(
                price=v.shared.electricity.price, basis=v.shared.electricity.basis
            ),
        }
        management = {UnitKind.RESIDENCE: v.management.residence, UnitKind.SHOP: v.management.shop}
        versions.append(
            TariffVersion(
                effective_from=v.effective_from, metered=metered, management=management, shared=shared
            )
        )
    dates = [v.effective_from for v in versions]
    if len(set(dates)) != len(dates):
        problems.append(
            Problem.error(
                "CONFIG",
                file=str(path),
                key="version.effective_from",
                expected="each version starts on a different date",
            )
        )
    if problems:
        raise ConfigError(tuple(problems))
    return Tariffs(tuple(versions))


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace folder: config/, inbox/, out/ and (by default) the SQLite database."""

    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def banks_dir(self) -> Path:
        return self.config_dir / "banks"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def inbox_dir(self) -> Path:
        return self.root / "inbox"

    def settings(self) -> Settings:
        return load_settings(self.config_dir / "settings.toml")

    def tariffs(self) -> Tariffs:
        return load_tariffs(self.config_dir / "tariffs.toml")

    def database_url(self, settings: Settings | None = None) -> str:
        """BILLING_DATABASE_URL, else `[database] url`; a relative SQLite path is relative to the workspace."""
        url = os.environ.get("BILLING_DATABASE_URL") or (settings or self.settings()).database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            url = prefix + str((self.root / url[len(prefix) :]).resolve())
        return url


DEFAULTS = Path(__file__).parent / "defaults"
