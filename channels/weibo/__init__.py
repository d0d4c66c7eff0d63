"""Sina Weibo (新浪微博): the open-API client and the channel adapter."""
