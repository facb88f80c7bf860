"""Survey weights and design of an index run: post-strata or raking to transaction
volumes, trimming within each hall, clusters of a window's day and the fpc."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveyapp.analysis.design import SurveyDesign
from surveyapp.analysis.design_calibration import trim_within
from surveyapp.analysis.design_stages import sorted_codes

TOTAL = "*"  # the service-item key of a hall's monthly total
CLUSTERS = ("window_day", "response")


@dataclass(frozen=True)
class DesignSettings:
    """How responses are weighted and how their precision is estimated.

    ``cluster``: "window_day" (the responses of one window on one day form a
    cluster; responses without a window are their own) or "response" (every
    response independent). ``fpc``: correct each hall's variance by its sampling
    fraction, respondents / transactions. ``trim_ratio``: weights above this
    multiple of their hall's mean weight are trimmed within the hall.
    """

    cluster: str = "window_day"
    fpc: bool = False
    trim_ratio: float | None = 5.0
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.cluster not in CLUSTERS:
            raise ValueError(f"cluster must be one of {', '.join(CLUSTERS)}")
        if self.trim_ratio is not None and not self.trim_ratio > 1:
            raise ValueError("the trimming ratio must exceed 1")
        if not 0 < self.level < 1:
            raise ValueError("the level must lie between 0 and 1")


def _as_text(values: pd.Series) -> pd.Series:
    return values if pd.api.types.is_string_dtype(values) else values.astype(str)


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels of a column (integers by marking, text by hashing)."""
    if pd.api.types.is_integer_dtype(values):
        dense = sorted_codes(values.to_numpy())
        if dense is not None:
            return dense
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _cells(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The hall x month x item cell of each row and the cells with their counts."""
    codes, names = [], []
    for column in ("hall", "month", "item"):
        c, u = _factorize(_as_text(frame[column]))
        codes.append(c)
        names.append(u)
    months, items = len(names[1]), len(names[2])
    cell, unique = pd.factorize((codes[0] * months + codes[1]) * items + codes[2])
    cells = pd.DataFrame(
        {
            "hall": names[0][unique // (months * items)],
            "month": names[1][(unique // items) % months],
            "item": names[2][unique % items],
            "n": np.bincount(cell, minlength=len(unique)),
        }
    )
    return cell, cells


def poststrata_codes(
    frame: pd.DataFrame, volumes: pd.DataFrame
) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Post-stratum of each response (a code), the strata's names, their
    transaction volumes and notes; see ``poststrata``."""
    cell_of_row, cells = _cells(frame)
    vol = volumes.astype({"hall": str, "month": str, "item": str})
    item_vol = vol[vol["item"] != TOTAL].groupby(["hall", "month", "item"])["count"]
    item_vol = item_vol.sum().rename("volume").reset_index()
    hm_items = item_vol.groupby(["hall", "month"])["volume"].sum().rename("items")
    hm_total = vol[vol["item"] == TOTAL].groupby(["hall", "month"])["count"].sum()
    cells = cells.merge(item_vol, on=["hall", "month", "item"], how="left")
    # A hall-month keeps its item cells only if every respondent's item has
    # volume and every item with transactions has respondents.
    unmatched = cells.loc[cells["volume"].isna(), ["hall", "month"]]
    answered = item_vol.merge(
        cells[["hall", "month", "item"]], how="left", indicator=True
    )
    empty = answered.loc[
        (answered["_merge"] == "left_only") & (answered["volume"] > 0),
        ["hall", "month"],
    ]
    broken = set(map(tuple, pd.concat([unmatched, empty]).to_numpy()))
    hm = cells.groupby(["hall", "month"])["n"].sum().reset_index()
    hm = hm.join(hm_items, on=["hall", "month"]).join(
        hm_total.rename("total"), on=["hall", "month"]
    )
    pairs = list(zip(hm["hall"], hm["month"], strict=True))
    is_broken = np.array([p in broken for p in pairs], dtype=bool)
    has_items = hm["items"].notna().to_numpy()
    has_total = hm["total"].notna().to_numpy()
    hm["mode"] = np.where(
        has_items & ~is_broken,
        "cell",
        np.where(has_items | has_total, "collapse", "none"),
    )
    hm["key"] = hm["hall"] + "|" + hm["month"]
    cells = cells.merge(hm[["hall", "month", "mode", "key"]], on=["hall", "month"])
    in_cell = (cells["mode"] == "cell").to_numpy()
    cell_names = np.where(
        in_cell, cells["key"] + "|" + cells["item"], cells["key"]
    ).astype(object)
    names, stratum_of_cell = np.unique(cell_names, return_inverse=True)
    population: dict[str, float] = dict(
        zip(
            cell_names[in_cell],
            cells.loc[in_cell, "volume"].astype(float),
            strict=True,
        )
    )
    collapse = hm[hm["mode"] == "collapse"]
    population.update(
        zip(
            collapse["key"],
            collapse["total"].fillna(collapse["items"]).astype(float),
            strict=True,
        )
    )
    notes: list[str] = []
    if len(collapse):
        notes.append(
            f"{len(collapse)} hall-month(s) collapsed to hall x month: a service item "
            "had transactions but no respondents (or respondents but no volume)"
        )
    unweighted = hm[hm["mode"] == "none"]
    if len(unweighted):
        known = hm[hm["mode"] != "none"]
        total_pop = sum(population.values())
        mean_w = total_pop / float(known["n"].sum()) if len(known) else 1.0
        population.update(
            zip(unweighted["key"], unweighted["n"].astype(float) * mean_w, strict=True)
        )
        notes.append(
            f"{len(unweighted)} hall-month(s) without transaction volumes: their "
            f"{int(unweighted['n'].sum())} respondents get the mean weight"
        )
    targets = np.array([population[name] for name in names], dtype=float)
    return stratum_of_cell.ravel()[cell_of_row], list(names), targets, notes


def poststrata(
    frame: pd.DataFrame, volumes: pd.DataFrame
) -> tuple[pd.Series, dict[str, float], list[str]]:
    """Post-stratification cell of each response and the transaction volume of each.

    ``frame`` has hall, item, month; ``volumes`` has hall, item (TOTAL for a
    hall's monthly total), month, count. Cells are hall x item x month; a hall-month
    where an item has volume but no respondents, or respondents but no volume, is
    collapsed to hall x month (its total: the stated total, else the items' sum).
    A hall-month without any volume keeps its respondents at the mean weight.
    """
    codes, names, targets, notes = poststrata_codes(frame, volumes)
    labels = pd.Series(np.asarray(names, dtype=object)[codes], index=frame.index)
    return labels, dict(zip(names, targets.tolist(), strict=True)), notes


def rake_margins(
    frame: pd.DataFrame, volumes: pd.DataFrame
) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """Hall x month and item x month targets when only margins are known.

    Item margins are the rows without a hall; a hall's margin is its stated
    total, else the sum of its items. Cells without respondents are dropped and
    the item margin of each month is scaled to the halls' total of that month,
    so that both margins describe the same population.
    """
    items = volumes[(volumes["hall"] == TOTAL) & (volumes["item"] != TOTAL)]
    cells = volumes[volumes["hall"] != TOTAL]
    totals = cells[cells["item"] == TOTAL].groupby(["hall", "month"])["count"].sum()
    sums = cells[cells["item"] != TOTAL].groupby(["hall", "month"])["count"].sum()
    hall_m = totals.combine_first(sums)
    item_m = items.groupby(["item", "month"])["count"].sum()
    seen_h = set(zip(frame["hall"], frame["month"], strict=True))
    seen_i = set(zip(frame["item"], frame["month"], strict=True))
    for name, seen, known in (
        ("hall", seen_h, hall_m),
        ("service item", seen_i, item_m),
    ):
        missing = sorted(seen - set(known.index))
        if missing:
            shown = ", ".join(f"{a} {b}" for a, b in missing[:5])
            raise ValueError(
                f"raking needs a {name} margin for every respondent: none for {shown}"
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
    hall_m = hall_m[[k in seen_h for k in hall_m.index]]
    item_m = item_m[[k in seen_i for k in item_m.index]]
    hall_targets: dict[str, float] = {}
    item_targets: dict[str, float] = {}
    for month in sorted(set(frame["month"])):
        h = hall_m[hall_m.index.get_level_values(1) == month]
        i = item_m[item_m.index.get_level_values(1) == month]
        factor = float(h.sum()) / float(i.sum()) if i.sum() > 0 else 1.0
        hall_targets.update({f"{a}|{m}": float(v) for (a, m), v in h.items()})
        item_targets.update({f"{a}|{m}": float(v) * factor for (a, m), v in i.items()})
    notes = [
        f"weights raked to {len(hall_targets)} hall x month and {len(item_targets)} "
        "service item x month margins (only margins known)"
    ]
    return hall_targets, item_targets, notes


def _raked(data: pd.DataFrame, volumes: pd.DataFrame, **design) -> tuple:
    hall_targets, item_targets, notes = rake_margins(data, volumes)
    data["hall_month"] = data["hall"] + "|" + data["month"].astype(str)
    data["item_month"] = data["item"].astype(str) + "|" + data["month"].astype(str)
    base = SurveyDesign(data, **design)
    raked = base.rake(
        {"hall_month": hall_targets, "item_month": item_targets}, max_iter=200, tol=1e-7
    )
    return raked, notes


def cluster_codes(data: pd.DataFrame, cluster: str) -> np.ndarray:
    """The first-stage unit of each response: its window's day, or itself."""
    n = len(data)
    if cluster == "response" or "window" not in data or "day" not in data:
        return np.arange(n)
    window = _factorize(data["window"])[0]
    day = _factorize(data["day"])[0]
    days = max(int(day.max()) + 1, 1)
    key = window.astype(np.int64) * days + day
    # Responses without a window (or day) are clusters of their own.
    alone = (window < 0) | (day < 0)
    first_alone = int(key.max()) + 1 if len(key) else 0
    return np.where(alone, first_alone + np.arange(n), key)


def survey_design(
    data: pd.DataFrame, volumes: pd.DataFrame | None, settings: DesignSettings
) -> tuple[SurveyDesign, list[str]]:
    """The design of an index run: strata = halls, clusters, weights, fpc.

    ``data`` has hall, item, month (and window, day for clustering); it gains the
    columns the design uses (stratum, psu, ps_cell or the raking margins, fpc).
    """
    data["psu"] = cluster_codes(data, settings.cluster)
    halls = pd.factorize(data["hall"])[0]
    data["stratum"] = halls
    clusters = int(data["psu"].nunique())
    if clusters < len(data):
        notes = [f"responses clustered by window and day: {clusters} clusters"]
    else:
        notes = ["every response its own sampling unit (no clustering)"]
    design, weight_notes, weighted = _weighted(data, volumes, halls, settings, None)
    if settings.fpc and weighted:
        # A hall's transactions are its total weight (its volumes after
        # calibration); the fraction respondents / transactions is applied to its
        # sampling units.
        total = np.bincount(halls, weights=design.weights)
        count = np.bincount(halls)
        units = pd.Series(data["psu"].to_numpy()).groupby(halls).nunique()
        units = units.to_numpy().astype(float)
        population = np.maximum(units * total / count, units)
        data["fpc"] = population[halls]
        design, weight_notes, _ = _weighted(data, volumes, halls, settings, "fpc")
        weight_notes.append(
            "finite-population correction: each hall's variance x (1 - respondents"
            " / transactions)"
        )
    elif settings.fpc:
        weight_notes.append("no finite-population correction: no transaction volumes")
    return design, notes + weight_notes


def _weighted(
    data: pd.DataFrame,
    volumes: pd.DataFrame | None,
    halls: np.ndarray,
    settings: DesignSettings,
    fpc: str | None,
) -> tuple[SurveyDesign, list[str], bool]:
    """Calibrate to the volumes and trim within halls; (design, notes, weighted)."""
    args = dict(
        strata="stratum", psu="psu", fpc=fpc, lonely_psu="adjust", level=settings.level
    )
    if volumes is not None and (volumes["hall"] == TOTAL).any():
        design, notes = _raked(data, volumes, **args)
        weighted = True
    elif volumes is not None and not volumes.empty:
        codes, names, targets, cell_notes = poststrata_codes(data, volumes)
        data["ps_cell"] = codes
        design = SurveyDesign(data, **args).poststratify_cells(codes, targets)
        notes = [
            f"weights post-stratified to transaction volumes in {len(names)} cells",
            *cell_notes,
        ]
        weighted = True
    else:
        design = SurveyDesign(data, **args)
        notes = ["no transaction volumes for the period: every weight is 1"]
        weighted = False
    if settings.trim_ratio and len(data):
        w, trimmed = trim_within(design.weights, halls, settings.trim_ratio)
        if trimmed:
            design = design.with_weights(w)
            notes.append(
                f"{trimmed} weight(s) trimmed at {settings.trim_ratio:g} x their hall's"
                " mean weight, the excess shared within the hall"
            )
    return design, notes, weighted
