"""HTTP plumbing the web faces (the API, the public pages, the admin) share: signed CSRF
tokens, the client address and rate limits, request dependencies."""
