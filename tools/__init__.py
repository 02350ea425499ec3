"""Set-up helpers the Makefile runs (`python3 -m tools.…`); never imported by the program or the service."""
