"""NLU training examples as content editors see them: read, search, check, change, save.

The web console for Diskominfo's editors edits `data/nlu/<intent>.yml` through this
package. It stays pure Python (ruamel.yaml and lapor.* only): the console must not
pull in Rasa. Callers import from the modules: `examples` (one training line),
`files` (the files, read and written in place), `checks` (whether a change is sound)
and `similar` (near duplicates).
"""
