"""The people of an issuer (educators, assessors, admins, integrators), their API keys and assessor trainings."""
