"""Parse the server's usage payload into quotaline window and money dicts.

One payload shape serves ``GET /api/oauth/usage``, claude.ai's ``/api/organizations/{org}/usage``
and the ``utilization`` object of Claude Code's ``cachedUsageUtilization``. The shape keeps
migrating (flat windows, then ``limits[]``, then ``spend``), so every part is validated on its
own: a part that does not fit is skipped with a note in ``problems``, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from statusline.core.window import truth
from statusline.core.window.rules import (
    EPOCH_FLOOR,
    FUTURE_SKEW_S,
    KNOWN_POOLS,
    MAX_LABEL_LEN,
    MEMBER,
    POOL_MAX_DOLLARS,
    SCOPE_LABELS,
    clean_name,
    is_number,
    label_for,
    model_family,
    money_scope,
    pool_label,
    same_period,
    window_money_problem,
)

__all__ = [
    "PayloadError",
    "UsageReading",
    "member_dashboard",
    "parse_member_spend",
    "parse_overage_spend_limit",
    "parse_usage",
]

DEFAULT_CURRENCY = "USD"
DEFAULT_EXPONENT = 2

# Flat keys with a fixed window id; any other "seven_day_*"/code-named key keeps its own name.
FLAT_IDS = {
    "five_hour": "five_hour",
    "seven_day": "seven_day",
    "seven_day_opus": "seven_day:opus",
    "seven_day_sonnet": "seven_day:sonnet",
    "seven_day_oauth_apps": "seven_day:oauth_apps",
    "seven_day_cowork": "seven_day:cowork",
    "seven_day_omelette": "seven_day:omelette",
}
# Top-level keys that are not windows even though some of them hold a "utilization" key.
NON_WINDOW_KEYS = frozenset(
    {"extra_usage", "spend", "limits", "seven_day_breakdown", "member_dashboard_available", "error",
     "cedar_ember", "kind_fountain_url"}
)  # fmt: skip
DOLLAR_KEYS = ("limit_dollars", "used_dollars", "remaining_dollars")
KIND_BASE = {"session": "five_hour", "weekly_all": "seven_day", "weekly_scoped": "seven_day"}
_NON_KEY = re.compile(r"[^a-z0-9]+")
_MODEL_NAME = re.compile(r" or instance of _?[A-Za-z]+")


class PayloadError(ValueError):
    """The usage payload is not a JSON object at all."""


@dataclass(frozen=True)
class UsageReading:
    windows: dict[str, dict[str, object]]
    extra_usage: dict[str, object] | None
    problems: list[str]
    # When the server said it: a reply read whole takes back what it no longer names
    # (``merge.forget_unsaid``), unless a newer word stands.
    observed_at: float | None = field(default=None, compare=False)
    # The rest of the server's truth (``core/window/truth.py``): each part the body sent, for
    # ``merge.apply_server``; a part the body did not name is absent.
    server: dict[str, object] = field(default_factory=dict)


def _require_str(value: object) -> object:
    # Without this, pydantic would read a bare number as an epoch and guess seconds vs ms.
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 string")
    return value


Percent = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
MinorAmount = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Exponent = Annotated[int, Field(strict=True, ge=0, le=12)]
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Annotated[datetime, BeforeValidator(_require_str)])


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _FlatWindow(_Loose):
    utilization: Percent | None = None
    resets_at: object = None
    severity: object = None
    is_active: object = None
    # Enterprise usage-billed seats: the window's own money, in dollars.
    limit_dollars: MinorAmount | None = None
    used_dollars: MinorAmount | None = None
    remaining_dollars: MinorAmount | None = None


class _Limit(_Loose):
    kind: Annotated[str, Field(strict=True, min_length=1)]
    percent: Percent | None = None
    percent_precise: object = None  # 2.1.337: for display only, and its nonsense costs nothing (see _shown)
    resets_at: object = None
    severity: object = None
    is_active: object = None
    scope: object = None


class _Amount(_Loose):
    amount_minor: MinorAmount
    currency: object = None
    exponent: Exponent | None = None


class _Spend(_Loose):
    enabled: Annotated[bool, Field(strict=True)]
    used: _Amount | None = None
    limit: _Amount | None = None
    percent: Percent | None = None
    disabled_reason: object = None
    out_of_credits: object = None


class _ExtraUsage(_Loose):
    is_enabled: Annotated[bool, Field(strict=True)]
    monthly_limit: MinorAmount | None = None
    used_credits: MinorAmount | None = None
    utilization: Percent | None = None
    currency: object = None
    decimal_places: Exponent | None = None
    disabled_reason: object = None
    out_of_credits: object = None
    spend_limit_reached: object = None


class _OverageSpendLimit(_Loose):
    is_enabled: Annotated[bool, Field(strict=True)]
    monthly_credit_limit: MinorAmount | None = None
    monthly_limit: MinorAmount | None = None
    used_credits: MinorAmount | None = None
    currency: object = None
    decimal_places: Exponent | None = None
    disabled_reason: object = None
    out_of_credits: object = None


@dataclass(frozen=True)
class _Reading:
    window_id: str
    used_pct: float
    resets_at: float | None
    severity: str | None
    is_active: bool | None
    names: dict[str, str] | None = None  # the server's display name of each scope part of the id
    money: dict[str, object] | None = None  # the window's own dollars (Enterprise usage-billed seats)
    shown_pct: float | None = None  # limits[].percent_precise: drawn, never a level's basis


# ---------------------------------------------------------------------------------------------
# Small helpers


def _short_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "value"
    return f"{where}: {_MODEL_NAME.sub('', first['msg'])}"  # users read it: no class names


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _key(text: str) -> str:
    return _NON_KEY.sub("_", text.lower()).strip("_")


def _parse_reset(raw: object, where: str, problems: list[str]) -> float | None:
    if raw is None:
        return None
    try:
        moment = _TIMESTAMP.validate_python(raw)
    except ValidationError:
        problems.append(f"{where}: resets_at {raw!r} is not an ISO-8601 time; kept without it")
        return None
    if moment.tzinfo is None:
        # The servers always send an offset; a bare time is most plausibly UTC.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


# ---------------------------------------------------------------------------------------------
# Flat windows


def _flat_id(key: str, value: object) -> str | None:
    if key in FLAT_IDS:
        return FLAT_IDS[key]
    if key in NON_WINDOW_KEYS or not isinstance(value, Mapping) or "utilization" not in value:
        return None
    if key.startswith(("five_hour", "seven_day")):
        return key
    # A code-named bucket is no window: one with money is a credit pool (``_pools``); the others
    # (``nimbus_quill``: a fractional utilization, ``resets_at: null``) say nothing quotaline can
    # name, and Claude Code reads none of them. The limits the server enforces are in ``limits[]``.
    return None


def _is_pool(key: str, value: Mapping[str, object]) -> bool:
    return key in KNOWN_POOLS or any(value.get(k) is not None for k in DOLLAR_KEYS)


def _flat_reading(key: str, window_id: str, raw: object, problems: list[str]) -> _Reading | None:
    if raw is None:
        return None
    try:
        window = _FlatWindow.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{key} skipped: {_short_error(exc)}")
        return None
    if window.utilization is None:
        return None
    return _Reading(
        window_id=window_id,
        used_pct=float(window.utilization),
        resets_at=_parse_reset(window.resets_at, key, problems),
        severity=_str_or_none(window.severity),
        is_active=_bool_or_none(window.is_active),
        money=_plausible_money(_window_money(window), key, problems),
    )


def _plausible_money(money: dict[str, object] | None, key: str, problems: list[str]) -> dict[str, object] | None:
    """``money`` when ``rules`` would store it: an implausible amount must not cost the percent."""
    why = None if money is None else window_money_problem(money)
    if why is None:
        return money
    problems.append(f"{key} money skipped: {why}")
    return None


def _window_money(window: _FlatWindow) -> dict[str, object] | None:
    """``limit_dollars``/``used_dollars``/``remaining_dollars`` as the window's money (dollars), or
    None when the server sent none (every other plan sends them as null)."""
    limit, used, left = window.limit_dollars, window.used_dollars, window.remaining_dollars
    if limit is None and used is None and left is None:
        return None
    if used is None and limit is not None and left is not None and left <= limit:
        used = limit - left
    if limit is None and used is not None and left is not None:
        limit = used + left
    return {
        "used": None if used is None else round(float(used), 2),
        "limit": None if limit is None else round(float(limit), 2),
        "currency": "USD",
        "period": None,
    }


def _flat_readings(data: Mapping[str, object], problems: list[str]) -> list[_Reading]:
    readings = []
    for key, raw in data.items():
        window_id = _flat_id(key, raw) if isinstance(key, str) else None
        if window_id is None:
            continue
        reading = _flat_reading(key, window_id, raw, problems)
        if reading is not None:
            readings.append(reading)
    return readings


# ---------------------------------------------------------------------------------------------
# limits[]


def _model_family(model: object) -> str | None:
    if isinstance(model, str):
        return model_family(model)
    if not isinstance(model, Mapping):
        return None
    names = [model.get(key) for key in ("id", "display_name", "name")]
    texts = [name for name in names if isinstance(name, str)]
    return next((family for family in map(model_family, texts) if family), None)


def _surface_key(surface: object) -> str | None:
    if isinstance(surface, str):
        return _key(surface) or None
    if not isinstance(surface, Mapping):
        return None
    for name in ("key", "id", "display_name", "name"):
        value = surface.get(name)
        key = _key(value) if isinstance(value, str) else ""
        if key:
            return key
    return None


def _scope_key(scope: object) -> str | None:
    if not isinstance(scope, Mapping):
        return None
    family = _model_family(scope.get("model"))
    surface = _surface_key(scope.get("surface"))
    parts = [part for part in (family, surface) if part]
    return ":".join(parts) or None


def _display_name(value: object) -> str | None:
    if isinstance(value, str):
        return clean_name(value)
    if not isinstance(value, Mapping):
        return None
    return next((n for n in map(clean_name, (value.get("display_name"), value.get("name"))) if n), None)


def _scope_names(scope: object) -> dict[str, str] | None:
    """The server's display name of each part of ``_scope_key`` (``{"fable": "Fable"}``), cleaned."""
    if not isinstance(scope, Mapping):
        return None
    names: dict[str, str] = {}
    for part, raw in ((_model_family(scope.get("model")), scope.get("model")),
                      (_surface_key(scope.get("surface")), scope.get("surface"))):  # fmt: skip
        name = _display_name(raw)
        if part and name:
            names[part] = name
    return names or None


