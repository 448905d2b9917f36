"""The city backend: Open311 GeoReport v2 tickets for Kota Kediri."""
