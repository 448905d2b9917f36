"""`make soak`: see __main__.py."""
