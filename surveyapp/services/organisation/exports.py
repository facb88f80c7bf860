"""The organisation catalogue as a file (the import's format), and an empty
template with one example row."""

from __future__ import annotations

from surveyapp.analysis.catalogue import EXPORT_COLUMNS, export_rows
from surveyapp.services.organisation.units import current_catalogue
from surveyapp.tables.writer import Sheet, table_bytes

FORMATS = ("csv", "xlsx")
EXAMPLE = {
    "region_code": "450900",
    "region_name": "玉林市本级",
    "hall_code": "H450900",
    "hall_name": "玉林市政务服务中心",
    "department_code": "D450900-nr",
    "department_name": "玉林市自然资源局（不动产登记）",
    "window_code": "W450900-01",
    "window_name": "1号窗口 · 不动产登记",
    "service_item_code": "S450900-re-transfer",
    "service_item_name": "不动产转移登记",
    "region_name_en": "Yulin City",
    "hall_name_en": "Yulin Government Service Centre",
    "department_name_en": "Natural Resources (Real Estate Registration)",
    "window_name_en": "Window 1 · Real Estate Registration",
    "service_item_name_en": "Real estate transfer registration",
    "window_department_code": "D450900-nr",
}


def format_for(filename: str) -> str:
    """csv or xlsx, from the file's name; ValueError otherwise."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise ValueError(f"{filename}: the name must end in .csv or .xlsx")
    return suffix


def _write_table(rows: list[list[str]], fmt: str) -> bytes:
    """The one place the catalogue writes a file, through the project's writer."""
    return table_bytes(fmt, [Sheet("catalogue", list(EXPORT_COLUMNS), rows)])


def catalogue_bytes(fmt: str) -> bytes:
    """Every unit in use, one row per service item a window offers."""
    return _write_table(export_rows(current_catalogue()), fmt)


def template_bytes(fmt: str) -> bytes:
    return _write_table([[EXAMPLE[column] for column in EXPORT_COLUMNS]], fmt)
