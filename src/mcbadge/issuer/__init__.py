"""The caller's own issuer: its public profile (what credentials show) and its award rules."""
