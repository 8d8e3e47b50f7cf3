"""Tests of billing.validate: rows → records and every problem of every row."""
