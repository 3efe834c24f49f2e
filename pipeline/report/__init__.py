"""The daily report: build it from stage results (``build``), render it as Markdown, HTML and JSON
(``markdown``, ``html``, ``json_out``), write it (``write``).

Import from the submodules: this package imports nothing itself, so the usage command's tables
(``fmt``, ``usage_tables``) load without the report schema, the builders or the renderers.
"""
