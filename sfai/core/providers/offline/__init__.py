"""sfai's offline diagnostician: the provider used when no API key is set.

It understands the common questions about a server in English and French (disk, memory,
a service down, nginx and 502s, certificates, logs, a slow server, what runs here, overall
health, and log text piped on stdin), asks the engine for the read-only tools that answer
them, judges the results with ``sfai check``'s analyzers, and writes a grounded answer
with proposed fixes. It says so plainly when a question is beyond it.

Modules: ``intents`` reads the question, ``playbooks`` picks the tools, ``signals`` reads
log lines, ``findings`` turns results into findings, ``answer`` writes the Markdown,
``i18n`` holds every sentence in both languages, ``provider`` speaks the Provider protocol.
"""

from sfai.core.providers.offline.provider import OfflineProvider

__all__ = ["OfflineProvider"]
