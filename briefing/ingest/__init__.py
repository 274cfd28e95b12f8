"""Text, HTML, URLs and feeds become stored, de-duplicated articles."""