def _limit_id(limit: _Limit, where: str, problems: list[str]) -> str:
    kind = _key(limit.kind) or "limit"
    scope = _scope_key(limit.scope)
    base = KIND_BASE.get(kind)
    if base is None:
        return f"{kind}:{scope}" if scope else kind
    if kind == "weekly_scoped" and scope is None:
        problems.append(f"{where}: weekly_scoped limit without a readable scope kept as 'weekly_scoped'")
        return kind
    return f"{base}:{scope}" if scope else base


def _limit_reading(index: int, raw: object, problems: list[str]) -> _Reading | None:
    where = f"limits[{index}]"
    try:
        limit = _Limit.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{where} skipped: {_short_error(exc)}")
        return None
    if limit.percent is None:
        return None
    return _Reading(
        window_id=_limit_id(limit, where, problems),
        used_pct=float(limit.percent),
        resets_at=_parse_reset(limit.resets_at, where, problems),
        severity=_str_or_none(limit.severity),
        is_active=_bool_or_none(limit.is_active),
        names=_scope_names(limit.scope),
        shown_pct=_shown(limit),
    )


def _shown(limit: _Limit) -> float | None:
    """``percent_precise`` to draw, when it is a finer spelling of ``percent`` (within a point):
    "a blocked account can read just under 100 there", so levels stay with ``percent``."""
    precise, percent = limit.percent_precise, limit.percent
    if not is_number(precise) or percent is None or not abs(float(precise) - float(percent)) <= 1:
        return None
    return float(precise)


