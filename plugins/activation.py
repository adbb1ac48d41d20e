"""Per-municipality activation: which plugins act for a municipality, with which settings.

Every installed plugin is registered once in the manager; a municipality's calls go through
``pm.subset_hook_caller(name, remove_plugins=disabled)``, cached per set of disabled plugins.
Settings are validated against the plugin's pydantic model, versioned and audited.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.errors import BadUserInput, NotFound, PluginDisabled
from core.i18n import Message, msg
from core.identity.principal import Principal
from plugins.manager import PluginRegistry
from plugins.records import DomainEvent, Objection, PluginInfo
from tenants.plugin_activations import PluginActivation, activations

log = logging.getLogger("usina.plugins")


def enabled_names(rows: dict[str, PluginActivation], registry: PluginRegistry) -> frozenset[str]:
    return frozenset(n for n, row in rows.items() if row.enabled and n in registry.infos)


#: What each kind of contribution is called in errors: (English, Spanish with its article).
SPEC_KINDS: dict[str, tuple[str, str, str]] = {
    "instrument": ("instrument", "un instrumento", "um instrumento"),
    "channel_kind": ("channel kind", "un tipo de canal", "um tipo de canal"),
    "framework": ("framework", "un marco", "um marco de avaliação"),
}


def installed_spec(
    registry: PluginRegistry, kind: str, name: str, *, field: str
) -> tuple[str, Any]:
    """``(plugin, spec)`` of the installed instrument, channel kind or framework ``name``, or
    ``BAD_USER_INPUT`` naming ``field``."""
    tables: dict[str, dict[str, Any]] = {
        "instrument": registry.instruments,
        "channel_kind": registry.channel_kinds,
        "framework": registry.frameworks,
    }
    found: tuple[str, Any] | None = tables[kind].get(name)
    if found is None:
        en, es, pt = SPEC_KINDS[kind]
        raise BadUserInput(
            msg(
                f"No {en} '{name}' is installed.",
                f"No hay {es} '{name}' instalado.",
                f"Não há {pt} '{name}' instalado.",
            ),
            field=field,
        )
    return found


def require_enabled(registry: PluginRegistry, enabled: frozenset[str], plugin: str) -> None:
    if plugin not in enabled:
        info = registry.info(plugin)
        raise PluginDisabled(
            msg(
                f"The plugin '{info.title.en if info else plugin}' is not enabled for this "
                "municipality.",
                f"El complemento '{info.title.es if info else plugin}' no está habilitado "
                "para este municipio.",
                f"O complemento '{info.title.pt if info else plugin}' não está habilitado "
                "para este município.",
            ),
            details={"plugin": plugin},
        )


#: pydantic's error types in the three languages (pydantic speaks English only), with the
#: constraint and the value given: ``{ge}``, ``{le}``, ``{max_length}``... from the error's
#: ``ctx``, ``{input}`` the value refused.
PYDANTIC: dict[str, Message] = {
    **dict.fromkeys(
        ("bool_parsing", "bool_type"),
        msg(
            "true or false is expected, not {input}",
            "se espera verdadero o falso, no {input}",
            "espera-se verdadeiro ou falso, não {input}",
        ),
    ),
    **dict.fromkeys(
        ("int_parsing", "int_type", "int_from_float"),
        msg(
            "a whole number is expected, not {input}",
            "se espera un número entero, no {input}",
            "espera-se um número inteiro, não {input}",
        ),
    ),
    **dict.fromkeys(
        ("float_parsing", "float_type"),
        msg(
            "a number is expected, not {input}",
            "se espera un número, no {input}",
            "espera-se um número, não {input}",
        ),
    ),
    "string_type": msg(
        "a text is expected, not {input}",
        "se espera un texto, no {input}",
        "espera-se um texto, não {input}",
    ),
    "greater_than_equal": msg(
        "it must be at least {ge}, not {input}",
        "debe ser al menos {ge}, no {input}",
        "deve ser no mínimo {ge}, não {input}",
    ),
    "greater_than": msg(
        "it must be more than {gt}, not {input}",
        "debe ser mayor que {gt}, no {input}",
        "deve ser maior que {gt}, não {input}",
    ),
    "less_than_equal": msg(
        "it must be at most {le}, not {input}",
        "debe ser como máximo {le}, no {input}",
        "deve ser no máximo {le}, não {input}",
    ),
    "less_than": msg(
        "it must be less than {lt}, not {input}",
        "debe ser menor que {lt}, no {input}",
        "deve ser menor que {lt}, não {input}",
    ),
    "string_too_short": msg(
        "it needs at least {min_length} characters",
        "necesita al menos {min_length} caracteres",
        "precisa de pelo menos {min_length} caracteres",
    ),
    "string_too_long": msg(
        "it takes at most {max_length} characters",
        "admite como máximo {max_length} caracteres",
        "admite no máximo {max_length} caracteres",
    ),
    "list_type": msg("a list is expected", "se espera una lista", "espera-se uma lista"),
    "dict_type": msg("an object is expected", "se espera un objeto", "espera-se um objeto"),
    **dict.fromkeys(
        ("literal_error", "enum"),
        msg(
            "it must be one of {expected}, not {input}",
            "debe ser uno de {expected}, no {input}",
            "deve ser um de {expected}, não {input}",
        ),
    ),
    "missing": msg("a value is required", "falta el valor", "falta o valor"),
}


def _shown(value: Any) -> str:
    """A value inside a sentence: text quoted, anything else as JSON writes it."""
    if isinstance(value, str):
        return f"'{value[:80]}'"
    return json.dumps(value, ensure_ascii=False, default=str)[:80]


def _pydantic_message(where: str, error: Any) -> Message:
    template = PYDANTIC.get(error["type"])
    if template is None:
        return msg(
            f"Invalid value for '{where}': {error['msg']}.",
            f"Valor inválido para '{where}'.",
            f"Valor inválido para '{where}'.",
        )
    values = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    values["input"] = _shown(error.get("input"))
    return msg(
        f"Invalid value for '{where}': {template.en.format_map(values)}.",
        f"Valor inválido para '{where}': {template.es.format_map(values)}.",
        f"Valor inválido para '{where}': {template.pt.format_map(values)}.",
    )


def validate_model(model: type[BaseModel], data: Any, field: str) -> dict[str, Any]:
    """``data`` as a plugin's pydantic ``model`` normalises it, or BAD_USER_INPUT naming the
    first offending entry (``field: <field>.<name>``). Used for settings and channel rules.
    An unknown name is refused too: a misspelt setting would otherwise keep its default."""
    fields = model.model_fields
    known = set(fields) | {f.alias for f in fields.values() if f.alias}
    for name in data if isinstance(data, dict) else ():
        if name not in known:
            listed = ", ".join(sorted(fields)) or "-"
            raise BadUserInput(
                msg(
                    f"Unknown '{name}' (known: {listed}).",
                    f"'{name}' no existe (existentes: {listed}).",
                    f"'{name}' não existe (existentes: {listed}).",
                ),
                field=f"{field}.{name}",
            )
    try:
        return model.model_validate(data or {}).model_dump(mode="json")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadUserInput(
            _pydantic_message(where or field, first),
            field=f"{field}.{where}" if where else field,
            details={"reason": first["msg"]},
        ) from None


def validate_settings(info: PluginInfo, settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings as the plugin's model normalises them (``field: settings.<name>``)."""
    if info.settings is None:
        if settings:
            raise BadUserInput(
                msg(
                    "This plugin has no settings.",
                    "Este complemento no tiene ajustes.",
                    "Este complemento não tem configurações.",
                ),
                field="settings",
            )
        return {}
    return validate_model(info.settings, settings, "settings")


