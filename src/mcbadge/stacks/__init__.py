"""Stacks of micro-credentials that lead to a designation (issue 11): define, evaluate, award, cascade."""
