"""Pure rules every front door shares: credits, sender names, STOP keywords, quiet hours.

No I/O and no clock: each function takes the values it needs (``now`` included).
"""
