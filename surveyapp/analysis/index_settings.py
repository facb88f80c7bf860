"""Settings of an index run: the points rule and everything else that changes its
numbers, as recorded with the run (``to_dict``) and read back (``from_dict``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from surveyapp.analysis.index_design import DesignSettings
from surveyapp.analysis.scoring import points_by_band, points_by_rank, points_linear

POINT_KINDS = ("band", "rank", "linear")


@dataclass(frozen=True)
class PointsRule:
    """Index to performance points: by significance band (the default), by rank
    band, or linear between a floor and a ceiling."""

    kind: str = "band"
    floor: float = 60.0
    ceiling: float = 95.0
    max_points: float = 10.0
    bands: tuple[tuple[float, float], ...] = ((3, 10.0), (0.5, 6.0))
    default: float = 0.0
    band_points: tuple[tuple[str, float], ...] = (
        ("above", 10.0),
        ("same", 6.0),
        ("below", 0.0),
    )

    def __post_init__(self) -> None:
        if self.kind not in POINT_KINDS:
            raise ValueError(f"unknown points rule {self.kind!r}")

    def apply(
        self, index: np.ndarray, ranks: np.ndarray, bands: np.ndarray | None = None
    ) -> np.ndarray:
        ranked = ~np.isnan(ranks)
        if self.kind == "linear":
            return np.where(
                ranked,
                points_linear(index, self.floor, self.ceiling, self.max_points),
                np.nan,
            )
        if self.kind == "band":
            if bands is None:
                raise ValueError("band points need the units' bands")
            return points_by_band(bands, dict(self.band_points))
        if not ranked.any():
            return np.full(len(ranks), np.nan)
        return np.asarray(points_by_rank(ranks, list(self.bands), None, self.default))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["bands"] = [list(b) for b in self.bands]
        data["band_points"] = dict(self.band_points)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> PointsRule:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "bands" in values:
            # An int cutoff is a rank, a float one a share (JSON keeps 1 and 1.0 apart).
            values["bands"] = tuple(
                (c if isinstance(c, int) else float(c), float(p))
                for c, p in values["bands"]
            )
        if "band_points" in values:
            values["band_points"] = tuple(
                (str(k), float(v)) for k, v in dict(values["band_points"]).items()
            )
        return cls(**values)


@dataclass(frozen=True)
class IndexSettings:
    """Every setting that changes an index run's numbers (recorded with the run)."""

    min_n_eff: float = 30.0
    min_driver_share: float = 0.5
    band_level: float = 0.95
    design: DesignSettings = field(default_factory=DesignSettings)
    points: PointsRule = field(default_factory=PointsRule)

    def __post_init__(self) -> None:
        if not 0 <= self.min_driver_share <= 1:
            raise ValueError("min_driver_share must be in [0, 1]")
        if not 0 < self.band_level < 1:
            raise ValueError("band_level must lie between 0 and 1")

    def to_dict(self) -> dict:
        return {
            "min_n_eff": self.min_n_eff,
            "min_driver_share": self.min_driver_share,
            "band_level": self.band_level,
            "cluster": self.design.cluster,
            "fpc": self.design.fpc,
            "trim_ratio": self.design.trim_ratio,
            "level": self.design.level,
            "points": self.points.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> IndexSettings:
        design = DesignSettings(
            cluster=data.get("cluster", "window_day"),
            fpc=bool(data.get("fpc", False)),
            trim_ratio=data.get("trim_ratio", 5.0) or None,
            level=float(data.get("level", 0.95)),
        )
        return cls(
            min_n_eff=float(data.get("min_n_eff", 30.0)),
            min_driver_share=float(data.get("min_driver_share", 0.5)),
            band_level=float(data.get("band_level", 0.95)),
            design=design,
            points=PointsRule.from_dict(data.get("points", {})),
        )