def _limit_readings(data: Mapping[str, object], problems: list[str]) -> list[_Reading]:
    limits = data.get("limits")
    if limits is None:
        return []
    if not isinstance(limits, list):
        problems.append("limits skipped: not a list")
        return []
    readings = (_limit_reading(index, raw, problems) for index, raw in enumerate(limits))
    return [reading for reading in readings if reading is not None]


# ---------------------------------------------------------------------------------------------
# Merging flat windows and limits[] into one window per id


def _prefer(old: _Reading, new: _Reading) -> _Reading:
    """Later period wins; same period: higher percent, ties to ``new`` (limits[] carry severity)."""
    if not same_period(old.resets_at, new.resets_at):
        if old.resets_at is None:
            return new
        if new.resets_at is None:
            return old
        return new if new.resets_at > old.resets_at else old
    winner, loser = (new, old) if new.used_pct >= old.used_pct else (old, new)
    # Same period, same window: the other reading's flags still describe it.
    return replace(
        winner,
        severity=winner.severity if winner.severity is not None else loser.severity,
        is_active=winner.is_active if winner.is_active is not None else loser.is_active,
        names=winner.names or loser.names,
        money=winner.money or loser.money,
        shown_pct=_finer(winner, loser),
    )


def _finer(winner: _Reading, loser: _Reading) -> float | None:
    """The precise percent to draw: the winner's, else the other reading's when it is the same percent."""
    if winner.shown_pct is None and loser.used_pct == winner.used_pct:
        return loser.shown_pct
    return winner.shown_pct


