"""Service calls shared by the HTML pages and their JSON twins: each returns JSON-ready data.

A page route renders a template with the dict a service returns; its ``/api`` twin returns the
same dict.  Stable keys are documented in ``docs/api.md``.
"""
