"""URL resolution without the 404 page's bookkeeping.

Django's resolver records every pattern it tried, for the technical 404 page shown with DEBUG on:
each `include()` that does not hold the path raises and hands its whole list of tried patterns up,
and the parent copies it. Most of our apps are included at the root ("") and under `api/v1/` (""),
so a request for a route late in the list (the bank directory, the people list) built lists of
every earlier app's patterns on every request — ~12 % of a directory answer under load. Without
DEBUG nothing reads those lists (our 404 handler does not show them), so `quiet()` turns them off.
Matching, order and reversing are unchanged; with DEBUG on it leaves Django's resolver alone.
"""

from django.urls.resolvers import URLResolver


class QuietResolver(URLResolver):
    @staticmethod
    def _extend_tried(tried, pattern, sub_tried=None):
        return


def quiet(patterns) -> None:
    """Make every resolver below `patterns` a QuietResolver (same state, no tried lists)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            pattern.__class__ = QuietResolver
            quiet(pattern.url_patterns)
