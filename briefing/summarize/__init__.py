"""Extractive summaries of stored articles (Sumy and the default news summarizer)."""
