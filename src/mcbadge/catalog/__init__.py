"""Define: micro-credentials, their evidence requirements and rubrics, in immutable published versions."""
