"""Shared by every test folder: puts tests/ on sys.path for ``debian_packages``."""
