"""mcbadge: micro-credentials as Open Badges 3.0 verifiable credentials."""
