"""Satisfaction surveys on the 5-point scale: distributions, a net figure, change and drivers.

Answers come as one of the five labels of :data:`kamtools.contract.SATISFACTION_LABELS`
("highly satisfied" .. "extremely dissatisfied") or as their codes 5 .. 1, as numbers or text;
:func:`survey_answers` reads both. A *wave* is one round of the survey, named by the fiscal
period its answers are dated in (or given in a ``wave`` column).

The **net satisfaction** of a set of answers is the share of satisfied answers (codes 4 and 5)
minus the share of dissatisfied ones (1 and 2), from -100 % to +100 %; "no opinion" counts in
the base. Below ``min_answers`` answers no share is given: a percentage of eight answers
pretends to a precision it does not have, so the counts and a caution are shown instead.

All functions are pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.analytics.correlation import spearman
from kamtools.contract import SATISFACTION_LABELS
from kamtools.periods import fiscal_period

__all__ = [
    "LABELS_BY_CODE",
    "SATISFIED",
    "caution_text",
    "net_satisfaction",
    "satisfaction_change",
    "satisfaction_distribution",
    "satisfaction_drivers",
    "survey_answers",
]

LABELS_BY_CODE: dict[int, str] = {code: label for label, code in SATISFACTION_LABELS.items()}
"""The five labels by code, 1 (extremely dissatisfied) to 5 (highly satisfied)."""

SATISFIED = (4, 5)
DISSATISFIED = (1, 2)


def _codes(answers: pd.Series) -> pd.Series:
    """Codes 1-5 from labels or numbers; NaN where neither."""
    if pd.api.types.is_numeric_dtype(answers):
        numbers = answers.astype("float64")
        text = pd.Series("", index=answers.index)
    else:
        text = answers.astype("string").fillna("").str.strip()
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    labels = text.str.lower().map(SATISFACTION_LABELS) if len(text) else text
    codes = numbers.fillna(labels.astype("float64"))
    whole = codes.notna() & (codes == codes.round()) & codes.between(1, 5)
    return codes.where(whole)


def survey_answers(surveys: pd.DataFrame, *, start_month: int) -> pd.DataFrame:
    """Survey answers as codes and labels, with the wave they belong to.

    Parameters
    ----------
    surveys : pandas.DataFrame
        ``customer_id``, ``date``, ``dimension`` (the question), ``answer`` (a label or a code
        1-5, as text or number); optional ``wave`` (overrides the wave from the date).
    start_month : int
        First month of the fiscal year, naming the wave after the period of its dates.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``date``, ``wave`` (int), ``dimension``, ``code`` (int 1-5) and
        ``label`` (text), in the order given.

    Raises
    ------
    ValueError
        An answer is neither a label nor a whole number from 1 to 5 (the message lists them).
    """
    missing = [c for c in ("customer_id", "date", "dimension", "answer") if c not in surveys.columns]
    if missing:
        raise ValueError(f"surveys: missing column(s) {', '.join(map(repr, missing))}")
    codes = _codes(surveys["answer"])
    bad = codes.isna()
    if bad.any():
        shown = ", ".join(repr(v) for v in surveys.loc[bad, "answer"].astype(str).unique()[:5])
        raise ValueError(
            f"surveys: {int(bad.sum())} answer(s) are neither a satisfaction label"
            f" nor a code 1-5 (e.g. {shown})"
        )
    dates = pd.to_datetime(surveys["date"])
    wave = surveys["wave"] if "wave" in surveys.columns else fiscal_period(dates, start_month=start_month)
    codes = codes.astype("int64")
    return pd.DataFrame(
        {
            "customer_id": surveys["customer_id"].astype(str).to_numpy(),
            "date": dates.to_numpy(),
            "wave": pd.Series(wave).astype("int64").to_numpy(),
            "dimension": surveys["dimension"].astype(str).str.strip().to_numpy(),
            "code": codes.to_numpy(),
            "label": codes.map(LABELS_BY_CODE).to_numpy(),
        }
    )


def net_satisfaction(codes: Sequence[int] | pd.Series) -> float:
    """Share of answers coded 4 or 5 minus share coded 1 or 2 (NaN without answers)."""
    values = pd.Series(codes, dtype="float64").dropna()
    if values.empty:
        return float("nan")
    return float(values.isin(SATISFIED).mean() - values.isin(DISSATISFIED).mean())


def caution_text(answers: int, min_answers: int) -> str:
    """The caution shown instead of a percentage when there are too few answers ('' when enough)."""
    if answers >= min_answers:
        return ""
    if answers == 0:
        return "no answers"
    noun = "answer" if answers == 1 else "answers"
    return f"only {answers} {noun}: too few for a percentage (counts shown)"


def satisfaction_distribution(
    answers: pd.DataFrame, *, by: str | Sequence[str] = "dimension", min_answers: int = 20
) -> pd.DataFrame:
    """How the answers spread over the five labels, per group and wave.

    Parameters
    ----------
    answers : pandas.DataFrame
        :func:`survey_answers`.
    by : str or sequence of str
        Grouping: ``"dimension"`` (per question), ``"customer_id"`` (per account) or both.
    min_answers : int
        Fewest answers behind the shares and the net figure.

    Returns
    -------
    pandas.DataFrame
        One row per group and wave: the ``by`` columns, ``wave``, ``answers``, one count column per
        label (worst first: ``extremely dissatisfied`` .. ``highly satisfied``), the same as
        shares with a ``share_`` prefix, ``net_satisfaction``, ``mean_score`` and ``caution``.
        Shares and the net figure are NaN below ``min_answers``; the counts and the mean always
        show.
    """
    keys = [by] if isinstance(by, str) else list(by)
    labels = [LABELS_BY_CODE[c] for c in range(1, 6)]
    counts = (
        (
            answers.groupby([*keys, "wave", "code"], sort=True)
            .size()
            .unstack("code")
            .reindex(columns=range(1, 6))
        )
        .fillna(0)
        .astype("int64")
    )
    counts.columns = labels
    total = counts.sum(axis=1)
    reliable = total >= min_answers
    shares = counts.div(total, axis=0).where(reliable, axis=0).add_prefix("share_")
    satisfied = counts[[LABELS_BY_CODE[c] for c in SATISFIED]].sum(axis=1)
    dissatisfied = counts[[LABELS_BY_CODE[c] for c in DISSATISFIED]].sum(axis=1)
    weighted = sum(counts[LABELS_BY_CODE[c]] * c for c in range(1, 6))
    frame = pd.concat([total.rename("answers"), counts, shares], axis=1)
    frame["net_satisfaction"] = ((satisfied - dissatisfied) / total).where(reliable)
    frame["mean_score"] = weighted / total
    frame["caution"] = [caution_text(int(n), min_answers) for n in total]
    return frame.reset_index()


def satisfaction_change(
    answers: pd.DataFrame,
    *,
    by: str | Sequence[str] = "dimension",
    previous_wave: int,
    current_wave: int,
    min_answers: int = 20,
) -> pd.DataFrame:
    """The change of satisfaction between two survey waves, per group.

    Returns
    -------
    pandas.DataFrame
        One row per group answered in either wave: the ``by`` columns, ``answers_before``,
        ``answers_now``, ``net_before``, ``net_now``, ``net_change`` (points of net satisfaction,
        as a fraction; NaN unless both waves have ``min_answers``), ``mean_before``,
        ``mean_now``, ``mean_change`` (on the 1-5 scale) and ``caution``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    dist = satisfaction_distribution(
        answers[answers["wave"].isin([previous_wave, current_wave])], by=keys, min_answers=min_answers
    )
    columns = ["answers", "net_satisfaction", "mean_score"]
    before = dist[dist["wave"] == previous_wave].set_index(keys)[columns]
    now = dist[dist["wave"] == current_wave].set_index(keys)[columns]
    joined = before.add_suffix("_before").join(now.add_suffix("_now"), how="outer")
    out = pd.DataFrame(index=joined.index)
    out["answers_before"] = joined["answers_before"].fillna(0).astype("int64")
    out["answers_now"] = joined["answers_now"].fillna(0).astype("int64")
    out["net_before"] = joined["net_satisfaction_before"]
    out["net_now"] = joined["net_satisfaction_now"]
    out["net_change"] = out["net_now"] - out["net_before"]
    out["mean_before"] = joined["mean_score_before"]
    out["mean_now"] = joined["mean_score_now"]
    out["mean_change"] = out["mean_now"] - out["mean_before"]
    fewest = out[["answers_before", "answers_now"]].min(axis=1)
    out["caution"] = [caution_text(int(n), min_answers) for n in fewest]
    return out.reset_index()


