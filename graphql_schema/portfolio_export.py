"""``GET /portfolio.csv`` and ``/portfolio.xlsx``: the consultancy's portfolio as a spreadsheet,
for its reports. The same lines, filters and order as the ``portfolio`` query (query
parameters ``country`` (repeatable), ``status`` (repeatable), ``hasDelays``, ``silentForDays``,
``orderBy``, ``descending``), every line rather than a page; headers in the caller's language.
A platform admin or a consultant, with a bearer token; never cached."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.enums import ActionPlanStatus, CompletionLevel
from core.errors import BadUserInput, Forbidden, NotFound, Unauthenticated, UsinaError
from core.i18n import Message, msg
from core.identity.roles import Permission
from core.spreadsheets import RFC4180, Dialect, append_row, csv_row, dialect_named
from core.words import COMPLETION_LEVELS, PLAN_STATUSES, capitalized
from graphql_schema.authentication import identity_of, locale_of
from graphql_schema.errors import refusal
from graphql_schema.portfolio import PortfolioFilter, PortfolioOrder, _Line, portfolio_lines
from plugins.manager import PluginRegistry
from tenants.database import Database

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class _Reader:
    """What a line's codes read as for this reader: words in their language, never codes."""

    locale: str
    instruments: dict[str, Message]

    def status(self, code: str | None) -> str | None:
        if code is None:
            return None
        return capitalized(PLAN_STATUSES[ActionPlanStatus(code)].text(self.locale))

    def level(self, level: CompletionLevel | None) -> str | None:
        if level is None:
            return None
        return capitalized(COMPLETION_LEVELS[level].text(self.locale))

    def instrument(self, name: str | None) -> str | None:
        if name is None:
            return None
        title = self.instruments.get(name)
        return title.text(self.locale) if title is not None else name


#: The columns, in order: (header, value of a line for a reader).
COLUMNS: list[tuple[Message, Any]] = [
    (msg("Municipality", "Municipio", "Município"), lambda ln, r: ln.row.name),
    (msg("Slug", "Identificador", "Identificador"), lambda ln, r: ln.row.slug),
    (msg("Country", "País", "País"), lambda ln, r: ln.row.country),
    (msg("Current plan", "Plan vigente", "Plano vigente"), lambda ln, r: _s(ln, "plan_title")),
    (msg("Plan status", "Estado del plan", "Estado do plano"),
     lambda ln, r: r.status(ln.figure("plan_status"))),
    (msg("Plan progress (%)", "Avance del plan (%)", "Avanço do plano (%)"),
     lambda ln, r: ln.figure("plan_progress")),
    (msg("Completion level", "Nivel de cumplimiento", "Nível de cumprimento"),
     lambda ln, r: r.level(_s(ln, "plan_completion"))),
    *[
        (msg(f"Commitments: {en}", f"Compromisos: {es}", f"Compromissos: {pt}"),
         lambda ln, r, code=code: _by_level(ln, code))
        for code, en, es, pt in (
            ("NOT_STARTED", "not started", "no iniciados", "não iniciados"),
            ("LIMITED", "limited", "limitados", "limitados"),
            ("SUBSTANTIAL", "substantial", "sustanciales", "substanciais"),
            ("COMPLETE", "complete", "completos", "completos"),
        )
    ],
    (msg("Delayed milestones", "Hitos demorados", "Marcos atrasados"),
     lambda ln, r: ln.figure("delayed")),
    (msg("Next milestone due", "Próximo hito", "Próximo marco"),
     lambda ln, r: ln.figure("next_due")),
    (msg("Days since the last report", "Días desde el último reporte",
         "Dias desde o último relatório"), lambda ln, r: ln.figure("silent_days")),
    (msg("Diagnostic instrument", "Instrumento de diagnóstico", "Instrumento de diagnóstico"),
     lambda ln, r: r.instrument(_s(ln, "diagnostic_instrument"))),
    (msg("Baseline score", "Puntaje de línea de base", "Pontuação de linha de base"),
     lambda ln, r: _s(ln, "diagnostic_first_score")),
    (msg("Latest score", "Último puntaje", "Última pontuação"),
     lambda ln, r: ln.figure("diagnostic_score")),
    (msg("Change in score", "Cambio de puntaje", "Mudança de pontuação"),
     lambda ln, r: ln.figure("diagnostic_change")),
    (msg("Co-creation checklist met", "Lista de cocreación cumplida",
         "Lista de cocriação cumprida"), lambda ln, r: _checklist(ln)),
    (msg("Open channels", "Canales abiertos", "Canais abertos"),
     lambda ln, r: ln.figure("open_channels")),
    (msg("Unanswered contributions", "Aportes sin respuesta", "Contribuições sem resposta"),
     lambda ln, r: ln.figure("unanswered")),
]  # fmt: skip


