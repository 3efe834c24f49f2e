"""The LLM providers, one module each with its ``SPEC``; the registry is ``llm.factory.PROVIDERS``."""
