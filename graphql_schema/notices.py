"""The links in participants' e-mails: ``/notifications/unsubscribe/{slug}/{token}`` and
``/notifications/confirm/{slug}/{token}``.

Opening a link (``GET``) shows a page with one button and changes nothing, because mail
scanners open links on their own; the button (``POST``) acts. A mail client's one-click
unsubscribe (RFC 8058, ``List-Unsubscribe-Post``) posts to the same address. Pages are in the
municipality's language; a client that asks for JSON gets the API's error shape instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from core.errors import UsinaError
from core.i18n import Message, msg, pick_locale
from core.identity.principal import Principal
from core.notifications import participants
from core.notifications.models import ParticipantContact
from graphql_schema.errors import address_refusal
from tenants.access import binding_for, find_municipality
from tenants.directory import MunicipalityDirectory
from tenants.unit_of_work import UnitOfWork

#: Who acts when a link is followed: whoever holds the link, for the participant it names.
LINK_HOLDER = Principal(subject="e-mail link", role=None, authenticated=False)

Action = Callable[[AsyncSession, Principal, str], Awaitable[ParticipantContact]]


class Notice:
    def __init__(self, ask: Message, button: Message, done: Message, action: Action) -> None:
        self.ask, self.button, self.done, self.action = ask, button, done, action


UNSUBSCRIBE = Notice(
    msg(
        "Stop receiving notices about your participation?",
        "¿Dejar de recibir avisos sobre su participación?",
        "Deixar de receber avisos sobre a sua participação?",
    ),
    msg("Stop the notices", "Dejar de recibirlos", "Deixar de recebê-los"),
    msg(
        "Done: you will receive no more notices. You can switch them on again in your "
        "notification preferences.",
        "Listo: no recibirá más avisos. Puede volver a activarlos en sus preferencias de aviso.",
        "Pronto: você não receberá mais avisos. Pode voltar a ativá-los nas suas preferências "
        "de aviso.",
    ),
    participants.unsubscribe,
)
CONFIRM = Notice(
    msg(
        "Receive the notices about your participation at this address?",
        "¿Recibir en esta dirección los avisos sobre su participación?",
        "Receber neste endereço os avisos sobre a sua participação?",
    ),
    msg("Confirm the address", "Confirmar la dirección", "Confirmar o endereço"),
    msg(
        "Done: notices about your participation will come to this address.",
        "Listo: los avisos sobre su participación llegarán a esta dirección.",
        "Pronto: os avisos sobre a sua participação chegarão a este endereço.",
    ),
    participants.confirm_email,
)

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body><main><h1>{municipality}</h1>{content}</main></body></html>
"""


def _page(lang: str, municipality: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(
            lang=lang,
            title=escape(municipality),
            municipality=escape(municipality),
            content=content,
        ),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def endpoint(
    notice: Notice, *, uow: UnitOfWork, directory: MunicipalityDirectory
) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        locale = pick_locale(request.headers.get("accept-language"))
        slug = request.path_params["slug"]
        token = request.path_params["token"]
        try:
            municipality = await find_municipality(directory, slug, LINK_HOLDER)
            locale = municipality.locale.value
            if request.method != "POST":
                form = (
                    f"<p>{escape(notice.ask.text(locale))}</p>"
                    f'<form method="post"><button type="submit">'
                    f"{escape(notice.button.text(locale))}</button></form>"
                )
                return _page(locale, municipality.name, form)
            async with uow.transaction(binding_for(LINK_HOLDER, municipality)) as session:
                await notice.action(session, LINK_HOLDER, token)
            return _page(locale, municipality.name, f"<p>{escape(notice.done.text(locale))}</p>")
        except UsinaError as error:
            body, status = address_refusal(error, locale)
            if "application/json" in request.headers.get("accept", ""):
                return JSONResponse(body, status_code=status)
            return _page(
                locale,
                "Usina",
                f'<p data-code="{escape(error.code)}">{escape(error.message.text(locale))}</p>',
                status,
            )

    return handle
