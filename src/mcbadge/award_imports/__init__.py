"""Bulk awards from CSV (issue 13): an organisation's historical records awarded as credentials, fast, row by row
idempotent and resumable; the command line (``mcbadge awards import``) and a job over the API."""
