"""The RaspiSMS-compatible HTTP API.

Pure foundations so far: PHP-style request parameters (`smsd.api.forms`), the answer envelope
and its exact JSON text (`smsd.api.envelope`), the ``numbers_csv`` upload
(`smsd.api.csvnumbers`). Message templating and conditional-group expressions are domain code
the dispatcher calls too: they live in `smsd.templating`.
"""
