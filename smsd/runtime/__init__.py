"""Long-running tasks that join the store and the modems: dispatcher, senders, receiver."""
