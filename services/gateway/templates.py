"""Canned replies for turns that need no downstream knowledge, and degraded-mode replies."""

from __future__ import annotations

GREETING = "Hello! I can answer questions about the institute or book an advising appointment for you. How can I help?"
GOODBYE = "Thank you for calling. Goodbye!"
SMALLTALK = (
    "I'm doing well, thank you for asking. I can answer questions about the institute "
    "or book an advising appointment for you."
)
HANDOFF = "Of course. I'm connecting you with a member of our staff now. Please stay on the line."
OUT_OF_SCOPE = (
    "I'm sorry, I can only help with questions about the institute and with advising appointments. "
    "Is there anything like that I can do for you?"
)
ACKNOWLEDGE = "Okay. Is there anything else I can help you with?"
NOTHING_TO_REPEAT = "I haven't said anything yet. How can I help you?"
NOT_UNDERSTOOD = "Sorry, I didn't catch that. Could you say it again?"

# Degraded mode: a downstream service is unavailable.
KNOWLEDGE_DOWN = (
    "I'm sorry, I can't look that up right now. Please try again in a moment. "
    "I can still book an advising appointment for you."
)
MANAGE_EXISTING = (
    "I can book new advising appointments for you. To cancel or move an existing appointment, "
    "please have your confirmation code ready and ask me for a member of staff."
)
BOOKING_EXPIRED = "Sorry, that booking request has expired. Would you like to start a new booking?"
BOOKING_DOWN = "I'm sorry, I can't reach the booking system right now. Please try again in a moment."

BY_INTENT = {
    "GREETING": GREETING,
    "GOODBYE": GOODBYE,
    "SMALLTALK": SMALLTALK,
    "HUMAN_HANDOFF": HANDOFF,
    "OUT_OF_SCOPE": OUT_OF_SCOPE,
    "AFFIRM": ACKNOWLEDGE,
    "DENY": ACKNOWLEDGE,
}


def reply_for(intent: str, last_reply: str) -> str:
    """The template reply of a non-knowledge, non-booking intent (REPEAT repeats ``last_reply``)."""
    if intent == "REPEAT":
        return last_reply or NOTHING_TO_REPEAT
    return BY_INTENT.get(intent, NOT_UNDERSTOOD)
