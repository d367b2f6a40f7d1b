"""Award and sign: a passing submission becomes a signed Open Badges 3.0 credential; revoke and suspend it."""
