"""The work behind each scheduled task, the scheduler's heartbeats, and what runs now."""
