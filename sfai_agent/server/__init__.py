"""The agent daemon (sfai-agent): see protocol.py for the wire contract."""
