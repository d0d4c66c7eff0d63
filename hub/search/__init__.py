"""Search (一搜即达): what is live on the sites, as an index kept from the log.

`documents` says what a live article looks like to a searcher, `analysis` how Chinese text
becomes terms, `query` what a search asks and answers, `tantivy_engine` the embedded engine,
`indexer` keeps an engine up to date with the log (and rebuilds it)."""
