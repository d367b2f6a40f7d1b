"""Scoring quality: reliability and turnaround figures, the admins' report, the signed quality statement."""
