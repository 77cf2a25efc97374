"""The core: no Textual, no Rich (a test enforces it), usable from any front end."""
