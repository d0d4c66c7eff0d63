"""The website channel: static pages per site, written where a web server (or the hub) serves
them."""
