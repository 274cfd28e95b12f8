"""The admin web app under /admin: server-rendered pages over the core, for the people who
run the briefing. Plain forms do every job; static/admin/admin.js only adds live refreshes.

Every page needs a signed-in user (briefing.accounts); every form carries the signed CSRF
token of briefing.web.csrf; every change checks the user's role on the server."""

from briefing.admin.app import address_problem, install

__all__ = ["address_problem", "install"]
