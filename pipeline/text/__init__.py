"""Text for the LLM: condense a session, redact it, count tokens, cut it into chunks."""