def _window_dict(reading: _Reading, source: str, observed_at: float) -> dict[str, object]:
    window: dict[str, object] = {
        "id": reading.window_id,
        "label": label_for(reading.window_id, reading.names),
        "used_pct": reading.used_pct,
        "resets_at": reading.resets_at,
        "source": source,
        "observed_at": observed_at,
        "session": None,
        "severity": reading.severity,
        "is_active": reading.is_active,
    }
    if reading.names:  # what the server calls it, for JSON readers (the label may be quotaline's own)
        window["server_name"] = clean_name(" · ".join(reading.names.values()), 2 * MAX_LABEL_LEN)
    if reading.shown_pct is not None:
        window["shown_pct"] = reading.shown_pct
    if reading.money is not None:
        window["money"] = reading.money
    return window


def _merge(readings: list[_Reading]) -> dict[str, _Reading]:
    merged: dict[str, _Reading] = {}
    for reading in readings:
        old = merged.get(reading.window_id)
        merged[reading.window_id] = reading if old is None else _prefer(old, reading)
    return merged


# ---------------------------------------------------------------------------------------------
# Money


def _major(minor: float | None, exponent: int) -> float | None:
    if minor is None:
        return None
    return round(minor / float(10**exponent), exponent)


def _currency_in(value: object) -> str | None:
    if isinstance(value, Mapping):
        return _str_or_none(value.get("currency"))
    return None


def _any_currency(data: Mapping[str, object]) -> str | None:
    spend = data.get("spend")
    candidates: list[object] = [data.get("extra_usage")]
    if isinstance(spend, Mapping):
        candidates = [spend.get("used"), spend.get("limit"), spend, *candidates]
    for candidate in candidates:
        currency = _currency_in(candidate)
        if currency:
            return currency
    return None


