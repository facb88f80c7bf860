"""Spreadsheet files in and out: one reader (CSV/XLSX uploads and command-line
files) and one writer (every CSV/XLSX export), shared by every domain.

Below the services: it imports nothing of surveyapp but this package, so any
service, view or command may use it (docs/formats.md describes the formats).
"""
