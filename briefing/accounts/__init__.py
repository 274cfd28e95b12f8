"""People who run the briefing: admin users with roles, their passwords (Argon2), sign-in
limits, browser sessions and personal API tokens. The core of the admin web app (the pages
are in `briefing.admin`); nothing here knows about HTTP."""