def _money(
    *,
    enabled: bool,
    used: float | None,
    limit: float | None,
    currency: str | None,
    out_of_credits: object,
    utilization: float | None,
    disabled_reason: object,
    source: str,
    observed_at: float,
    scope: str | None = None,
    spend_limit_reached: object = None,
) -> dict[str, object]:
    reason = _str_or_none(disabled_reason)
    if reason is None and spend_limit_reached is True:
        reason = "spend_limit_reached"
    return {
        "scope": scope,
        "enabled": enabled,
        "used": used,
        "limit": limit,
        "currency": currency or DEFAULT_CURRENCY,
        # The server says it either way: a flag, or the reason usage credits stopped.
        "out_of_credits": out_of_credits is True or reason == "out_of_credits",
        "utilization": utilization,
        "disabled_reason": None if reason is None else reason[:64],
        "source": source,
        "observed_at": observed_at,
    }


def _from_spend(
    spend: _Spend, extra: Mapping[str, object], fallback_currency: str | None, source: str, observed_at: float
) -> dict[str, object]:
    used_exp = spend.used.exponent if spend.used and spend.used.exponent is not None else DEFAULT_EXPONENT
    limit_exp = spend.limit.exponent if spend.limit and spend.limit.exponent is not None else used_exp
    currency = _currency_in(spend.used) if spend.used else None
    out_of_credits = spend.out_of_credits if spend.out_of_credits is not None else extra.get("out_of_credits")
    return _money(
        enabled=spend.enabled,
        used=_major(spend.used.amount_minor, used_exp) if spend.used else None,
        limit=_major(spend.limit.amount_minor, limit_exp) if spend.limit else None,
        currency=currency or fallback_currency,
        out_of_credits=out_of_credits,
        # spend.percent is 0 while no limit is set: it only means something against a limit.
        utilization=float(spend.percent) if spend.limit and spend.percent is not None else None,
        disabled_reason=spend.disabled_reason or extra.get("disabled_reason"),
        source=source,
        observed_at=observed_at,
        spend_limit_reached=extra.get("spend_limit_reached"),
    )


def _from_extra_usage(
    extra: _ExtraUsage, fallback_currency: str | None, source: str, observed_at: float
) -> dict[str, object]:
    exponent = extra.decimal_places if extra.decimal_places is not None else DEFAULT_EXPONENT
    return _money(
        enabled=extra.is_enabled,
        used=_major(extra.used_credits, exponent),
        limit=_major(extra.monthly_limit, exponent),
        currency=_str_or_none(extra.currency) or fallback_currency,
        out_of_credits=extra.out_of_credits,
        utilization=float(extra.utilization) if extra.utilization is not None else None,
        disabled_reason=extra.disabled_reason,
        source=source,
        observed_at=observed_at,
        spend_limit_reached=extra.spend_limit_reached,
    )


_ModelT = TypeVar("_ModelT", bound=_Loose)


def _validated(model: type[_ModelT], raw: object, where: str, problems: list[str]) -> _ModelT | None:
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{where} ignored: {_short_error(exc)}")
        return None


def _extra_usage(
    data: Mapping[str, object], source: str, observed_at: float, problems: list[str]
) -> dict[str, object] | None:
    currency = _any_currency(data)
    raw_extra = data.get("extra_usage")
    spend = _validated(_Spend, data.get("spend"), "spend", problems)
    if spend is not None:
        extra_raw: Mapping[str, object] = raw_extra if isinstance(raw_extra, Mapping) else {}
        return _from_spend(spend, extra_raw, currency, source, observed_at)
    extra = _validated(_ExtraUsage, raw_extra, "extra_usage", problems)
    if extra is None:
        return None
    return _from_extra_usage(extra, currency, source, observed_at)


# ---------------------------------------------------------------------------------------------
# The rest of the server's truth: credit pools, grants, the week's split, the request link

