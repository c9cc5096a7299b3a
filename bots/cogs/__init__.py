"""The bots' features, one module each, each with `async def setup(bot, services)`."""
