"""The HTTP API (FastAPI). `briefing serve` runs `create_app` under uvicorn as a factory."""

from briefing.api.app import create_app

__all__ = ["create_app"]
