# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (kamtools)
#     language: python
#     name: kamtools
# ---

# %% tags=["parameters"]
workspace_dir = ""
period = 0
output_dir = ""

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from kamtools import __version__, contract, figures, io, tables
from kamtools.stages.review import STAGE, narrative, plots
from kamtools.stages.review.analysis import review_period
from kamtools.stages.review.economics import REICHHELD_SASSER_CAVEAT
from kamtools.stages.review.inputs import load_reviewed_plan, plan_frames
from kamtools.stages.review.lessons import load_lessons
from kamtools.stages.review.next_screening import save_tier_proposals
from kamtools.stages.review.workshop import LessonsWorkshop
from kamtools.workspace import open_client

figures.configure_report_figures()
if not output_dir:  # workshop mode: JupyterLab aligns the report tables as the report does
    display(tables.WorkshopTableStyle())
client = open_client(workspace_dir, period=period, cache_dir=output_dir)
config = client.config
money = config.currency
reviewed = config.current_period
settings = STAGE.settings(config)
plan, tracker_actions, tracker_contacts = load_reviewed_plan(client.root, reviewed)
result = review_period(
    client.tables,
    plan_frames(plan),
    tracker_actions=tracker_actions,
    tracker_contacts=tracker_contacts,
    period=reviewed,
    start_month=config.fiscal_year_start_month,
    settings=settings,
    lessons=load_lessons(client.root, reviewed),
)

# %% [markdown]
# ## Summary

# %%
display(HTML(tables.findings_html(narrative.executive_summary(result, currency=money))))

# %% [markdown]
# ## What we compared
#
# This review sets the period's actual business against the key account plan made for it: sales,
# gross profit and share of wallet of every planned account, per quarter and for the whole period,
# against the plan goal and the stretch goal. It then looks at what was done (the actions and the
# contacts recorded in the plan tracker), at the accounts that left or bought much less and why,
# at how satisfied the accounts are, and at what keeping customers is worth. It ends with the
# lessons of the review workshop and the changes it proposes to the next screening.

# %% [markdown]
# ## Plan against actual

# %%
display(tables.format_table(narrative.portfolio_table(result), currency=money, money=[c for c in narrative.portfolio_table(result).columns if c.startswith("last period")] + ["plan", "stretch", "actual"], percent=["attainment"], integer=["ahead or on plan", "behind"], caption="All planned accounts together"))

# %% [markdown]
# Each bar is one account's actual sales as a share of its plan; the dashed line is the plan,
# the tick the stretch goal. The amounts on the right are the actual sales and the plan.

# %%
accounts_shown = int((result.per_account["metric"] == "sales").sum())
fig, ax = plt.subplots(figsize=(9, 0.3 * min(accounts_shown, 40) + 1.2))
plots.attainment_bullets(result.per_account, names=result.names, currency=money, ax=ax)
figures.show_figure(fig, caption=narrative.summary_line(result, currency=money))

# %% [markdown]
# The variance against plan splits into **volume** (more or fewer units than planned), **price**
# (the same products sold dearer or cheaper) and **mix** (a shift to dearer or cheaper products).
# The plan is read as last period's business grown in volume at last period's prices and mix.

# %%
display(tables.format_table(narrative.accounts_table(result), currency=money, money=["plan", "actual", "volume", "price", "mix"], percent=["attainment", "actions done"], caption="Sales per account against plan, furthest behind first"))

# %% [markdown]
# For the accounts whose sales fell most since last period, the change by product category:
# categories they stopped buying (lost), started buying (new), and bought more or less of.

# %%
account_bridges = narrative.account_bridge_table(result)
display(tables.table_or_note(account_bridges, empty_note="The invoice lines have no product categories, so the change cannot be split by category.", currency=money, money=[c for c in account_bridges.columns if c != "account"], caption="Where the largest falls came from, by product category (all accounts in the workbook)"))

# %% [markdown]
# ### Where the dealer's sales came from
#
# The revenue bridge runs from last period's sales of all customers to this period's: sales to
# new customers, sales lost with customers who stopped buying, and growth and decline of the
# customers kept.

