"""The 1EdTech Open Badges 3.0 API (``/ims/ob/v3p0/``): discovery, getCredentials, upsertCredential,
getProfile and putProfile, behind mcbadge's OAuth 2.0 server, with ``Imsx_StatusInfo`` errors (``routes``)."""