SEAT_LABELS = {"five_hour": "5-hour spend", "seven_day": "Weekly spend"}
Dollars = Annotated[float, Field(strict=True, ge=0, le=POOL_MAX_DOLLARS, allow_inf_nan=False)]


class _Pool(_Loose):
    label: object = None
    resets_at: object = None
    limit_dollars: Dollars | None = None
    used_dollars: Dollars | None = None
    remaining_dollars: Dollars | None = None
    currency: object = None


def _pool(key: str, raw: object, source: str, observed_at: float, problems: list[str]) -> dict[str, object] | None:
    """A pool from a code-named bucket carrying dollars, or None (sent as null, or with no amount).
    Problems name it by its human label: a code name is never said."""
    label = pool_label(key, raw.get("label") if isinstance(raw, Mapping) else None)
    try:
        pool = _Pool.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{label} skipped: {_short_error(exc)}")
        return None
    if pool.limit_dollars is None and pool.used_dollars is None and pool.remaining_dollars is None:
        return None
    currency = _str_or_none(pool.currency)
    return {
        "label": label,
        "used": pool.used_dollars,
        "limit": pool.limit_dollars,
        "remaining": pool.remaining_dollars,
        "currency": currency.upper() if currency and len(currency) <= 8 else DEFAULT_CURRENCY,
        "resets_at": _parse_reset(pool.resets_at, label, problems),
        "source": source,
        "observed_at": observed_at,
    }


def _pools(data: Mapping[str, object], source: str, observed_at: float, problems: list[str]) -> dict[str, object]:
    """``{code name: pool or None}`` for every code-named bucket that is a pool or sent as null
    under a known pool's name; the snapshot keys pools by code name, surfaces never show it."""
    found: dict[str, object] = {}
    for key, raw in data.items():
        if isinstance(key, str) and key in FLAT_IDS and isinstance(raw, Mapping) and raw.get("utilization") is None:
            # An Enterprise usage-billed seat: the window sent without a percent, with money only.
            # Its money is said as money; no percent is made up for it.
            seat = _pool(key, dict(raw, label=SEAT_LABELS.get(key, "Spend")), source, observed_at, problems)
            if seat is not None:
                found[f"seat:{key}"] = seat
            continue
        if not isinstance(key, str) or key in NON_WINDOW_KEYS or key in FLAT_IDS:
            continue
        if key.startswith(("five_hour", "seven_day")):
            continue
        if raw is None:
            if key in KNOWN_POOLS:
                found[key] = None
            continue
        if isinstance(raw, Mapping) and _is_pool(key, raw):
            found[key] = _pool(key, raw, source, observed_at, problems)
    return found


class _Grant(_Loose):
    id: Annotated[str, Field(strict=True, min_length=1, max_length=128)]
    label: object = None
    resets_total: Annotated[int, Field(strict=True, ge=0, le=1000)] | None = None
    resets_left: Annotated[int, Field(strict=True, ge=0, le=1000)] | None = None
    starts_at: object = None
    ends_at: object = None
    clears: object = None
    usable_now: Annotated[bool, Field(strict=True)] | None = None
    paused: Annotated[bool, Field(strict=True)] | None = None


def _grant(index: int, raw: object, problems: list[str]) -> dict[str, object] | None:
    where = f"limit-reset grant {index + 1}"
    try:
        grant = _Grant.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{where} skipped: {_short_error(exc)}")
        return None
    clears = grant.clears if isinstance(grant.clears, list) else []
    ids = [truth.CLEARS[c] for c in clears if isinstance(c, str) and c in truth.CLEARS]
    return {
        "key": grant.id,  # for saying it once; never shown
        "label": clean_name(grant.label, 4 * MAX_LABEL_LEN) or "Limit reset",
        "left": grant.resets_left,
        "total": grant.resets_total,
        "starts_at": _parse_reset(grant.starts_at, where, problems),
        "ends_at": _parse_reset(grant.ends_at, where, problems),
        "clears": list(dict.fromkeys(ids)),
        "usable_now": grant.usable_now,
        "paused": grant.paused,
    }


