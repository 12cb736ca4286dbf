"""Provides the school office in a browser: accounts, applications, leave, class formation and the day's reports."""
