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
from kamtools.stages import planning
from kamtools.stages.planning import narrative, plots, workshop
from kamtools.workspace import open_client

figures.configure_report_figures()
if not output_dir:  # workshop mode: JupyterLab aligns the report tables as the report does
    display(tables.WorkshopTableStyle())
client = open_client(workspace_dir, period=period, cache_dir=output_dir)
config = client.config
settings = planning.STAGE.settings(config)
development = planning.develop_plans(client, output_dir=Path(output_dir) if output_dir else None, settings=settings)
plan = development.plan
money = config.currency
names = pd.Series({a.customer_id: a.name for a in plan.accounts}, dtype="object")
plan_period = (pd.Timestamp(plan.period_start), pd.Timestamp(plan.period_end))
titles = narrative.section_titles(plan, development.load_summary, settings=settings)

# %% [markdown]
# ## The plan in brief

# %%
display(HTML(tables.findings_html(narrative.findings(plan, development.load_summary, settings=settings))))
display(HTML(tables.notes_html(development.notes[:1])))

# %% [markdown]
# ## How the plan was made
#
# For each key and growth account we looked at its market, its competitors and itself, and set a
# plan cut into quarters, each with its own goal, and a stretch goal that motivates.
#
# - **Market.** The *wallet* is what the account buys in your categories from all suppliers (the
#   estimate in the market table); your *share of wallet* is the part of it it buys from you, and
#   the *headroom* the part that still goes to others. *White space* are product categories that
#   most customers of the same segment buy from you and this account does not.
# - **Goals.** The baseline is last period. The plan goal wins a share of the headroom and keeps
#   half of the account's own growth rate, within bounds; the stretch goal wins more of the
#   headroom, at least 5 points above the plan; neither exceeds the wallet (the rules are listed
#   under the assumptions). Gross profit goals keep the account's current margin. Each goal is cut into quarters along the
#   account's own seasonal pattern of the last three years, and the quarters add up to the goal
#   to the cent.
# - **Who does what.** Each account has one account manager and one counterpart, with a rhythm
#   of visits, calls and reviews; the actions come from the support the needs analysis proposed,
#   each with an owner, a counterpart, dates and the effect it should have. They are staggered so
#   that nobody runs too many at once.
#
# The plan is saved in your workspace as a plan file, with a tracker workbook that your team fills
# in during the year (status and dates of each action, every contact made). The post-period
# review reads both back.

# %%
display(HTML(narrative.heading_html(titles["stages"])))
fig, ax = plt.subplots(figsize=(7.5, 4.2))
plots.plan_by_stage_plot(development.goals, currency=money, ax=ax)
figures.show_figure(fig, caption="Sales of the planned accounts by quarter: last period, plan and stretch")

# %%
display(tables.format_table(narrative.goals_overview_table(plan), currency=money, money=["last period", "plan", "stretch"], percent=["growth", "share of wallet", "planned share"], decimals={"growth": 0, "share of wallet": 0, "planned share": 0}, caption="Goals per account, in the order of the screening"))

# %%
display(HTML(narrative.heading_html(titles["growth"])))
fig, ax = plt.subplots(figsize=(7.5, 5))
plots.growth_by_account_plot(development.goals, names=names, currency=money, ax=ax)
figures.show_figure(fig, caption="Planned sales growth by account, largest first")

# %%
display(HTML(narrative.heading_html(titles["load"])))
fig, ax = plt.subplots(figsize=(9, 0.9 + 0.42 * max(1, development.load_summary.shape[0])))
plots.team_load_plot(development.load, ceiling=settings.max_accounts_per_member, ax=ax)
figures.show_figure(fig, caption="Actions each team member runs per month, with the accounts they carry; overloads in red")
display(tables.table_or_note(development.load_summary.rename(columns={"member": "team member", "peak_accounts": "accounts", "peak_actions": "most actions at once", "contacts_per_month": "contacts per month", "months_overloaded": "months overloaded", "first_overloaded": "first overloaded"}), empty_note="Nobody in the team has an account or an action in the plan yet.", currency=money, integer=["accounts", "most actions at once", "months overloaded"], decimals={"contacts per month": 1}, caption="Team load under the plan"))

# %%
display(HTML(narrative.heading_html(titles["timeline"])))
fig, ax = plt.subplots(figsize=(9, plots.timeline_height(development.actions)))
plots.action_timeline_plot(development.actions, period=plan_period, ax=ax)
figures.show_figure(fig, caption="Actions by owner through the plan period, coloured by the support they give")

