"""Routers: each page route and its ``/api`` twin call the same service function."""
