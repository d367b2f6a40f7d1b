"""Events for LMSs, HR systems and people: webhooks per issuer and e-mail to educators, delivered from a durable
outbox (``outbox.py`` writes it in the caller's transaction; ``worker.py`` delivers it in the background)."""
