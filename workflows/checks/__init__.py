"""System-enforced checks before publishing (系统强制校验): rules P01-P24 of
government-rules.md 7a, and P25 (the metadata's values), over a revision's text, metadata
and attachments."""
