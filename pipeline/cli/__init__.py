"""The `daily-report` command: thin typer commands over the library."""
