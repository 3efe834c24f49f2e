"""Claude Code transcripts: the adapter (``adapter.CLAUDE``), its discovery, session and usage readers.

Nothing is imported here: the index's workers load ``usage`` alone, without the session readers.
"""
