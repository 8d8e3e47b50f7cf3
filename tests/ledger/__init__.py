"""Tests of billing.ledger: allocation, late fees, balances, arrears."""
