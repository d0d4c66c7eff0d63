"""The hub's HTTP side: the sites, the app feed and the large screens (hub serve)."""
