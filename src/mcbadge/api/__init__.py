"""The HTTP API: the app factory, the problem-details error mapping, and the routers."""

from .app import create_app

__all__ = ["create_app"]