def _grants(raw: object, source: str, observed_at: float, problems: list[str]) -> dict[str, object]:
    stamp = {"source": source, "observed_at": observed_at}
    if raw is None:
        return {"items": [], "empty": True, **stamp}
    grants = raw.get("grants") if isinstance(raw, Mapping) else None
    if not isinstance(grants, list):
        if isinstance(raw, Mapping) and grants is None:
            return {"items": [], **stamp}
        problems.append("limit-reset grants skipped: not a list")
        return {"items": [], "empty": True, **stamp}
    items = [g for g in (_grant(i, g, problems) for i, g in enumerate(grants[: truth.MAX_GRANTS])) if g]
    return {"items": items, **stamp}


class _Row(_Loose):
    key: Annotated[str, Field(strict=True, min_length=1, max_length=64)]
    display_name: object = None
    percent: Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]


def _breakdown(raw: object, source: str, observed_at: float, problems: list[str]) -> dict[str, object]:
    stamp = {"source": source, "observed_at": observed_at}
    rows_raw = raw.get("rows") if isinstance(raw, Mapping) else None
    if not isinstance(raw, Mapping) or not isinstance(rows_raw, list):
        if raw is not None:
            problems.append("seven_day_breakdown skipped: no rows")
        return {"empty": True, **stamp}
    rows = []
    for i, row_raw in enumerate(rows_raw[: truth.MAX_ROWS]):
        try:
            row = _Row.model_validate(row_raw)
        except ValidationError as exc:
            problems.append(f"seven_day_breakdown.rows[{i}] skipped: {_short_error(exc)}")
            continue
        key = _key(row.key) or "other"
        name = clean_name(row.display_name) or SCOPE_LABELS.get(key) or key.replace("_", " ").capitalize()
        rows.append({"key": key, "label": name, "percent": float(row.percent)})
    if not rows:
        return {"empty": True, **stamp}
    # Its times only date the split: one that does not parse leaves it undated.
    as_of = _parse_reset(raw.get("as_of"), "seven_day_breakdown", [])
    started = _parse_reset(raw.get("window_started_at"), "seven_day_breakdown", [])
    as_of, started = (t if t is not None and EPOCH_FLOOR <= t <= observed_at + FUTURE_SKEW_S else None
                      for t in (as_of, started))  # fmt: skip
    return {"as_of": as_of, "window_started_at": started, "rows": rows, **stamp}


def _server_parts(
    data: Mapping[str, object], source: str, observed_at: float, problems: list[str]
) -> dict[str, object]:
    parts: dict[str, object] = {}
    pools = _pools(data, source, observed_at, problems)
    if pools:
        parts["pools"] = pools
    if "cedar_ember" in data:
        parts["grants"] = _grants(data["cedar_ember"], source, observed_at, problems)
    if "seven_day_breakdown" in data:
        parts["breakdown"] = _breakdown(data["seven_day_breakdown"], source, observed_at, problems)
    if "kind_fountain_url" in data:
        url = truth.request_url(data["kind_fountain_url"])
        if url is None and data["kind_fountain_url"] is not None:
            problems.append("kind_fountain_url ignored: not an https link off Claude's domains")
        stamp = {"source": source, "observed_at": observed_at}
        parts["more_usage_url"] = {"url": url, **stamp} if url else {"empty": True, **stamp}
    return parts


# ---------------------------------------------------------------------------------------------
# Public API


