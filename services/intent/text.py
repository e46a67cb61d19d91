"""Caller text normalisation shared by the rules, the classifier and the entity extractors.

Speech recognisers write all lowercase, drop punctuation and apostrophes, keep
fillers ("um", "like") and pick the wrong homophone ("meat" for meet). The
functions here undo what can be undone safely, so that every later layer only
has to understand one spelling.
"""

from __future__ import annotations

import re

FILLERS = ("um", "umm", "uhm", "uh", "uhh", "er", "erm", "ehm", "ah", "hmm", "hm", "mm")

# Contractions as a recogniser writes them (apostrophe dropped) → the written form.
# Only forms that are not ordinary words are listed ("its", "well", "were" are).
CONTRACTIONS = {
    "im": "i'm",
    "id": "i'd",
    "ive": "i've",
    "ill": "i'll",
    "youre": "you're",
    "youve": "you've",
    "youd": "you'd",
    "thats": "that's",
    "whats": "what's",
    "wheres": "where's",
    "whos": "who's",
    "hows": "how's",
    "theres": "there's",
    "heres": "here's",
    "lets": "let's",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "whens": "when's",
    "thatll": "that'll",
    "itll": "it'll",
    "oclock": "o'clock",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "gimme": "give me",
    "lemme": "let me",
    "kinda": "kind of",
    "sorta": "sort of",
    "dunno": "don't know",
    "ya": "you",
}

# Homophones a recogniser picks, repaired only where the surrounding words make the intent clear.
HOMOPHONES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bmeat\b(?=\s+(?:with|an?|the|my|someone|somebody|up|in|on|at|you|him|her|them|advis))", "meet"),
        (r"\b(to|can|could|i|we|should|and|please|will|would|must)\s+meat\b", r"\1 meet"),
        (r"\bwear\b(?=\s+(?:is|are|can|do|does|should|would|was|exactly|'s))", "where"),
        (r"^wear\b", "where"),
        (r"\bwhether\b(?=\s+(?:like|today|tomorrow|forecast|going|gonna|be|is|in|for|outside|nice|\?|$))", "weather"),
        (r"\b(the|what's|what|how's|how|nice|good|bad)\s+whether\b", r"\1 weather"),
        (
            r"\b(to|can|could|i|we|should|where|do|does|you)\s+by\b(?=\s+(?:an?|the|my|some|tickets?|books?|"
            r"food|coffee|lunch|stocks?|shares?|crypto|it|one|them|groceries|printer|printing))",
            r"\1 buy",
        ),
        (r"\b(can|could|i|to|we)\s+sea\b", r"\1 see"),
        (r"\bnext\s+weak\b", "next week"),
        (r"\b(\w+)\s+weak\b(?=\s+(?:from|ago|later))", r"\1 week"),
        (r"\bopening\s+ours\b", "opening hours"),
        (r"\boffice\s+ours\b", "office hours"),
        (r"\bright\s+(my|a|an|the)\s+(thesis|essay|paper|introduction|letter|email|code|program)", r"write \1 \2"),
        (r"\bhear\s+(?=(?:to|for)\b)", "here "),
        (r"\bdon't\s+no\b", "don't know"),
    )
)

# "like" is a filler unless it follows a word that makes it a verb or a comparison.
_FILLER_LIKE = re.compile(
    r"(?<!\bwould )(?<!\bi'd )(?<!\bwe'd )(?<!\bi )(?<!\bwe )(?<!\byou )(?<!\bthey )(?<!\bdo )"
    r"(?<!\bfeel )(?<!\bfeels )(?<!\blooks )(?<!\bsounds )(?<!\bthat )(?<!\bsomething )(?<!\bis )"
    r"(?<!\bwhat's )(?<!\bwhat )(?<!\bjust )(?<!\bd )(?<!\bthings )(?<!\bwhether )(?<!\bweather )"
    r"(?<!\bdon't )(?<!\bdidn't )(?<!\bwouldn't )(?<!\bi'll )\blike\b\s*"
)
_FILLER_WORDS = re.compile(r"\b(?:" + "|".join(FILLERS) + r")\b[\s,]*")
_YOU_KNOW = re.compile(r"(?:,\s*|\s)you know(?=[\s,.?!]|$)")
_SPACES = re.compile(r"\s+")
_LOOSE_COMMAS = re.compile(r"(?:\s*,)+")
# "uh huh" and "mm hmm" mean yes; they must not lose their first half to filler removal.
_YES_SOUNDS = re.compile(r"\b(?:uh[\s-]huh|mm+[\s-]?hm+|mhm+|uh-hu)\b")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_TOKEN = re.compile(r"[a-z']+|[^\sa-z']+")


def lower_clean(text: str) -> str:
    """Lowercase, straight quotes, one space between words."""
    return _YES_SOUNDS.sub("mhm", _SPACES.sub(" ", text.translate(_QUOTES).lower()).strip())


def expand_contractions(text: str) -> str:
    """Restore apostrophes and expand slang ("thats" → "that's", "wanna" → "want to")."""
    return _TOKEN.sub(lambda m: CONTRACTIONS.get(m.group(0), m.group(0)), text)


def remove_fillers(text: str) -> str:
    """Drop hesitations ("um", "uh"), filler "like" and "you know"."""
    text = _FILLER_WORDS.sub("", text)
    text = _YOU_KNOW.sub("", text)
    text = _FILLER_LIKE.sub("", text)
    text = _LOOSE_COMMAS.sub(",", text)
    return _SPACES.sub(" ", text).strip(" ,")


def fix_homophones(text: str) -> str:
    for pattern, replacement in HOMOPHONES:
        text = pattern.sub(replacement, text)
    return text


def normalize(text: str) -> str:
    """The canonical lowercase form of a caller turn: what rules, cache keys and embeddings see."""
    text = lower_clean(text)
    text = expand_contractions(text)
    text = remove_fillers(text)
    text = fix_homophones(text)
    return _SPACES.sub(" ", text).strip()


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (long vocabularies stay readable)."""
    return frozenset(words.split())
