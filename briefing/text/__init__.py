"""Language-level text tools shared by ingest, summarize and stories.

Normalization and duplicate keys, tokens and sentences, language detection, readability.
"""
