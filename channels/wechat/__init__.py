"""WeChat official accounts (微信公众号): the API client and its shared access tokens."""
