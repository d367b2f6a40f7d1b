"""State agencies vet micro-credential versions: nominations by districts and educators, the agency's review,
signed OB 3.0 EndorsementCredentials bound to a version's definition digest (``vc.vetting``), and the
"vetted by <agency>" label that holds only while the endorsement verifies (``labels``)."""
