"""Tests of billing.ingest: files → tables of text with their lines."""
