"""The one ASGI app `briefing serve` runs under uvicorn as a factory: the API, the public pages
and the admin, composed here so that no face imports another."""

from briefing.server.app import create_app, served_app

__all__ = ["create_app", "served_app"]
