"""Command-line programs: argument parsing and main() functions over the public API."""
