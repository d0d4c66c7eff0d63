"""System-enforced checks before publishing (系统强制校验): rules P01-P24 of
government-rules.md 7a over a revision's text, metadata and attachments."""
