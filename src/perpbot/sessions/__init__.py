"""Sessions: every run of the bot as a record a user can find, compare, export and report on."""
