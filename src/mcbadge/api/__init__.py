"""The HTTP API: the app factory (``app.create_app``), request dependencies, the problem-details error
mapping, and the OpenAPI document. Only routes modules, pages and the CLI import this package."""
