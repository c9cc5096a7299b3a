"""Events and registrations: one service for every channel (CLI, web, later Discord)."""
