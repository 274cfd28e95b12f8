"""Work that runs after a commit, and how much of it one sweep takes at a time."""

from __future__ import annotations

SWEEP_BATCH = 5_000
