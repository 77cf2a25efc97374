"""sfai's Textual UI: ``sfai`` with no arguments on a terminal.

Build the app with :func:`sfai.tui.factory.make_app`. Nothing is imported here, so that
importing a submodule stays cheap and ``sfai --help`` never loads Textual.
"""