def _s(line: _Line, name: str) -> Any:
    return getattr(line.summary, name) if line.summary is not None else None


def _by_level(line: _Line, code: str) -> int:
    counts = _s(line, "commitments_by_level") or {}
    return int(counts.get(code, 0))


def _checklist(line: _Line) -> str | None:
    total = _s(line, "checklist_total")
    return None if total is None else f"{_s(line, 'checklist_met')}/{total}"


def _bad(name: str, value: str) -> BadUserInput:
    return BadUserInput(
        msg(
            f"{name}={value!r} is not valid.",
            f"{name}={value!r} no es válido.",
            f"{name}={value!r} não é válido.",
        ),
        field=name,
    )


def _filter(request: Request) -> tuple[PortfolioFilter, PortfolioOrder, bool]:
    params = request.query_params
    statuses = []
    for value in params.getlist("status"):
        try:
            statuses.append(ActionPlanStatus(value.upper()))
        except ValueError:
            raise _bad("status", value) from None
    flags = {"true": True, "false": False}
    has_delays = params.get("hasDelays")
    if has_delays is not None and has_delays.lower() not in flags:
        raise _bad("hasDelays", has_delays)
    silent = params.get("silentForDays")
    if silent is not None and not silent.isdigit():
        raise _bad("silentForDays", silent)
    order = params.get("orderBy", "NAME")
    if order not in PortfolioOrder.__members__:
        raise _bad("orderBy", order)
    descending = params.get("descending", "false")
    if descending.lower() not in flags:
        raise _bad("descending", descending)
    where = PortfolioFilter(
        countries=params.getlist("country") or None,
        plan_statuses=statuses or None,
        has_delays=flags[has_delays.lower()] if has_delays is not None else None,
        silent_for_days=int(silent) if silent is not None else None,
    )
    return where, PortfolioOrder[order], flags[descending.lower()]


def to_csv(header: list[str], rows: list[list[Any]], dialect: Dialect = RFC4180) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=dialect.delimiter)
    writer.writerow(csv_row(header, dialect))
    writer.writerows(csv_row(row, dialect) for row in rows)
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so spreadsheets read it as UTF-8


def to_xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Portfolio"
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def endpoint(db: Database, registry: PluginRegistry) -> Any:
    instruments = {name: spec.title for name, (_, spec) in registry.instruments.items()}

    async def export(request: Request) -> Response:
        locale = locale_of(request.scope, request.headers.get("accept-language"))
        try:
            principal = identity_of(request.scope).principal
            if not principal.can(Permission.READ_PORTFOLIO):
                if principal.is_anonymous:
                    raise Unauthenticated(
                        msg(
                            "Sign in as the consultancy's staff to export the portfolio.",
                            "Inicie sesión como personal de la consultora para exportar la "
                            "cartera.",
                            "Entre como equipe da consultoria para exportar a carteira.",
                        )
                    )
                raise Forbidden(
                    msg(
                        "Only the consultancy's staff may export the portfolio.",
                        "Solo el personal de la consultora puede exportar la cartera.",
                        "Só a equipe da consultoria pode exportar a carteira.",
                    )
                )
            fmt = request.path_params["fmt"]
            if fmt not in MEDIA_TYPES:
                raise NotFound(
                    msg(
                        "The portfolio is exported as .csv or .xlsx.",
                        "La cartera se exporta como .csv o .xlsx.",
                        "A carteira é exportada como .csv ou .xlsx.",
                    )
                )
            where, order, descending = _filter(request)
            dialect = dialect_named(request.query_params.get("dialect"), locale)
            if dialect is None:
                raise _bad("dialect", request.query_params["dialect"])
            async with db.session(None) as session:
                lines = await portfolio_lines(session, principal, where, order, descending)
            header = [getattr(title, locale) for title, _ in COLUMNS]
            reader = _Reader(locale, instruments)
            rows = [[value(line, reader) for _, value in COLUMNS] for line in lines]
            content = to_csv(header, rows, dialect) if fmt == "csv" else to_xlsx(header, rows)
            stamp = datetime.now(UTC).strftime("%Y%m%d")
            return Response(
                content,
                media_type=MEDIA_TYPES[fmt],
                headers={
                    "Content-Disposition": f'attachment; filename="portfolio-{stamp}.{fmt}"',
                    "Cache-Control": "no-store",
                },
            )
        except UsinaError as error:
            body, status = refusal(error, locale)
            return JSONResponse(body, status_code=404 if isinstance(error, NotFound) else status)

    return export
