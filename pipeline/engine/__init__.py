"""The run: plan requests, estimate, execute them through the cache, assemble the report."""