def satisfaction_drivers(
    answers: pd.DataFrame,
    *,
    overall_dimension: str | None = None,
    waves: Sequence[int] | None = None,
    min_answers: int = 20,
) -> pd.DataFrame:
    """Which questions go with overall satisfaction: rank correlation per question.

    A respondent is one account in one wave. When the survey has an overall question
    (``overall_dimension``), each other question is correlated with it; otherwise with the mean
    of the respondent's *other* answers (leaving the question itself out, so that it is not
    correlated with itself).

    Parameters
    ----------
    answers : pandas.DataFrame
        :func:`survey_answers`.
    overall_dimension : str, optional
        The overall-satisfaction question, if the survey asks one.
    waves : sequence of int, optional
        Waves to use; default all.
    min_answers : int
        Fewest respondents behind a correlation; below it the correlation is NaN with a caution.

    Returns
    -------
    pandas.DataFrame
        One row per question: ``dimension``, ``respondents``, ``correlation`` (Spearman),
        ``mean_score``, ``net_satisfaction`` and ``caution``; strongest driver first.
    """
    use = answers if waves is None else answers[answers["wave"].isin(list(waves))]
    wide = use.pivot_table(index=["customer_id", "wave"], columns="dimension", values="code", aggfunc="mean")
    has_overall = overall_dimension is not None and overall_dimension in wide.columns
    questions = [c for c in wide.columns if c != overall_dimension] if has_overall else list(wide.columns)
    rows = []
    for question in questions:
        if has_overall:
            overall = wide[overall_dimension]
        else:
            others = wide.drop(columns=[question])
            overall = others.mean(axis=1) if others.shape[1] else pd.Series(np.nan, index=wide.index)
        pair = pd.concat([wide[question], overall], axis=1, keys=["q", "overall"]).dropna()
        enough = len(pair) >= min_answers and pair["q"].nunique() > 1 and pair["overall"].nunique() > 1
        codes = use.loc[use["dimension"] == question, "code"]
        rows.append(
            {
                "dimension": question,
                "respondents": len(pair),
                "correlation": spearman(pair["q"], pair["overall"]) if enough else np.nan,
                "mean_score": float(codes.mean()) if len(codes) else np.nan,
                "net_satisfaction": net_satisfaction(codes) if len(codes) >= min_answers else np.nan,
                "caution": caution_text(len(pair), min_answers),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["dimension", "respondents", "correlation", "mean_score", "net_satisfaction", "caution"]
    )
    return frame.sort_values("correlation", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )
