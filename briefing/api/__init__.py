"""The HTTP API (FastAPI): thin routes over the core, one error shape, token-guarded /api/.

The routes are mounted, with the public pages and the admin, by :mod:`briefing.server`.
"""
