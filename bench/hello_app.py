"""The baseline for bench/callback_bench.py: a bare Starlette app served the same way.
It reads the posted body (as the callback route does) and answers OK."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request: Request) -> PlainTextResponse:
    await request.body()
    return PlainTextResponse("OK")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/hello", hello, methods=["POST"])])
