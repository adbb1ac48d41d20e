"""Settings a person fills in: each field's title and description in Spanish, English and
Portuguese, carried in the settings model's JSON Schema.

A plugin declares a field with ``setting(default, title=msg(...), description=msg(...), ...)``
(pydantic's constraints as keywords). The schema keeps the three texts under
``x-usina-i18n``; ``localized_schema`` gives the schema with ``title`` and ``description`` in
one language, which is what a form generator (the console, a portal) shows.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.i18n import Message

I18N = "x-usina-i18n"


def setting(
    default: Any, *, title: Message, description: Message | None = None, **constraints: Any
) -> Any:
    """A settings field with its words in the three languages."""
    texts: dict[str, Any] = {"title": title.as_dict()}
    if description is not None:
        texts["description"] = description.as_dict()
    return Field(
        default=default,
        title=title.en,
        description=description.en if description is not None else None,
        json_schema_extra={I18N: texts},
        **constraints,
    )


def localized_schema(model: type[BaseModel], locale: str) -> dict[str, Any]:
    """``model``'s JSON Schema with its fields' titles and descriptions in ``locale``."""
    schema = model.model_json_schema()
    for definition in (schema, *schema.get("$defs", {}).values()):
        for field in definition.get("properties", {}).values():
            texts = field.get(I18N) or {}
            for key in ("title", "description"):
                if key in texts:
                    field[key] = Message(**texts[key]).text(locale)
    return schema


def untitled(model: type[BaseModel]) -> list[str]:
    """The fields of ``model`` without their words in the three languages (a meta-test wants
    none)."""
    schema = model.model_json_schema()
    return [
        name
        for name, field in schema.get("properties", {}).items()
        if "title" not in (field.get(I18N) or {})
    ]
