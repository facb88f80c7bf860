"""The satisfaction index of a table of units: survey weights, design, scores, points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from surveyapp.analysis.design import SurveyDesign
from surveyapp.analysis.scoring import (
    composite,
    good_bad_rates,
    points_by_rank,
    points_linear,
    rank_units,
    rescale,
)
from surveyapp.analysis.weights import (
    ahp_weights,
    entropy_weights,
    fixed_weights,
    regression_importance,
    require_consistent,
)

METHODS = ("fixed", "ahp", "entropy", "regression")
TOTAL = "*"  # the service-item key of a hall's monthly total


@dataclass(frozen=True)
class PointsRule:
    """Index to performance points: linear between floor and ceiling, or rank bands."""

    kind: str = "linear"
    floor: float = 60.0
    ceiling: float = 95.0
    max_points: float = 10.0
    bands: tuple[tuple[float, float], ...] = ((3, 10.0), (0.5, 6.0))
    default: float = 0.0

    def apply(self, index: np.ndarray, ranks: np.ndarray) -> np.ndarray:
        ranked = ~np.isnan(ranks)
        if self.kind == "linear":
            return np.where(
                ranked,
                points_linear(index, self.floor, self.ceiling, self.max_points),
                np.nan,
            )
        if self.kind == "rank":
            if not ranked.any():
                return np.full(len(ranks), np.nan)
            return np.asarray(
                points_by_rank(ranks, list(self.bands), None, self.default)
            )
        raise ValueError(f"unknown points rule {self.kind!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["bands"] = [list(b) for b in self.bands]
        return data


@dataclass
class IndexTable:
    """Per-unit results (one row per unit), monthly trend and notes on the method."""

    units: pd.DataFrame
    trend: dict[str, dict[str, dict[str, float]]]
    notes: list[str] = field(default_factory=list)
    design_weights: np.ndarray | None = None


def dimension_weights(
    method: str,
    drivers: pd.DataFrame,
    overall: pd.Series | None = None,
    units: pd.Series | None = None,
    *,
    fixed: Mapping[str, float] | None = None,
    pairwise: Sequence[Sequence[float]] | None = None,
    max_cr: float = 0.10,
    override: bool = False,
) -> tuple[dict[str, float], dict]:
    """Weights of the drivers (columns of ``drivers``, 0-100) by one of METHODS.

    Returns the weights and details (the AHP consistency ratio, etc.).
    """
    names = list(drivers.columns)
    if method == "fixed":
        series = fixed_weights(fixed or dict.fromkeys(names, 1.0))
        return {k: float(series[k]) for k in names}, {}
    if method == "ahp":
        if pairwise is None:
            raise ValueError("AHP needs a pairwise comparison matrix")
        result = ahp_weights(np.asarray(pairwise, dtype=float))
        require_consistent(result, max_cr, override)
        details = {"cr": result.cr, "ci": result.ci, "lambda_max": result.lambda_max}
        return dict(zip(names, map(float, result.weights), strict=True)), details
    if method == "entropy":
        if units is None:
            raise ValueError("entropy weights need the unit of each response")
        table = drivers.groupby(units.to_numpy()).mean().dropna()
        w = entropy_weights(table.to_numpy())
        return dict(zip(names, map(float, w), strict=True)), {"units": len(table)}
    if method == "regression":
        if overall is None:
            raise ValueError("regression weights need the overall rating")
        w = regression_importance(overall.to_numpy(float), drivers.to_numpy(float))
        return dict(zip(names, map(float, w), strict=True)), {}
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")


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
    keys = frame[["hall", "month", "item"]].astype(str).reset_index(drop=True)
    vol = volumes.astype({"hall": str, "month": str, "item": str})
    item_vol = vol[vol["item"] != TOTAL].groupby(["hall", "month", "item"])["count"]
    item_vol = item_vol.sum().rename("volume").reset_index()
    hm_items = item_vol.groupby(["hall", "month"])["volume"].sum().rename("items")
    hm_total = vol[vol["item"] == TOTAL].groupby(["hall", "month"])["count"].sum()
    cells = keys.value_counts().rename("n").reset_index()
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
    merged = keys.merge(
        hm[["hall", "month", "mode", "key"]], on=["hall", "month"], how="left"
    )
    cell_rows = (merged["mode"] == "cell").to_numpy()
    labels = merged["key"].copy()
    labels[cell_rows] = merged["key"][cell_rows] + "|" + merged["item"][cell_rows]
    labels.index = frame.index
    population: dict[str, float] = {}
    in_cells = cells.merge(hm[["hall", "month", "mode"]], on=["hall", "month"])
    in_cells = in_cells[in_cells["mode"] == "cell"]
    population.update(
        zip(
            in_cells["hall"] + "|" + in_cells["month"] + "|" + in_cells["item"],
            in_cells["volume"].astype(float),
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
    return labels, population, notes


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


def _raked(design: SurveyDesign, data: pd.DataFrame, volumes: pd.DataFrame):
    hall_targets, item_targets, notes = rake_margins(data, volumes)
    data["hall_month"] = data["hall"] + "|" + data["month"].astype(str)
    data["item_month"] = data["item"].astype(str) + "|" + data["month"].astype(str)
    design = SurveyDesign(data, strata="hall", lonely_psu="adjust", level=design.level)
    raked = design.rake(
        {"hall_month": hall_targets, "item_month": item_targets}, max_iter=200, tol=1e-7
    )
    return raked, notes


def _components(units: pd.Series, halls: pd.Series) -> np.ndarray:
    """Group of each row: units and halls linked by the rows they share."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    u_codes, u_labels = pd.factorize(units)
    h_codes, h_labels = pd.factorize(halls)
    size = len(u_labels) + len(h_labels)
    graph = coo_matrix(
        (np.ones(len(u_codes)), (u_codes, h_codes + len(u_labels))), (size, size)
    )
    _count, labels = connected_components(graph, directed=False)
    return labels[u_codes]


