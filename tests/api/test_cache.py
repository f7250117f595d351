"""The response cache under writes: what it keeps stays bounded by what can still be given."""

from __future__ import annotations

from ilbirs.api.cache import ResponseCache, etag_for


def test_the_cache_keeps_no_answer_of_an_older_version() -> None:
    """Regression (hardening #16, item 11): writes leaked memory. Every write moves the store's
    version on, and with it every answer's ETag, so a reader's requests were kept again for
    each version while the answers to the older ones, never given again, stayed until the cache
    was full: +140 MiB of workers' memory in 5 minutes at 2 writes/s. Only the newest
    version's answers are kept now."""
    cache = ResponseCache()
    requests = [("http", b"h", "/sparql", f"query={n}".encode(), b"*/*", b"") for n in range(5)]
    for version in range(1, 301):  # 300 writes, the same 5 reads after each
        for request in requests:
            etag = etag_for(version, *map(str, request))
            cache.put(etag, b"x" * 10_000, "application/json")
            cache.remember(request, version, etag)
        entries, size, remembered = cache.size
        assert (entries, size, remembered) == (5, 50_000, 5)
    assert cache.answer(requests[0], 300) is not None and cache.answer(requests[0], 299) is None
