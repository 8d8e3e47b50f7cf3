"""Exports: bills, balances and the journal as files (CSV per CONTRACT §4, XLSX, voucher formats).

Takes finished rows from the pipeline and writes them; touches files, never the database.
Imports domain only.
"""
