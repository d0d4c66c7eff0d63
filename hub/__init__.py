"""The application: command handling, projections, runtimes and the `hub` command line."""
