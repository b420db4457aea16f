"""The ``chatbot`` auditor: identity bias in a customer-service chatbot's training data.

One module per job (see docs/chatbot.md for the methods):

- :mod:`~equityaudit.auditors.chatbot.auditor` — the auditor: spec checks, gate expectations, and
  ``run``, which reads the data once, calls the analyses and judges their evidence in one call;
- :mod:`~equityaudit.auditors.chatbot.options` — its options;
- :mod:`~equityaudit.auditors.chatbot.lexicon` — the identity lexicon and its matcher;
- :mod:`~equityaudit.auditors.chatbot.utterances` — the utterances read once (the immutable value
  every analysis takes) and the :class:`~.utterances.Analysis` each returns;
- the analyses, each a function from that value to tables, counts and evidence:
  :mod:`~equityaudit.auditors.chatbot.representation` (who is mentioned, and coverage),
  :mod:`~equityaudit.auditors.chatbot.intents` (intent skew by group),
  :mod:`~equityaudit.auditors.chatbot.responses` (refusals, sentiment and length of the bot's
  responses) and :mod:`~equityaudit.auditors.chatbot.counterfactual` (flip rates under identity
  swaps);
- :mod:`~equityaudit.auditors.chatbot.swaps` — the identity swaps behind the counterfactuals;
- :mod:`~equityaudit.auditors.chatbot.classifiers` — the intent classifiers they are tested on;
- :mod:`~equityaudit.auditors.chatbot.wording` — how the findings word numbers and statuses.
"""

from __future__ import annotations

from equityaudit.auditors.chatbot.auditor import ChatbotAuditor, equityaudit_auditors
from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.auditors.chatbot.options import ChatbotOptions

__all__ = ["ChatbotAuditor", "ChatbotOptions", "Lexicon", "equityaudit_auditors"]
