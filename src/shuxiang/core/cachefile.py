"""The embedded default's shared cache: Django's file cache, culled at most every few seconds.

Without Redis the cache that rate-limit counters and small lookups share between server processes
is a folder of files (Django's FileBasedCache). Django's version lists the whole folder on every
`set` to decide whether to cull — a bank client's rate counter sets a file on every request, so the
listing cost grew with the number of cached keys and showed as ~8 % of a directory answer under 50
concurrent clients. Here the listing runs at most once every CULL_EVERY_SECONDS per process; the
folder can exceed MAX_ENTRIES by what a few seconds of writes add before it is culled.
"""

import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY_SECONDS = 5.0


class FileCache(FileBasedCache):
    _next_cull = 0.0

    def _cull(self):
        now = time.monotonic()
        if now < self._next_cull:
            return
        self._next_cull = now + CULL_EVERY_SECONDS
        super()._cull()
