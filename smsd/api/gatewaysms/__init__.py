"""The Gateway SMS door: the ``/messages`` REST API of the messaggisms "Gateway SMS" service.

A client written for that service works against smsd by changing only the host. Requests carry
the user's API key as ``Authorization: Bearer <key>`` and JSON bodies; every answer is the
envelope ``{data, success, message, credit, error}``. A message is one of the core's scheduled
messages, shown with a 24-hex id; the dispatcher turns it into one outgoing message per
recipient, whose states the recipients routes show.

Inside: :mod:`.ids` (24-hex ids), :mod:`.recipients` (``+39-…`` recipients), :mod:`.jokers`
(``{{field}}`` as core templates), :mod:`.parsing` (request bodies), :mod:`.rendering` (answer
shapes), :mod:`.replies` (envelope and errors), :mod:`.core` (the core calls for credit, prices,
senders and test messages), :mod:`.handlers` and :mod:`.routes`.
"""

from smsd.api.gatewaysms.routes import ROUTES

__all__ = ["ROUTES"]
