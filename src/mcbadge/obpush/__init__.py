"""Pushing credentials to other hosts' 1EdTech OB 3.0 APIs as their OAuth client (``service``, ``routes``)."""
