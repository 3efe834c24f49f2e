"""Codex transcripts: the adapter (``adapter.CODEX``), its discovery, session and usage readers.

Nothing is imported here: discovery loads ``adapter`` alone, without the readers.
"""
