"""Watching the bot: the live console dashboard, alert rules and notifications."""
