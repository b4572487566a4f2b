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
from IPython.display import HTML, Markdown, display

from kamtools import __version__, contract, figures, io, tables
from kamtools.stages import screening
from kamtools.stages.review import next_screening as review_proposals
from kamtools.stages.screening import plots, workshop
from kamtools.workspace import open_client

figures.configure_report_figures()
if not output_dir:  # workshop mode: JupyterLab aligns the report tables as the report does
    display(tables.WorkshopTableStyle())
client = open_client(workspace_dir, period=period, cache_dir=output_dir, columns={"sales": screening.sales_columns, "receivables": screening.receivables_columns})
config = client.config
settings = screening.STAGE.settings(config)
result = screening.screen_client(
    client.tables,
    start_month=config.fiscal_year_start_month,
    period=config.current_period,
    settings=settings,
    overrides=screening.load_overrides(client.root),
    data_end=config.data_end,
)
current = result.current
money = config.currency
margin_known = screening.summary.cost_note(result) is None

# %% tags=["remove-cell", "stage-outputs"]
# The output tables first: the stages that read them start while the report below is drawn.
if output_dir:
    outputs = io.StageOutputs(Path(output_dir), currency=money)
    outputs.write(result.key_accounts_output(), contract.KEY_ACCOUNTS)
    outputs.write(result.customer_tiers_output(), contract.CUSTOMER_TIERS, workbook=False)
    outputs.write_table(result.review_table(), "review_accounts")
    outputs.write_table(result.growth_signal_table(), "growth_candidates")
    io.write_stage_summary(Path(output_dir), "screening", result.summary(currency=money))

# %% tags=["remove-cell"]
# Their client workbooks, while the next stages already run (they read the CSV files).
if output_dir:
    outputs.write_workbooks()

# %% tags=["remove-cell"]
# Workshop mode (`kam lab`, JupyterLab only, no run folder): the panel shows the lists, changes and
# chart at once; move a control to re-rank, then "Save settings". The report below keeps the saved settings.
if not output_dir:
    panel = workshop.ScreeningWorkshop.from_result(result, client.tables, workspace=client.root, currency=money)
    display(panel.widget())

# %% [markdown]
# ## Summary

# %%
display(HTML(tables.notes_html([" ".join(screening.executive_summary(result, currency=money)), screening.summary.cost_note(result)])))
display(HTML(screening.findings_html(screening.findings(result, currency=money))))
display(tables.format_table(screening.tier_money_table(result), currency=money, money=["sales", "gross profit"] if margin_known else ["sales"], percent=["share of sales"], integer=["customers"], caption="Customers and sales in each tier this period"))
display(HTML(tables.notes_html(result.data_notes())))

# %% [markdown]
# ## What we looked at

# %%
display(Markdown(screening.summary.method_text(result, currency=money)))

# %% [markdown]
# ## How concentrated your business is

# %%
display(Markdown(screening.summary.concentration_intro(result)))
display(HTML(tables.notes_html([result.concentration_sentence()])))
fig, ax = plt.subplots(figsize=(7.5, 4.5))
plots.pareto_plot(result.concentration_base, ax=ax)
figures.show_figure(fig, caption="Concentration of sales" + (" and gross profit" if margin_known else "") + " (Pareto curve)")

# %%
if margin_known:
    display(Markdown(
        "The whale curve ranks customers by the profit they bring (after the cost of serving them, where it is"
        " known). It rises above 100% where the most profitable customers earn more than the whole business,"
        " and falls back as loss-making customers give part of it away."
    ))
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    plots.whale_plot(current.scored, currency=money, ax=ax)
    figures.show_figure(fig, caption="Whale curve: cumulative profit by customers ranked by profit")

# %% [markdown]
# Customers fall into A, B and C classes twice: with the fixed 80/15/5 cut of the rule of thumb,
# and with a cut computed from the shape of your own sales curve (computed ABC analysis, Ultsch and
# Lötsch 2015), which finds where the few important customers end and the many small ones begin.

# %%
display(tables.format_table(result.abc_summary, currency=money, money=["sales"], percent=["share of customers", "share of sales"], integer=["customers"], caption="ABC classes: fixed cut and computed cut"))

# %% [markdown]
# ## Your key accounts
#
# The list below shows the key accounts, best score first, with the criteria behind each. "#" is
# the place on the key list; "sales rank" is the customer's position among all buying customers
# by sales (1 = largest), so a gap in the sales ranks is a customer that failed a rule, is at
# risk, or ranks below on the other criteria. The score runs from 0 to 100, weighted as set out in
# the assumptions at the end of this report.

# %%
key_table = result.key_account_table().drop(columns=["customer", "reason"])
display(tables.format_table(key_table, currency=money, money=[c for c in ("sales", "gross profit") if c in key_table], percent=[c for c in ("share of sales", "margin", "growth") if c in key_table], integer=["#", "sales rank"], decimals={c: 0 for c in ("score", "days late") if c in key_table}, caption="Key accounts, best first"))

# %%
display(HTML(tables.notes_html(result.capacity_notes())))

# %% [markdown]
# ### Accounts that could grow into key accounts
#
# These customers are not key accounts yet, their sales did not fall, and they show a strong
# signal: fast growth on a meaningful base, a large part of their purchases still going to
# competitors, or strong scores in the workshop. The list holds the places the team can develop
# besides the key accounts, best score first.

# %%
display(tables.table_or_note(result.growth_account_table().drop(columns=["customer", "reason"]), empty_note="No customer shows a growth signal strong enough yet.", currency=money, money=["sales"], percent=["growth", "headroom"], integer=["#", "sales rank"], caption="Growth accounts"))

