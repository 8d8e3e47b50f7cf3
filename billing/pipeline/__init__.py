"""Pipeline: one function per user-visible step, reading top-down as the list of its stages.

Wires ingest → validate → rate/ledger → store → render/banks/export. Takes time (`as_of`),
the workspace and a progress reporter as parameters. `cli` and `jobs` call only this layer.
"""
