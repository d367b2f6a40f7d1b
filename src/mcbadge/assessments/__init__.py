"""Assess: assigning trained assessors to submissions, and their rubric scores and feedback."""