# %% [markdown]
# ### Former key accounts at risk
#
# Last period's key accounts whose sales fell by 30% or more, or stopped: they are not on the key
# or growth lists; each needs a retention call with its account manager.

# %%
display(tables.table_or_note(screening.at_risk_table(result).drop(columns=["customer"]), empty_note="No key account of last period fell sharply or stopped buying.", currency=money, money=["previous sales", "sales", "sales lost"], caption="Former key accounts at risk, largest loss first"))

# %% [markdown]
# ### Customers to review, by cause
#
# Customers who fail a rule cannot be key accounts. A customer failing several rules is counted
# once, under the first cause listed. "At stake" is the money of the cause: the loss, the gross
# profit below the margin of customers of the same size, the overdue amount, or what serving them
# costs above what they earn. Every customer to review is in the workbook (review accounts).

# %%
display(tables.table_or_note(screening.review_by_cause(result), empty_note="Every buying customer passes the rules.", currency=money, money=["sales", "at stake", "largest sales"], integer=["customers"], caption="Customers to review, by cause"))

# %%
if margin_known:
    display(Markdown(
        "## Sales and margin\n\nEach point is a customer: further right means more sales, higher means a"
        " better margin, a larger point more gross profit. Key accounts are outlined; the largest are named."
        " The lines mark the median customer."
    ))
    fig, ax = plt.subplots(figsize=(7, 5.5))
    plots.quadrant_plot(current.scored, currency=money, ax=ax)
    figures.show_figure(fig, caption="Sales against margin, the largest key accounts named")

# %% [markdown]
# ## How the key accounts moved since last year
#
# The same screening was applied to the previous period (on the same months, when this period is
# not complete). The matrix counts customers by their tier last year (rows) and this year (columns).

# %%
if result.previous is not None:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    plots.transition_heatmap(result.transitions, ax=ax)
    figures.show_figure(fig, caption="Customers by tier last year (rows) and this year (columns)")
    fig, ax = plt.subplots(figsize=(7.5, 5))
    plots.tier_flow_plot(result.transitions, ax=ax)
    figures.show_figure(fig, caption="Where last year's tiers went: last year left, this year right")
display(HTML(tables.notes_html(result.movement_notes())))

# %%
display(tables.table_or_note(result.movers_table().drop(columns=["customer"]), empty_note="No customer entered or left the key list.", currency=money, money=["sales", "previous sales"], percent=["growth"], caption="Customers who entered or left the key list"))

# %% [markdown]
# ## How robust the list is
#
# Weights are a judgement. To see how much the list depends on them, each weight was moved up and
# down by 20% and the key list chosen again with the same rules. Every key account is shown.
# "Stable key" accounts are key accounts under every variation; "key, depends on weights" ones
# drop out under some, and "near the list" customers enter it under some: both deserve a closer
# look in the workshop. "Key by override" accounts are key by the workshop's decision only.

# %%
fig, ax = plt.subplots(figsize=(7.5, min(9.0, max(3.0, 0.27 * len(result.sensitivity) + 1.0))))
plots.sensitivity_plot(result.sensitivity, max_customers=60, ax=ax)
figures.show_figure(fig, caption="Share of weight variations under which each account stays key")

# %%
display(tables.format_table(result.sensitivity_table().drop(columns=["customer"]), integer=["variants key", "variants"], percent=["share key"], decimals={"score": 0}, currency=money, caption="Robustness of the key list to ±20% weight changes"))

# %% [markdown]
# ## Glossary

# %%
display(tables.format_table(screening.glossary_table(), currency=money, caption="Terms used in this report"))

# %% [markdown]
# ## Assumptions and inputs
#
# The screening settings below come from the client's configuration; criteria the data cannot
# support are left out and the other weights scaled up.

# %%
display(HTML(tables.notes_html(result.method_notes())))
display(tables.format_table(result.weights_table(), percent=["weight set", "weight used"], currency=money, caption="Criteria and weights"))
display(tables.format_table(result.settings_table(), currency=money, caption="Screening rules"))
display(tables.table_or_note(result.overrides, empty_note="No tier was overridden by the consultant.", currency=money, caption="Consultant overrides"))
display(tables.table_or_note(review_proposals.proposals_table(review_proposals.load_tier_proposals(client.root, config.current_period)), empty_note=f"The review of {config.previous_period} proposed no tier change for this period.", currency=money, caption=f"Tier changes proposed by the review of {config.previous_period}, for the workshop to decide"))

# %%
display(tables.format_table(client.intake.sources_table(), integer=["rows read", "rows kept"], currency=money, caption="Input files, with a fingerprint of their contents"))
display(tables.table_or_note(client.intake.quality_table(), empty_note="Data quality: every row of every file was read as given; nothing needed a repair and no row was set aside.", integer=["rows", "rows set aside"], currency=money, caption="Data quality: repairs and rows set aside"))
display(tables.table_or_note(client.intake.set_aside_sales_table(), empty_note="No invoice line was set aside: every sale in the files is analysed.", integer=["lines"], money=["net sales"], percent=["share of sales"], currency=money, caption="Sales set aside by intake, in money and as a share of the sales in the file"))
display(HTML(tables.notes_html(client.intake.notes + [f"Report produced with kamtools {__version__}."])))

# %% tags=["remove-cell"]
# Provenance: kept in the executed notebook for the audit trail, never shown to the client.
{"kamtools": __version__, "parameters": {"workspace_dir": workspace_dir, "period": period},
 "period": config.current_period, "inputs": client.intake.sources_table().to_dict("records")}
