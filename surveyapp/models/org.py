"""Organisation: regions, service halls, departments, windows and service items.

A unit the city no longer uses is retired (``active`` false), never deleted:
past responses keep pointing at it and historical reports still show it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow

window_service_items = Table(
    "window_service_items",
    db.metadata,
    Column("window_id", ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "service_item_id",
        ForeignKey("service_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(16), default="county")  # city | county
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    halls: Mapped[list[Hall]] = relationship(back_populates="region")


class Hall(db.Model):
    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    # {"mon": [["08:30","12:00"],["14:30","17:30"]], ...}; empty = always open
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(back_populates="halls")
    windows: Mapped[list[Window]] = relationship(
        back_populates="hall", order_by="Window.code"
    )


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Where the daily case digest goes (`flask cases remind`); empty: nowhere.
    contact_email: Mapped[str] = mapped_column(
        String(254), default="", server_default=""
    )

    region: Mapped[Region | None] = relationship()
    service_items: Mapped[list[ServiceItem]] = relationship(back_populates="department")


class ServiceItem(db.Model):
    """A government service (事项) that a window handles."""

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    department: Mapped[Department] = relationship(back_populates="service_items")


class Window(db.Model):
    __tablename__ = "windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)

    hall: Mapped[Hall] = relationship(back_populates="windows")
    department: Mapped[Department | None] = relationship()
    service_items: Mapped[list[ServiceItem]] = relationship(
        secondary=window_service_items, order_by="ServiceItem.code"
    )


class CatalogueUpload(db.Model):
    """A catalogue file between its preview and its apply (office upload):
    the second step re-reads these bytes, so nothing travels back through
    the browser. Kept a day at most."""

    __tablename__ = "catalogue_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
