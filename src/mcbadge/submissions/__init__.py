"""Submit: an educator's attempts at a micro-credential, and the evidence of each (files, URLs, reflections)."""
