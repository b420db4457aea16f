"""The ``chatbot`` auditor: identity bias in a customer-service chatbot's training data.

:mod:`~equityaudit.auditors.chatbot.lexicon` holds the identity lexicon and its matcher,
:mod:`~equityaudit.auditors.chatbot.counterfactual` the identity swaps and the intent classifiers,
:mod:`~equityaudit.auditors.chatbot.responses` the measures of the bot's responses, and
:mod:`~equityaudit.auditors.chatbot.auditor` the auditor itself (see docs/chatbot.md).
"""

from __future__ import annotations

from equityaudit.auditors.chatbot.auditor import ChatbotAuditor, equityaudit_auditors
from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.auditors.chatbot.options import ChatbotOptions

__all__ = ["ChatbotAuditor", "ChatbotOptions", "Lexicon", "equityaudit_auditors"]
