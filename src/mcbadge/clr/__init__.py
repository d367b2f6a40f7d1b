"""CLR 2.0 transcripts: a signed ClrCredential of chosen credentials, and verifying one (``service``, ``routes``)."""
