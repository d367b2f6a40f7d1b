"""The renewal report of an educator (issue 11 part 7): for a state, an endorsement area and a renewal cycle,
which of their credentials count, which do not and why, and the total (``vc.renewal`` decides)."""
