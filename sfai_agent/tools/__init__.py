"""The tool catalog: one module per family; see :mod:`sfai_agent.tools.catalog`."""
