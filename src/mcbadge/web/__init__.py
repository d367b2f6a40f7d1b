"""Server-rendered pages for people: the verification page and the public badge page.

``router`` serves ``GET /verify`` and ``POST /verify/report``; :func:`badge_page` is the HTML branch of
``GET /credentials/{id}`` (the credentials feature's route calls it when :func:`wants_html`). Templates are
Jinja2 under ``templates/``, one stylesheet under ``static/`` (mounted at ``/assets``); no script is needed.
"""
