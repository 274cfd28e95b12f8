"""Lists, subscriptions with double opt-in, preferences, import and export, signed links."""
