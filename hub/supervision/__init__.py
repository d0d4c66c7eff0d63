"""Supervision (管网): what the platform's supervisors watch on every site and account —
freshness from the log, probes, links, wording on live pages — and the work orders that
dispatch each problem until a re-check closes it."""
