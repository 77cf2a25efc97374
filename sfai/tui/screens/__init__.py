"""The TUI's screens, one per module with its ``.tcss`` beside it: ``main`` (conversation,
prompt, status bar, metrics), and the ones pushed over it — ``approval``, ``history``,
``hosts``, ``help``, ``confirm``. Import them from their modules."""
