"""GET /api/e-paiements/export.csv — the e-Paiements list as CSV (F-63).

Query: ?ticket=…&statut=…&q=…&tri=…&du=…&au=…&pdv=…&vendeur=…

The ticket comes from the guarded "Exporter (CSV)" handler (services.dashboards.export); everything is
checked before the first byte is sent, so a refusal is a clear 403, never a truncated file.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ..db import session_scope
from ..domain.errors import DomainError
from ..domain.inputs import BadInput
from ..domain.tracking import Narrowing, SortOrder, parse_filter_keys
from ..services.dashboards import export, tracking
from .routes import API_ROUTES

log = logging.getLogger(__name__)


def _prepare(params) -> tuple[tracking.Viewer, dict]:
    with session_scope(write=False) as session:
        user = export.user_for_ticket(session, params.get("ticket", ""))
        viewer = tracking.viewer_for(session, user)
        options = dict(
            filter_keys=parse_filter_keys(params.get("statut") or None),
            query=params.get("q", ""),
            order=SortOrder.NEWEST_FIRST if params.get("tri") == "desc" else SortOrder.OLDEST_FIRST,
            narrowing=Narrowing.from_params(params),
        )
        export.export_statement(session, viewer, **options)  # raises TrackingRefused before streaming
        return viewer, options


def _chunks(viewer: tracking.Viewer, options: dict):
    with session_scope(write=False, stream=True) as session:
        yield from export.csv_chunks(session, export.export_statement(session, viewer, **options))


async def export_csv(request: Request) -> Response:
    try:
        viewer, options = await run_in_threadpool(_prepare, request.query_params)
    except BadInput as exc:
        return PlainTextResponse(str(exc), status_code=400)
    except DomainError as exc:
        return PlainTextResponse(str(exc), status_code=403)
    except Exception:  # never a 500 nor a traceback: the export is simply not available now
        log.exception("CSV export could not be prepared")
        return PlainTextResponse("Export momentanément indisponible. Réessayez dans un instant.", status_code=503)
    log.info("CSV export by user %s (%s)", viewer.user_id, viewer.group.value)
    return StreamingResponse(
        _chunks(viewer, options),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename()}"', "Cache-Control": "no-store"},
    )


API_ROUTES.append(Route(export.PATH, export_csv, methods=["GET"]))
