"""Model providers: Anthropic (Claude), the offline diagnostician, OpenAI-compatible.

All speak one protocol (:mod:`sfai.core.providers.base`) over one message format: the
Anthropic Messages shape (role + content blocks), which the others translate.
"""
