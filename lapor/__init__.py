"""The ground floor of Lapor Mbak Wali 112: what more than one process needs.

`backend/`, `bot/` and `actions/` stand on this package and never import each
other (tests/test_layers.py walks the imports). Here: the service catalogue,
kelurahan boundaries and the gazetteer, text normalisation, time, database
helpers, the durable job helper, settings, contact sealing and pseudonyms, and
the outbound-message interface with its channel implementations.
"""