def _domain_means(
    design: SurveyDesign,
    data: pd.DataFrame,
    domains: Sequence[str | list[str]],
    population: dict[str, float] | None,
) -> list[dict]:
    """``design.by(d).mean("composite")`` for each d of ``domains``, computed
    group of halls by group of halls.

    Strata are halls and post-strata nest in hall x month, so a domain's
    linearised variable is 0 in every hall outside its group: estimating each
    group of halls on its own gives R's numbers in time linear in the rows. Raked
    designs (margins across halls) and lonely PSUs (R's "adjust" centres on the
    grand mean) use the whole design.
    """
    raked = any(step.kind != "post" for step in design.calibration)
    groups = _components(data["unit"], data["hall"])
    if raked or groups.max() == 0 or data["hall"].value_counts().min() < 2:
        return [design.by(d).mean("composite") for d in domains]
    columns = ["hall", "unit", "month", "composite"]
    if population is not None:
        columns.append("ps_cell")
    slim = data[columns]
    weights = design.weights
    results: list[dict] = [{} for _ in domains]
    for idx in pd.Series(groups).groupby(groups).indices.values():
        part = slim.iloc[idx].reset_index(drop=True)
        sub = SurveyDesign(part, strata="hall", lonely_psu="adjust", level=design.level)
        if population is not None:
            cells = part["ps_cell"].unique()
            sub = sub.poststratify("ps_cell", {k: population[k] for k in cells})
        # The final (trimmed) weights with the calibration kept, as design.trim does.
        sub = sub._derive(weights[idx], None)
        for result, domain in zip(results, domains, strict=True):
            result.update(sub.by(domain).mean("composite"))
    return [dict(sorted(r.items(), key=lambda item: str(item[0]))) for r in results]


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(values)
    total = w[ok].sum()
    return float((values[ok] * w[ok]).sum() / total) if total > 0 else float("nan")


