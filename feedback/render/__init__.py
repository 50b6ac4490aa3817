"""Rendering: posters, slips, charts, the Excel ledger and fonts, as pure functions of data."""
