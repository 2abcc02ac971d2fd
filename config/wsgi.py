from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn does not run Django's system checks: refuse an unsafe production start here.
from config.checks import refuse_unsafe_start  # noqa: E402

refuse_unsafe_start()
