"""Policy: what a tool call may touch. Enforced where the tool runs."""