def unit_indices(
    frame: pd.DataFrame,
    *,
    drivers: Sequence[str],
    weights: Mapping[str, float],
    volumes: pd.DataFrame | None = None,
    scale: int = 5,
    min_n_eff: float = 30.0,
    trim_ratio: float | None = 5.0,
    points: PointsRule | None = None,
    level: float = 0.95,
) -> IndexTable:
    """The index of each unit from the included responses of ``frame``.

    ``frame`` has one row per response: unit, hall, item, month, overall (1..5 or
    NaN) and the driver columns (1..scale or NaN). Strata are halls, each response
    its own PSU; weights are post-stratified to ``volumes`` (see ``poststrata``)
    and trimmed at ``trim_ratio`` times the mean weight.
    """
    points = points or PointsRule()
    notes: list[str] = []
    data = frame.reset_index(drop=True).copy()
    if data.empty:
        raise ValueError("no responses to compute an index from")
    scores = rescale(data[list(drivers)].astype(float), scale)
    data["composite"] = np.asarray(composite(scores, weights))
    data["overall100"] = np.asarray(rescale(data["overall"].astype(float), scale))
    for name in drivers:
        data[f"d_{name}"] = scores[name].to_numpy()
    data["hall"] = data["hall"].astype(str)
    design = SurveyDesign(data, strata="hall", lonely_psu="adjust", level=level)
    population = None
    if volumes is not None and (volumes["hall"] == TOTAL).any():
        design, rake_notes = _raked(design, data, volumes)
        notes.extend(rake_notes)
    elif volumes is not None and not volumes.empty:
        labels, population, cell_notes = poststrata(data, volumes)
        data["ps_cell"] = labels.to_numpy()
        design = SurveyDesign(data, strata="hall", lonely_psu="adjust", level=level)
        design = design.poststratify("ps_cell", population)
        notes.append(
            f"weights post-stratified to transaction volumes in {len(population)} cells"
        )
        notes.extend(cell_notes)
    else:
        notes.append("no transaction volumes for the period: every weight is 1")
    w = design.weights
    if trim_ratio and len(w) and w.max() > trim_ratio * w.mean():
        upper = trim_ratio * float(w.mean())
        trimmed = int((w > upper).sum())
        design = design.trim(upper=upper)
        notes.append(f"{trimmed} weight(s) trimmed at {trim_ratio:g} x the mean weight")
    w = design.weights
    estimates, by_month = _domain_means(
        design, data, ["unit", ["unit", "month"]], population
    )
    positions = data.groupby("unit").indices
    overall = data["overall"].to_numpy(float)
    overall100 = data["overall100"].to_numpy(float)
    driver_values = {name: data[f"d_{name}"].to_numpy(float) for name in drivers}
    rows = []
    for unit, est in estimates.items():
        mask = positions[unit]
        uw = w[mask]
        rates = good_bad_rates(overall[mask], uw)
        rows.append(
            {
                "unit": unit,
                "n": est.n,
                "n_eff": est.n_eff,
                "deff": est.deff,
                "df": est.df,
                "index": est.value,
                "se": est.se,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "good_rate": rates.good,
                "bad_rate": rates.bad,
                "overall_mean": _weighted_mean(overall100[mask], uw),
                "driver_scores": {
                    name: _weighted_mean(driver_values[name][mask], uw)
                    for name in drivers
                },
            }
        )
    units = pd.DataFrame(rows)
    units["rankable"] = units["n_eff"] >= min_n_eff
    ranks = np.asarray(rank_units(units["index"], units["rankable"], decimals=2))
    units["rank"] = ranks
    units["points"] = points.apply(units["index"].to_numpy(float), ranks)
    trend: dict[str, dict[str, dict[str, float]]] = {}
    for (unit, month), est in by_month.items():
        trend.setdefault(str(unit), {})[str(month)] = {
            "index": est.value,
            "ci_low": est.ci_low,
            "ci_high": est.ci_high,
            "n": est.n,
        }
    return IndexTable(units, trend, notes, w)
