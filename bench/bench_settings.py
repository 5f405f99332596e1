"""Django settings of the benchmark's servers: CareKey's own, with the floor routed.

bench/run.py starts `carekey serve` and bench/dbtool.py with DJANGO_SETTINGS_MODULE set to
this module and bench/ on PYTHONPATH, so the floor exists only in the benchmark and the
product's URL configuration knows nothing of it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from carekey.settings import *  # noqa: F403
from carekey.settings import PRODUCTION

if PRODUCTION:
    raise ImproperlyConfigured("bench_settings routes a benchmark endpoint: never in production.")

ROOT_URLCONF = "bench_urls"