async def configure(
    session: AsyncSession,
    by: Principal,
    registry: PluginRegistry,
    plugin: str,
    *,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
) -> PluginActivation:
    """Enable, disable or configure ``plugin`` for the bound municipality."""
    info = registry.info(plugin)
    if info is None:
        raise NotFound(
            msg(
                f"No plugin '{plugin}' is installed.",
                f"No hay un complemento '{plugin}' instalado.",
                f"Não há um complemento '{plugin}' instalado.",
            ),
            field="plugin",
        )
    rows = await activations(session)
    row = rows.get(plugin)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = PluginActivation(plugin=plugin, enabled=False, settings={}, version=0)
        session.add(row)
    if settings is not None or row.version == 0:
        row.settings = validate_settings(info, settings if settings is not None else row.settings)
    if enabled is not None:
        row.enabled = enabled
    row.version = (row.version or 0) + 1
    await session.flush()
    audit.record(session, by, "plugin.configure", row, before=before)
    return row


@lru_cache(maxsize=1024)
def _caller(registry: PluginRegistry, hook: str, disabled: frozenset[str]) -> Any:
    pm = registry.pm
    return pm.subset_hook_caller(hook, remove_plugins=[pm.get_plugin(n) for n in disabled])


def hook_caller(registry: PluginRegistry, hook: str, enabled: Iterable[str]) -> Any:
    """The hook as the municipality sees it: only its enabled plugins answer."""
    disabled = frozenset(registry.infos) - frozenset(enabled)
    return _caller(registry, hook, disabled)


async def await_me_maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def dispatch(
    registry: PluginRegistry, enabled: Iterable[str], events: Iterable[DomainEvent]
) -> None:
    """Tell the municipality's enabled plugins what happened (after commit), through pluggy.

    Every implementation's coroutine is awaited on its own: a failing plugin is logged and
    affects neither the others nor the change. (A *synchronous* implementation that raises
    ends pluggy's call for that event, as pluggy does; ``docs/plugins.md`` says to write
    ``on_event`` as ``async def``.)
    """
    caller = hook_caller(registry, "on_event", enabled)
    for event in events:
        try:
            results = caller(event=event)
        except Exception:
            log.exception("a plugin failed on %s", event.kind)
            continue
        for result in results:
            try:
                await await_me_maybe(result)
            except Exception:
                log.exception("a plugin failed on %s", event.kind)


async def transition_objections(
    registry: PluginRegistry, enabled: Iterable[str], session: Any, plan: Any, to: str
) -> list[Objection]:
    """What the municipality's enabled plugins object to ``plan`` moving to ``to``, each
    reason as an ``Objection`` (a plugin may return bare messages)."""
    caller = hook_caller(registry, "check_plan_transition", enabled)
    reasons: list[Objection] = []
    for result in caller(session=session, plan=plan, to=to):
        for reason in await await_me_maybe(result) or ():
            reasons.append(reason if isinstance(reason, Objection) else Objection(reason))
    return reasons
