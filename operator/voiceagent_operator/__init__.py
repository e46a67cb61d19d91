"""Kubernetes operator for the VoiceAgent custom resource (kopf).

Handlers are thin (``handlers.py``); everything they decide is computed by pure
functions: the spec model (``spec.py``), the rendered children (``children/``),
the drift plan (``drift.py``) and the status (``status.py``).
"""
