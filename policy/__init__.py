"""The Prompt2Prod CrossGuard policy pack: rules in `rules.py` / `stack_rules.py`, registration in `pack.py`."""
