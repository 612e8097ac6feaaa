"""The web application: a thin layer that routes requests to the store and the protocol module."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server.errors import RkgError
from server.formats import GRAPH_TYPES, RESULT_TYPES
from server.sparql import ProtocolError, pick, query_from_form, single_query
from server.store import run_query


def create_app(store: ox.Store, triples: int) -> FastAPI:
    """An app serving `store` read-only."""
    app = FastAPI(title="repatriation-kg", summary="SPARQL endpoint of the repatriation knowledge graph")

    @app.exception_handler(RkgError)
    def _error(request: Request, err: RkgError) -> Response:
        status = err.status if isinstance(err, ProtocolError) else 400
        return JSONResponse({"error": str(err)}, status_code=status)

    @app.get("/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "triples": triples}

    @app.get("/sparql")
    def sparql_get(request: Request) -> Response:
        return answer(store, single_query(request.query_params.getlist("query")), request.headers.get("accept", ""))

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        body = await request.body()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/sparql-query":
            try:
                query = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("the request body is not valid UTF-8") from None
        elif kind == "application/x-www-form-urlencoded":
            query = query_from_form(body)
        else:
            raise ProtocolError(f"unsupported content type {kind!r}", status=415)
        return await run_in_threadpool(answer, store, query, request.headers.get("accept", ""))

    return app


def answer(store: ox.Store, query: str, accept: str) -> Response:
    """Evaluate and serialise in one thread (pyoxigraph results are bound to their thread)."""
    result = run_query(store, query)
    offered = GRAPH_TYPES if isinstance(result, ox.QueryTriples) else RESULT_TYPES
    media = pick(accept, offered)
    if media is None:
        raise ProtocolError(f"none of the accepted types is offered; choose from {', '.join(offered)}", status=406)
    body = result.serialize(format=offered[media])
    return Response(body, media_type=media, headers={"Vary": "Accept"})
