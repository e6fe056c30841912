"""Loopback stand-ins for the services newsbot talks to (Telegram, Slack, OpenAI, news sites).

Every fake serves on 127.0.0.1 and builds on :mod:`tests.fakes.loopback`.
"""
