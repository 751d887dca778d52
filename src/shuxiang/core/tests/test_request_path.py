"""The shared request path: URL resolution without tried lists, the file cache's throttled cull."""

import pytest
from django.urls import Resolver404, resolve, reverse
from django.urls.resolvers import get_resolver

from shuxiang.core.cachefile import FileCache
from shuxiang.core.resolvers import QuietResolver


def test_every_resolver_below_the_root_is_quiet_and_late_routes_still_resolve():
    root = get_resolver()
    nested = [p for p in root.url_patterns if hasattr(p, "url_patterns")]
    assert nested and all(isinstance(p, QuietResolver) for p in nested)
    # A route of the last app under api/v1/ and one of the last HTML include resolve as before.
    match = resolve("/api/v1/directory/entities/7/")
    assert match.kwargs == {"pk": "7"}
    assert resolve("/people/").url_name == "person_list"  # core's HTML urls are included last
    assert reverse("person_detail", args=[3]) == "/people/3/"


def test_an_unknown_path_is_still_a_404_and_no_included_patterns_are_listed():
    with pytest.raises(Resolver404) as raised:
        resolve("/api/v1/no-such-thing/")
    tried = raised.value.args[0].get("tried")
    # Django's root resolver lists what the first level handed up; nothing from deeper includes
    # (the per-app routers under api/v1/) is copied any more.
    assert tried and max(len(chain) for chain in tried) <= 2


def test_the_file_cache_lists_its_folder_at_most_once_in_a_few_seconds(tmp_path, monkeypatch):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 2}})
    listings = []
    original = FileCache._list_cache_files
    monkeypatch.setattr(FileCache, "_list_cache_files", lambda self: listings.append(1) or original(self))
    for i in range(5):
        cache.set(f"k{i}", i)
    assert len(listings) == 1  # the first set culled; the next four did not list the folder
    assert cache.get("k4") == 4
    cache._next_cull = 0.0  # as if the interval had passed: the next set culls down again
    cache.set("k5", 5)
    assert len(listings) == 2
    assert len(original(cache)) <= 5


def test_threads_reaching_a_metric_first_together_share_one_instrument():
    """gunicorn's threads and a listener's pool meet the first use of a counter at once; prometheus-client
    refuses a second instrument of a name, which once failed a listener's committed batch."""
    import threading

    from shuxiang.core import metrics

    name = "shuxiang_test_first_use_race"
    metrics._instruments.pop(name, None)
    start, made, errors = threading.Barrier(8), [], []

    def first_use():
        start.wait()
        try:
            made.append(metrics._instrument("counter", name, "测试", ["protocol"]))
        except Exception as exc:  # DuplicateTimeseries without the lock
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(made) == 8 and len({id(m) for m in made}) == 1
