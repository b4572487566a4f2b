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

from IPython.display import HTML, display

from kamtools import __version__, contract, io, tables
from kamtools.stages.needs import STAGE, analysis, narrative, plots
from kamtools.workspace import open_client

if not output_dir:  # workshop mode: JupyterLab aligns the report tables as the report does
    display(tables.WorkshopTableStyle())
client = open_client(workspace_dir, period=period, cache_dir=output_dir)
config = client.config
money = config.currency
settings = STAGE.settings(config)
result = analysis.analyse_client(client, settings=settings, output_dir=Path(output_dir) if output_dir else None)

# %% tags=["remove-cell", "stage-outputs"]
# The output tables first: the stages that read them start while the report below is drawn.
if output_dir:
    outputs = io.StageOutputs(Path(output_dir), currency=money)
    for name, frame in narrative.outputs(result).items():
        outputs.write(frame, contract.OUTPUTS[name])
    io.write_stage_summary(Path(output_dir), "needs", narrative.summary(result))

# %% tags=["remove-cell"]
# Their client workbooks, while the next stages already run (they read the CSV files).
if output_dir:
    outputs.write_workbooks()

# %% [markdown]
# ## Key findings

# %%
display(HTML(tables.findings_html(narrative.findings(result))))

# %% [markdown]
# ## What we looked at
#
# Different key accounts need different things; only by knowing the differences can you give each
# the right support. For every key account of the screening we put together three kinds of
# indicators: its **strengths** (financial strength, network, logistics, relationships, people),
# its **capabilities** (business ideas, management, marketing) and the **hard figures** (sales,
# margin, what it costs to serve and the contribution that remains). Strengths and capabilities
# come from the needs workshop, scored 1 to 5; where the data say something, they count as one
# more voice: the payment record for financial strength, the order pattern for logistics.

# %% [markdown]
# ## Where each key account is strong and weak
#
# One row per key account, in the order of the account pages below (accounts that need action
# now first, then by their screening rank). Blue is strong, red is weak: workshop scores from 1
# to 5, hard figures by the account's place among the key accounts. A dash means nobody scored it.

# %%
plots.show_svg(plots.heatmap_svg(result.scorecard, order=result.accounts["customer_id"], currency=money), caption="Key accounts by indicator, weakest red, strongest blue")

# %% [markdown]
# ## What the key accounts earn after the cost of serving them
#
# Contribution is the gross profit an account leaves after what it costs to serve: handling its
# orders, deliveries, visits and returns, the credit it takes and its account manager's time.

# %%
display(HTML(tables.notes_html(narrative.input_notes(result))))
display(tables.format_table(narrative.profit_table(result), currency=money, money=["sales", "gross profit", "cost to serve", "contribution"], percent=["contribution (% of sales)"], caption="Key accounts by contribution"))

# %% [markdown]
# ## Accounts the workshop has not scored yet
#
# These key accounts are in the report, but their needs rest on the data alone until the workshop
# scores them.

# %%
display(tables.table_or_note(narrative.missing_table(result), empty_note="Every key account has been scored on every indicator.", currency=money, money=["sales"], caption="Key accounts with missing workshop scores"))

# %% [markdown]
# ## Account by account
#
# Each page shows the account's scorecard against the key-account average and the best quarter,
# its scores on a spider chart, its profit from sales to contribution, the support we propose
# (weakest indicators first, each with why) and the team that should serve it, by function.

# %%
for customer_id in result.accounts["customer_id"]:
    display(HTML(narrative.account_intro_html(result, customer_id)))
    plots.show_svg(plots.account_charts_svg(result.pages[customer_id].scorecard, result.pages[customer_id].profit, customer_id=customer_id, currency=money), caption="Scores against the key-account average (left); profit from sales to contribution (right)")
    display(HTML(narrative.account_support_html(result, customer_id)))

# %% [markdown]
# ## How loaded the account managers are
#
# One account manager can serve only so many key accounts well.

# %%
display(tables.table_or_note(narrative.load_table(result), empty_note="The team table names no account managers.", currency=money, integer=["key accounts", "all accounts served", "most key accounts"], caption="Key accounts per account manager"))

# %% [markdown]
# ## Next steps

# %%
display(HTML(tables.findings_html(narrative.next_steps(result))))

# %% [markdown]
# ## Glossary

# %%
display(tables.format_table(narrative.glossary_table(), currency=money, caption="Terms used in this report"))

# %% [markdown]
# ## Assumptions and inputs

# %%
display(tables.format_table(narrative.settings_table(result), currency=money, caption="Rules of the needs analysis"))
display(tables.format_table(client.intake.sources_table(), integer=["rows read", "rows kept"], currency=money, caption="Input files, with a fingerprint of their contents"))
display(tables.table_or_note(client.intake.quality_table(), empty_note="Data quality: every row of every file was read as given; nothing needed a repair and no row was set aside.", integer=["rows", "rows set aside"], currency=money, caption="Data quality: repairs and rows set aside"))
display(HTML(tables.notes_html(client.intake.notes + [f"Report produced with kamtools {__version__}."])))

# %% tags=["remove-cell"]
# Workshop mode (JupyterLab, where output_dir is empty): score an account, save, re-run the report.
if not output_dir:
    from kamtools.stages.needs.workshop import NeedsWorkshop

    form = NeedsWorkshop(result.accounts, indicators=list(settings.indicators), workspace=client.root, assessments=client.tables.get("assessments"))
    display(form.widget())

# %% tags=["remove-cell"]
# Provenance: kept in the executed notebook for the audit trail, never shown to the client.
{"kamtools": __version__, "parameters": {"workspace_dir": workspace_dir, "period": period},
 "period": config.current_period, "inputs": client.intake.sources_table().to_dict("records")}
