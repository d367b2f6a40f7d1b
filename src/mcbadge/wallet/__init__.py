"""Wallet delivery by OpenID for Verifiable Credential Issuance 1.0 (``service``, ``routes``)."""
