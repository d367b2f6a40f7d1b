"""Assessor qualifications: signed credentials for assessors who passed calibration, required to score when the issuer says so, cited by the awards they scored."""
