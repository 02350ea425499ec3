"""The stack outputs contract (`contract`: the `StackOutputs` model and `export_outputs`) and its command line
(`cli`, run as `python -m infra.outputs`)."""
