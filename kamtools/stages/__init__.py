"""The stages of a client engagement, one package each: screening (stage 1), then needs analysis,
plan development and post-period review. Stage code never imports the runner or the CLI."""
