"""Publish status: each issuer's Bitstring Status Lists (revocation, suspension), allocated and signed."""
