"""Transcript sources: the AGENTS registry (``agents.py``), one adapter package per agent, discovery of files
per device, and readers into normalized sessions.

Import from the modules themselves (``sources.discovery.discover``, ``sources.reader.load_sessions``,
``sources.reader.read_file_usage``, ``sources.usage_rows.read_usage_rows``): this package imports nothing, so
that a warm ``usage`` run loads only what it uses.
"""

READER_VERSION = "2"
"""Bumped whenever what the readers return for the same bytes changes (invalidates usage indexes)."""
