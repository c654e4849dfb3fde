"""The SMSGateway24-compatible door: ``/getdata/...``, the provider's API over smsd's core.

SMSGateway24 turns Android phones into sending devices; here the devices are the Pi's modems and
their SIM cards. Each module is one part of the dialect: :mod:`.routes` (the route table),
:mod:`.answers` (the answer and error shapes), :mod:`.fields` (parameter parsing),
:mod:`.tokens` (``gettoken`` and the token check), :mod:`.sending` (``addsms``, ``smstosend``,
``addalotofsms``), :mod:`.statuses` (ids and the status-code table), :mod:`.messages`
(``getallsms``, ``getsmsstatus``), :mod:`.devices` (``getalldevices``), :mod:`.lists`
(``savetag``, ``savecontact``, ``savepaket``), :mod:`.dates` (PHP-style dates). Business rules
are the core's (:mod:`smsd.store`); the door only translates.
"""

from smsd.api.smsgateway24.routes import routes

__all__ = ["routes"]
