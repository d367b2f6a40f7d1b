"""Calibrate: anchor submissions with master scores; assessors score them until they agree well enough to qualify."""
