import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rollup_cache():
    """Roll-ups are cached by data version; each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()
