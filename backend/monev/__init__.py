"""Monitoring and evaluation (monev): the figures Diskominfo reviews.

- period.py: the period asked for (WIB days) and the one before it.
- table.py: a figure table, as the dashboard, the CSV export and the printed
  report all show it (one shape serves all three).
- stats.py: medians, percentiles and shares.
- conversations.py, tickets.py, emergencies.py, calls.py, nlu.py, places.py:
  the figures of each part of the service, read from the backend's tables.
- charts.py: server-side SVG charts (no script, no library, works offline).
- views.py: the dashboard's views, each a list of tables and charts.
- public.py: the public page's figures, without anything personal and with
  counts below five hidden.
"""