def parse_usage(
    data: object, *, source: str, observed_at: float, plan: str | None = None, single_seat: object = None
) -> UsageReading:
    """Windows and extra usage from one usage payload; raises PayloadError only for a non-object.

    ``plan`` (the credentials' subscriptionType) and ``single_seat`` (``oauthAccount.singleSeatTeam``)
    say whose the money is (``rules.money_scope``); without them it is not said."""
    if not isinstance(data, Mapping):
        raise PayloadError(f"usage payload is {type(data).__name__}, not a JSON object")
    problems: list[str] = []
    error = data.get("error")
    if isinstance(error, Mapping):
        problems.append(f"payload is an error body: {error.get('type') or error.get('message')}")
    observed = float(observed_at)
    merged = _merge(_flat_readings(data, problems) + _limit_readings(data, problems))
    windows = {window_id: _window_dict(r, source, observed) for window_id, r in merged.items()}
    extra = _extra_usage(data, source, observed, problems)
    if extra is not None:
        extra["scope"] = money_scope(plan, single_seat)
    server = _server_parts(data, source, observed, problems)
    return UsageReading(windows=windows, extra_usage=extra, problems=problems, observed_at=observed, server=server)


def member_dashboard(data: object) -> bool:
    """The payload says the organisation has a per-member view (Team and Enterprise)."""
    return isinstance(data, Mapping) and data.get("member_dashboard_available") is True


class _MemberSpend(_Loose):
    """claude.ai's ``/usage/spend`` (a member's own month): undocumented, so any of the money shapes
    the usage endpoints use is read (``spend``'s amounts, ``extra_usage``'s minor units)."""

    used: _Amount | None = None
    limit: _Amount | None = None
    percent: Percent | None = None
    used_credits: MinorAmount | None = None
    monthly_limit: MinorAmount | None = None
    monthly_credit_limit: MinorAmount | None = None
    currency: object = None
    decimal_places: Exponent | None = None


def parse_member_spend(data: object) -> dict[str, object] | None:
    """``{"used", "limit", "currency", "utilization", "scope": "member"}`` (major units) from a
    ``/usage/spend`` body, or None when it holds no amount quotaline can read."""
    if isinstance(data, Mapping) and isinstance(data.get("spend"), Mapping):
        data = data["spend"]
    try:
        body = _MemberSpend.model_validate(data)
    except ValidationError:
        return None
    if body.used is not None:
        exp = body.used.exponent if body.used.exponent is not None else DEFAULT_EXPONENT
        limit_exp = body.limit.exponent if body.limit and body.limit.exponent is not None else exp
        used = _major(body.used.amount_minor, exp)
        limit = _major(body.limit.amount_minor, limit_exp) if body.limit else None
        currency = _str_or_none(body.used.currency) or _str_or_none(body.currency)
    elif body.used_credits is not None:
        exp = body.decimal_places if body.decimal_places is not None else DEFAULT_EXPONENT
        used = _major(body.used_credits, exp)
        cap = body.monthly_limit if body.monthly_limit is not None else body.monthly_credit_limit
        limit = _major(cap, exp)
        currency = _str_or_none(body.currency)
    else:
        return None
    return {
        "used": used,
        "limit": limit,
        "currency": currency or DEFAULT_CURRENCY,
        "utilization": float(body.percent) if limit and body.percent is not None else None,
        "scope": MEMBER,
    }


def parse_overage_spend_limit(data: object, *, source: str, observed_at: float) -> dict[str, object] | None:
    """The money dict from claude.ai's ``/overage_spend_limit`` body (minor units), or None."""
    try:
        body = _OverageSpendLimit.model_validate(data)
    except ValidationError:
        return None
    exponent = body.decimal_places if body.decimal_places is not None else DEFAULT_EXPONENT
    limit = body.monthly_credit_limit if body.monthly_credit_limit is not None else body.monthly_limit
    return _money(
        enabled=body.is_enabled,
        used=_major(body.used_credits, exponent),
        limit=_major(limit, exponent),
        currency=_str_or_none(body.currency),
        out_of_credits=body.out_of_credits,
        utilization=None,
        disabled_reason=body.disabled_reason,
        source=source,
        observed_at=float(observed_at),
    )
