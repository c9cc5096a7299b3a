"""The Discord channel: the hub's bots, thin translators between Discord and the services.

Like the web app and the CLI, nothing here holds a rule: a slash command, a button or a member
joining becomes a call on `hub/…` services, and the outcome becomes a Discord message.
"""
