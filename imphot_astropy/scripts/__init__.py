"""Command-line programs: each parses its arguments and calls the public API."""
