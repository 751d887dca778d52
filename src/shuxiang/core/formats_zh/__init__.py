"""Django format module (settings.FORMAT_MODULE_PATH): dates and times as core.formats writes them.

Values a template prints without a filter ({{ warning.issued_at }}) and forms' initial dates follow
these, so a page never mixes "2025年3月4日 14:05" with "2025-03-04 14:05".
"""
