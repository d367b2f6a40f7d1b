"""Tenants and the platform operator (issue 13): create, list, disable organisations; recover access."""
