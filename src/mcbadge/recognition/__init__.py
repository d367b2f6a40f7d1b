"""State agencies' recognition registries: publishing (admins of a state-agency tenant), serving, and the
verifier's recognition answer (``vc.recognition`` does the credential work)."""
