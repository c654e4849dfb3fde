"""Helpers shared by several test folders, imported as ``support.<module>``.

``pyproject.toml`` puts ``tests/`` on pytest's ``pythonpath``, so ``import support.polling``
works for the whole suite in one call, for one folder and for one file alike. A helper used by
one folder only stays in that folder (a module with a name of its own); what two folders need
lives here, once.
"""