# %%
fig, ax = plt.subplots(figsize=(8, 4.4))
plots.bridge_waterfall(result.dealer_bridge, currency=money, previous_label=f"Sales {result.previous}", current_label=f"Sales {result.period}", ax=ax)
figures.show_figure(fig, caption=narrative.bridge_caption(result, currency=money))
display(tables.format_table(narrative.bridge_table(result), currency=money, money=["amount"], integer=["customers"], caption="Revenue bridge, all customers"))

# %% [markdown]
# ### What was done
#
# The plan tracker records, for each action, whether it was done and when. An action is late
# when it was done after its due date or is still open after it.

# %%
display(HTML(tables.notes_html([narrative.actions_sentence(result)])))
display(tables.format_table(narrative.actions_table(result), integer=["actions", "done", "done late", "late", "dropped", "open"], currency=money, caption="Actions by owner and outcome"))

# %% [markdown]
# ## Satisfaction
#
# The survey asks each account five questions on a five-point scale, from "extremely
# dissatisfied" to "highly satisfied". Net satisfaction is the share of satisfied answers minus
# the share of dissatisfied ones.

# %%
fig, ax = plt.subplots(figsize=(8, 4.6))
plots.satisfaction_bars(result.satisfaction_by_question, ax=ax)
figures.show_figure(fig, caption="Answers per question in the last two surveys")
display(tables.table_or_note(narrative.satisfaction_question_table(result), empty_note="No satisfaction survey was provided, so satisfaction cannot be shown.", percent=["net before", "net now"], integer=["answers"], decimals={"change (points)": 0, "mean score (1-5)": 2}, currency=money, caption="Net satisfaction per question, weakest first"))

# %% [markdown]
# Which questions matter most? Each question's answers are compared with the account's other
# answers: the closer they move together, the more the question drives overall satisfaction.

# %%
display(tables.table_or_note(narrative.drivers_table(result), empty_note="No satisfaction survey was provided.", percent=["net satisfaction"], integer=["respondents"], decimals={"correlation with overall": 2}, currency=money, caption="Drivers of satisfaction in the latest survey"))

# %% [markdown]
# Per account the survey has only a handful of answers, so the chart counts answers rather than
# showing percentages. The accounts least satisfied are at the top.

# %%
by_account = narrative.account_satisfaction(result)
if len(by_account):
    shown = by_account.head(20)
    fig, ax = plt.subplots(figsize=(8.5, 0.34 * len(shown) + 1.8))
    plots.satisfaction_bars(shown, label="account", value="count", ax=ax)
    figures.show_figure(fig, caption=f"Answers of the {len(shown)} least satisfied planned accounts in the latest survey")
else:
    display(HTML(tables.notes_html(["None of the planned accounts answered the latest survey."])))

# %% [markdown]
# ## Lost and declining accounts

# %%
display(tables.table_or_note(narrative.lost_table(result), empty_note="No planned account was lost or declined beyond the threshold.", currency=money, money=["sales before", "sales now"], decimals={"days since purchase": 0}, caption="Planned accounts lost or declining, and the reason recorded"))
display(tables.table_or_note(narrative.reason_table(result), empty_note="No reasons to group.", currency=money, money=["sales change"], percent=["share of the change"], integer=["accounts", "lost", "declining"], caption="The pattern across them"))

# %% [markdown]
# ### Churn and retention
#
# Churn is the share of last period's customers that did not buy in the last months of this
# period. The retention curves follow the customers who started in the same year.

# %%
display(tables.format_table(narrative.churn_table(result), currency=money, money=["sales of those lost"], percent=["churn rate"], integer=["at start", "lost"], caption="Churn by period"))
fig, ax = plt.subplots(figsize=(7, 3.2))
plots.retention_curves(result.cohorts, ax=ax)
figures.show_figure(fig, caption="Share of each year's customers still buying in later years")

# %% [markdown]
# ### What keeping customers is worth
#
# From your own figures: the gross profit today's customers are expected to bring over the coming
# years at the churn measured, and with churn five points lower.