# %% [markdown]
# ## The account plans
#
# One page per account follows, in the order of the screening: who serves it, its market and
# competitors, a SWOT (strengths, weaknesses, opportunities, threats) to discuss and correct in
# the workshop, its goals by quarter, the actions and the contact plan.

# %%
for account in plan.accounts:
    display(HTML(narrative.account_heading_html(account, currency=money)))
    display(HTML(narrative.account_intro_html(account, currency=money, baseline_period=plan.baseline_period)))
    display(HTML(narrative.swot_html(account)))
    display(tables.format_table(narrative.account_goals_table(account, plan.stage_labels, metrics=("sales", "gross_profit")), currency=money, money=[*plan.stage_labels, "year"], caption=f"Goals by quarter: {account.name}"))
    display(tables.table_or_note(narrative.account_goals_table(account, plan.stage_labels, metrics=("share_of_wallet",), known_year=True), empty_note="No wallet estimate, so no share-of-wallet goal.", currency=money, percent=[*plan.stage_labels, "year"], decimals=dict.fromkeys([*plan.stage_labels, "year"], 0), caption=f"Share of wallet by quarter: {account.name}"))
    display(tables.table_or_note(narrative.account_market_table(account), empty_note="No category gap against the account's segment peers.", currency=money, percent=["peers buying it"], money=["worth at peers' mix"], decimals={"peers buying it": 0}, caption=f"Categories its peers buy and it does not (or little): {account.name}"))
    display(tables.table_or_note(narrative.account_actions_table(account), empty_note="No actions planned yet: agree them in the workshop.", currency=money, caption=f"Actions: {account.name}"))
    display(tables.format_table(narrative.account_contacts_table(account), currency=money, integer=["per quarter", "per year"], caption=f"Contact plan: {account.name}"))

# %% [markdown]
# ## Assumptions and inputs
#
# The planning rules below come from the client's configuration (section `planning`), with
# defaults where it says nothing.

# %%
display(HTML(tables.notes_html(list(development.notes[1:]))))
display(tables.format_table(narrative.settings_table(settings), currency=money, caption="Planning rules"))

# %%
display(tables.format_table(client.intake.sources_table(), integer=["rows read", "rows kept"], currency=money, caption="Input files, with a fingerprint of their contents"))
display(tables.table_or_note(client.intake.quality_table(), empty_note="Data quality: every row of every file was read as given; nothing needed a repair and no row was set aside.", integer=["rows", "rows set aside"], currency=money, caption="Data quality: repairs and rows set aside"))
display(HTML(tables.notes_html([f"Report produced with kamtools {__version__}."])))

# %% [markdown]
# ## Glossary
#
# - **Wallet**: what an account buys in your product categories from all suppliers in a year (an estimate).
# - **Share of wallet**: the part of the wallet the account buys from you.
# - **Headroom**: the part of the wallet that still goes to other suppliers.
# - **White space**: a category most customers of the same segment buy from you that this account does not buy (or buys little of).
# - **Baseline**: the account's figure in the last period, the starting point of every goal.
# - **Stretch goal**: a goal above the plan that the team aims for; the plan goal is the commitment.
# - **Seasonal profile**: the share of a year's purchases an account makes in each quarter, from its own history.
# - **Cadence**: how often the account manager visits, calls and reviews the plan with the account.
# - **SWOT**: strengths, weaknesses, opportunities and threats.

# %% tags=["remove-cell"]
if output_dir:
    io.write_stage_output(development.goals, Path(output_dir), contract.PLAN_GOALS, currency=money)
    io.write_stage_output(development.actions, Path(output_dir), contract.PLAN_ACTIONS, currency=money)
    io.write_stage_output(development.contacts, Path(output_dir), contract.PLAN_CONTACTS, currency=money)
    io.write_stage_summary(Path(output_dir), "planning", narrative.summary(plan))

# %% tags=["remove-cell"]
# Workshop mode (JupyterLab only, no run folder): build the plan account by account, then save it.
if not output_dir:
    builder = workshop.PlanBuilder(plan, workspace=client.root, team=sorted(set(development.load["member"])))
    display(builder.widget())

# %% tags=["remove-cell"]
# Provenance: kept in the executed notebook for the audit trail, never shown to the client.
{"kamtools": __version__, "parameters": {"workspace_dir": workspace_dir, "period": period},
 "plan_period": plan.period, "plan_revision": plan.revision, "inputs": client.intake.sources_table().to_dict("records")}
