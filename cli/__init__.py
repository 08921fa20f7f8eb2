"""The ``promptcache`` command line: the app, and commands for scripts and CI."""
