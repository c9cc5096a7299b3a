"""The FCPTS hub: one asyncio process for newsletters, subscriptions, events and Discord bots."""
