"""Channel adapters and protocol-faithful sandboxes (websites, WeChat, Weibo, apps, screens)."""
