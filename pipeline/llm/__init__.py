"""The LLM layer: providers, structured calls with re-asks, transport retries, cache, ledger, batch, export.

Import from the modules themselves (``llm.factory.make_provider``, ``llm.cache.Cache``, ``llm.ledger.Ledger``,
``llm.structured.call_structured``); this package imports nothing, so a dry run's planning loads only what it
uses. How they fit together::

    provider = make_provider(config.llm, provider=..., model=..., base_url=...)
    cache = Cache(config.cache_path)             # default: daily_report.core.paths.default_cache_path()
    ledger = Ledger.beside(cache)
    hit = cache.get(request.key())
    resp = call_structured(provider, request, Model, reasks=2,
                           on_attempt=lambda a: ledger.record_attempt(a, run_id=run_id, date=date))
    cache.put(request.key(), request, resp)
"""