# %%
economics = narrative.economics_table(result)
display(tables.table_or_note(economics, empty_note="Costs were not provided, so what retention is worth cannot be computed.", currency=money, money=[c for c in economics.columns if "gross profit" in c or c == "with lower churn"], percent=["churn now", "churn 5 points lower", "profit lift"], caption="Retention economics"))
display(HTML(tables.notes_html([REICHHELD_SASSER_CAVEAT])))

# %% [markdown]
# ## Accounts at risk
#
# Accounts still buying that show a warning sign: low or falling satisfaction, falling purchases
# or later payment. The value at risk is the gross profit each is expected to bring over the
# coming years if it stays.

# %%
display(tables.table_or_note(narrative.at_risk_table(result), empty_note="No planned account shows a warning sign.", currency=money, money=["sales", "value at risk"], integer=["signs"], caption="Accounts at risk, most signs first"))

# %% [markdown]
# ## Relationship cadence

# %%
display(HTML(tables.notes_html([narrative.cadence_sentence(result)])))
display(tables.format_table(narrative.cadence_table(result), integer=["planned", "made"], percent=["share made"], decimals={"days since last contact": 0}, currency=money, caption="Contacts planned and made per account, fewest made first"))

# %% [markdown]
# ## Lessons learned

# %%
lessons_shown = result.lessons if len(result.lessons) else narrative.draft_lessons(result, currency=money)
display(HTML(tables.notes_html(["Lessons saved by the review workshop." if len(result.lessons) else "No lessons were saved yet; these are the lessons the analysis suggests, for the workshop to confirm, edit or drop."])))
display(tables.format_table(lessons_shown.rename(columns={"customer_id": "account"}), currency=money, caption="Lessons learned"))

# %% tags=["remove-cell"]
# Workshop mode (JupyterLab only, no run folder): edit the lessons and save them into the workspace.
if not output_dir:
    form = LessonsWorkshop(lessons_shown, workspace=client.root, period=reviewed)
    display(form.widget())

# %% [markdown]
# ## Input to the next screening
#
# Proposed tier changes for the screening of the next period, with their reasons. The screening
# workshop decides.

# %%
display(tables.table_or_note(narrative.proposals_table(result), empty_note="The review proposes no tier change.", currency=money, caption=f"Proposed tier changes for {reviewed + 1}"))

# %% [markdown]
# ## Glossary

# %%
display(tables.format_table(pd.DataFrame(list(narrative.GLOSSARY.items()), columns=["term", "meaning"]), currency=money, caption="Terms used in this report"))

# %% [markdown]
# ## Assumptions and inputs

# %%
display(tables.format_table(narrative.settings_table(result), currency=money, caption="Review rules"))
display(HTML(tables.notes_html([narrative.plan_source_note(plan, reviewed)])))
display(tables.format_table(client.intake.sources_table(), integer=["rows read", "rows kept"], currency=money, caption="Input files, with a fingerprint of their contents"))
display(tables.table_or_note(client.intake.quality_table(), empty_note="Data quality: every row of every file was read as given; nothing needed a repair and no row was set aside.", integer=["rows", "rows set aside"], currency=money, caption="Data quality: repairs and rows set aside"))
display(HTML(tables.notes_html(client.intake.notes + [f"Report produced with kamtools {__version__}."])))

# %% tags=["remove-cell"]
if output_dir:
    out = Path(output_dir)
    io.write_stage_output(result.per_account, out, contract.REVIEW_ATTAINMENT)
    io.write_stage_output(result.at_risk, out, contract.REVIEW_AT_RISK)
    io.write_stage_output(result.proposals, out, contract.TIER_PROPOSALS)
    io.write_stage_table(narrative.account_bridge_table(result, limit=len(result.accounts)), out, "review_account_bridges")
    save_tier_proposals(client.root, reviewed + 1, result.proposals)
    io.write_stage_summary(out, "review", narrative.summary_line(result, currency=money))

# %% tags=["remove-cell"]
# Provenance: kept in the executed notebook for the audit trail, never shown to the client.
{"kamtools": __version__, "parameters": {"workspace_dir": workspace_dir, "period": period},
 "period": reviewed, "plan_revision": getattr(plan, "revision", None), "inputs": client.intake.sources_table().to_dict("records")}
